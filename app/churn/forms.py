from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.churn.service import TEXT_MAX



def choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


STATUS_LABELS = {
    "warning": _l("Warning"),
    "postponed": _l("Postponed"),
    "confirmed": _l("Confirmed lost"),
    "retained": _l("Retained"),
}

# Instance states as users read them (steps read as the deployed model names them).
INSTANCE_LABELS = {
    "running": _l("Running"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "error": _l("Error"),
}


class PostponeForm(FlaskForm):
    measure = TextAreaField(_l("Retention measure"), validators=[DataRequired(), Length(max=TEXT_MAX)])


class ConfirmForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the loss"), validators=[DataRequired(), Length(max=TEXT_MAX)])


class FilterForm(FlaskForm):
    """GET filters of the list; no CSRF on a query string."""
    class Meta:
        csrf = False

    customer = StringField(_l("Customer"), validators=[Optional(), Length(max=100)])
    manager_id = SelectField(_l("Customer manager"), coerce=str, validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=choices([("", _l("All"))] + list(STATUS_LABELS.items())))
