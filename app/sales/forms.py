"""Page forms. They carry labels, required marks and what the user typed; the rules live in the services (shared
with the API), so views hand the raw values to the service and show its field errors. CSRF is checked app-wide."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import DateInput, NumberInput

from app.common.date_range import NotBefore
from app.sales.labels import STATUS_LABELS


class OpportunityForm(FlaskForm):
    source = StringField(_l("Source"))
    customer_name = StringField(_l("Customer name"), validators=[InputRequired()])
    # Text, not IntegerField: "abc" or "150" must come back to the user as typed, with the service's message.
    probability = StringField(_l("Success probability"), validators=[InputRequired()],
                              widget=NumberInput(min=0, max=100, step=1))
    summary = StringField(_l("Summary"), validators=[InputRequired()])
    contact = StringField(_l("Contact"))
    contact_phone = StringField(_l("Contact phone"))
    description = TextAreaField(_l("Description"), validators=[InputRequired()])
    # Only offered to users who may assign (a supervisor may assign at creation).
    assignee_id = SelectField(_l("Assign to"), coerce=int, validators=[Optional()], validate_choice=False)

    FIELDS = ("source", "customer_name", "probability", "summary", "contact", "contact_phone", "description")

    def values(self):
        return {name: getattr(self, name).data for name in self.FIELDS}


class AssignForm(FlaskForm):
    assignee_id = SelectField(_l("Customer manager"), coerce=int, validators=[InputRequired()],
                              validate_choice=False)


class PlanItemForm(FlaskForm):
    date = StringField(_l("Date"), validators=[InputRequired()], widget=DateInput())
    todo = StringField(_l("To-do"), validators=[InputRequired()])


class ResultForm(FlaskForm):
    result = TextAreaField(_l("Result"))


class OpportunityFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    customer_name = StringField(_l("Customer name"), validators=[Optional()])
    summary = StringField(_l("Summary"), validators=[Optional()])
    contact = StringField(_l("Contact"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[SelectChoice("", _l("All"))] + [SelectChoice(c, l) for c, l in STATUS_LABELS.items()])
    assignee_id = SelectField(_l("Assignee"), validators=[Optional()], validate_choice=False)
    created_from = StringField(_l("Created from"), validators=[Optional()], widget=DateInput())
    created_to = StringField(_l("Created to"), validators=[Optional(), NotBefore("created_from")], widget=DateInput())

