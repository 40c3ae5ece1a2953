"""Basic data pages: the data dictionary here; products, inventory and orders in views_orders."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.guard import requires
from app.catalog import dictionary_service as dictionary
from app.catalog.forms import DictionaryFilterForm, DictionaryForm, choices
from app.common.errors import ServiceError, ValidationFailed
from app.common.forms import apply_errors
from app.common.listing import page_args, paginate, wants_export, xlsx_response
from app.db import db_session

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


@bp.app_template_filter("dict_label")
def _dict_label(item, type):
    """`{{ customer.region|dict_label('地区') }}`: a stored dictionary item in the UI language (plain str)."""
    return dictionary.labels_of(db_session, type).get(item, item) if item else ""


@bp.route("/dictionary")
@requires("dictionary.view")
def list_dictionary():
    form = DictionaryFilterForm(request.args)
    form.type.choices = choices([("", _("All"))] + [(t, t) for t in dictionary.list_types(db_session)])
    stmt = dictionary.query_entries(type=form.type.data or None, q=form.q.data)
    if wants_export():
        rows = ((e.type, e.item, e.value, _("Yes") if e.editable else _("No")) for e in db_session.scalars(stmt))
        return xlsx_response("dictionary.xlsx", [_("Type"), _("Item"), _("Value"), _("Editable")], rows)
    page = paginate(db_session, stmt, *page_args())
    return render_template("catalog/dictionary.html", form=form, page=page)


@bp.route("/dictionary/types.json")
@requires("dictionary.view", "dictionary.edit")
def dictionary_types():
    """The existing types, for the type field's autocompletion."""
    return jsonify(dictionary.list_types(db_session, prefix=request.args.get("q")))


@bp.route("/dictionary/new", methods=["GET", "POST"])
@requires("dictionary.edit")
def create_dictionary_entry():
    form = DictionaryForm(data={"type": request.args.get("type", "")} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            entry = dictionary.create_entry(db_session, type=form.type.data, item=form.item.data,
                                            value=form.value.data, editable=form.editable.data,
                                            label_en=form.label_en.data)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
        else:
            db_session.commit()
            flash(_("Entry %(type)s / %(item)s saved.", type=entry.type, item=entry.item), "success")
            return redirect(url_for(".list_dictionary", type=entry.type))
    return render_template("catalog/dictionary_form.html", form=form, entry=None), 422 if form.errors else 200


@bp.route("/dictionary/<int:entry_id>/edit", methods=["GET", "POST"])
@requires("dictionary.edit")
def edit_dictionary_entry(entry_id):
    entry = dictionary.get_entry(db_session, entry_id)
    form = DictionaryForm(obj=entry)
    if not entry.editable:  # a locked entry takes a new English label only: the rest stays as stored
        form.type.data, form.item.data, form.value.data, form.editable.data = \
            entry.type, entry.item, entry.value, False
    if form.validate_on_submit():
        try:
            dictionary.update_entry(db_session, entry_id=entry.id, type=form.type.data, item=form.item.data,
                                    value=form.value.data, editable=form.editable.data,
                                    label_en=form.label_en.data)
        except ValidationFailed as err:
            db_session.rollback()
            apply_errors(form, err.errors)
        else:
            db_session.commit()
            flash(_("Entry %(type)s / %(item)s saved.", type=form.type.data, item=form.item.data), "success")
            return redirect(url_for(".list_dictionary", type=form.type.data))
    return render_template("catalog/dictionary_form.html", form=form, entry=entry), 422 if form.errors else 200


@bp.route("/dictionary/<int:entry_id>/delete", methods=["POST"])
@requires("dictionary.edit")
def delete_dictionary_entry(entry_id):
    entry = dictionary.get_entry(db_session, entry_id)
    label, type_ = f"{entry.type} / {entry.item}", entry.type
    try:
        dictionary.delete_entry(db_session, entry_id=entry.id)
    except ServiceError as err:
        db_session.rollback()
        flash(err.detail, "error")
    else:
        db_session.commit()
        flash(_("Entry %(name)s deleted.", name=label), "success")
    return redirect(url_for(".list_dictionary", type=type_))


from app.catalog import views_orders  # noqa: E402,F401  (registers the product, inventory and order pages on bp)
