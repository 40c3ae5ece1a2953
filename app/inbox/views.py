from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import or_, select

from app.auth.guard import requires
from app.db import db_session
from processes.models import HumanTask

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.route("/")
@requires("task.view")
def index():
    tasks = db_session.scalars(
        select(HumanTask).where(HumanTask.completed_at.is_(None), HumanTask.role == current_user.role_code,
                                or_(HumanTask.assignee_id.is_(None), HumanTask.assignee_id == current_user.id))
        .order_by(HumanTask.created_at).limit(100)).all()
    return render_template("inbox/index.html", tasks=tasks)
