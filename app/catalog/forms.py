from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.common.date_range import NotBefore

STATUS_LABELS = {"paid": _l("Paid"), "unpaid": _l("Unpaid")}


def choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


class _Filters(FlaskForm):
    class Meta:
        csrf = False


class DictionaryFilterForm(_Filters):
    type = SelectField(_l("Type"), validators=[Optional()])
    q = StringField(_l("Item or value"), validators=[Optional()])


class DictionaryForm(FlaskForm):
    type = StringField(_l("Type"), validators=[DataRequired(), Length(max=40)])
    item = StringField(_l("Item"), validators=[DataRequired(), Length(max=60)])
    value = StringField(_l("Value"), validators=[DataRequired(), Length(max=60)])
    label_en = StringField(_l("English label"), validators=[Optional(), Length(max=60)],
                           description=_l("What the English pages show for the item; the item when empty."))
    editable = BooleanField(_l("Editable"), default=True,
                            description=_l("Untick to lock the entry: it can then never be changed or deleted."))


class ProductFilterForm(_Filters):
    name = StringField(_l("Product name"), validators=[Optional()])
    model = StringField(_l("Model"), validators=[Optional()])
    batch = StringField(_l("Batch"), validators=[Optional()])


class InventoryFilterForm(_Filters):
    product = StringField(_l("Product"), validators=[Optional()])
    warehouse = StringField(_l("Warehouse"), validators=[Optional()])


class OrderFilterForm(_Filters):
    q = StringField(_l("Order number"), validators=[Optional()])
    customer = StringField(_l("Customer"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=choices([("", _l("All"))] + list(STATUS_LABELS.items())))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional(), NotBefore("date_from")])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file."))])
