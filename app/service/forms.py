"""Page forms (Flask-WTF: CSRF, field errors, the user's input kept on re-render)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.common.date_range import NotBefore
from app.common.dates import FilterDayRange
from app.service.actions import HANDLING_MAX, RESULT_MAX
from app.service.service import REQUEST_MAX, SUMMARY_MAX


class CreateForm(FlaskForm):
    type = SelectField(_l("Service type"), validators=[DataRequired()])
    # The customer number; the type-ahead (static/customer-picker.js) fills it from /customers/suggest.json, and
    # without JavaScript the user types the number. The service says when no visible customer has it.
    customer_no = StringField(_l("Customer"), validators=[DataRequired(), Length(max=20)])
    summary = StringField(_l("Summary"), validators=[DataRequired(), Length(max=SUMMARY_MAX)])
    request = TextAreaField(_l("Request details"), validators=[DataRequired(), Length(max=REQUEST_MAX)])


class DispatchForm(FlaskForm):
    assignee_id = SelectField(_l("Handler"), coerce=int, validators=[InputRequired()])


class HandleForm(FlaskForm):
    handling = TextAreaField(_l("Service handling"), validators=[DataRequired(), Length(max=HANDLING_MAX)])


class FeedbackForm(FlaskForm):
    result = TextAreaField(_l("Handling result"), validators=[DataRequired(), Length(max=RESULT_MAX)])
    # Rendered as five star radio buttons (templates/service/_service.html); a number 1-5 on the wire.
    satisfaction = IntegerField(_l("Satisfaction"), validators=[InputRequired(), NumberRange(min=1, max=5)])


class ArchiveFilter(FlaskForm):
    class Meta:
        csrf = False  # a GET query form: bookmarkable, changes nothing

    customer = StringField(_l("Customer"), validators=[Optional(), Length(max=100)])
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=200)])
    type = SelectField(_l("Service type"), validators=[Optional()])
    created_from = DateField(_l("Created from"), validators=[Optional(), FilterDayRange()])
    created_to = DateField(_l("Created to"), validators=[Optional(), FilterDayRange(), NotBefore("created_from")])
    status = SelectField(_l("Status"), validators=[Optional()])
