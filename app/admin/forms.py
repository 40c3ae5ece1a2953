from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional


def choices(pairs):
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("User name or name"), validators=[Optional()])
    role = SelectField(_l("Role"), validators=[Optional()])
    active = SelectField(_l("Status"), choices=choices([("", _l("All")), ("1", _l("Active")), ("0", _l("Disabled"))]),
                         validators=[Optional()])


class UserCreateForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(min=2, max=60)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
    active = BooleanField(_l("Active"), default=True)


class UserEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    role = SelectField(_l("Role"), validators=[DataRequired()])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class RoleCreateForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=2, max=40)])
    name = StringField(_l("Role name"), validators=[DataRequired(), Length(max=60)])


class RoleEditForm(FlaskForm):
    """Name plus the ticked rights (checkbox list `rights`, read from request.form by the view)."""
    name = StringField(_l("Role name"), validators=[DataRequired(), Length(max=60)])
