"""Page forms. They carry CSRF, labels and required marks; the rules live in validation.py so that the pages and
the API agree. Selects do not check their choices here: the service does, with a message next to the field."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice as Opt


class Required:
    """Marks a field required (asterisk, browser hint) without checking it: the service's rule gives the message,
    so a field never shows the same complaint twice in two wordings."""
    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


RATING_CHOICES = [Opt("", "—")] + [Opt(str(i)) for i in range(1, 6)]


class CustomerForm(FlaskForm):
    name = StringField(_l("Customer name"), validators=[Required()])
    region = SelectField(_l("Region"), validate_choice=False)
    level = SelectField(_l("Customer level"), validators=[Required()], validate_choice=False)
    satisfaction = SelectField(_l("Satisfaction"), choices=RATING_CHOICES, validate_choice=False)
    credit = SelectField(_l("Credit"), choices=RATING_CHOICES, validate_choice=False)
    address = StringField(_l("Address"))
    postcode = StringField(_l("Postcode"))
    phone = StringField(_l("Phone"))
    fax = StringField(_l("Fax"))
    website = StringField(_l("Website"))
    licence_no = StringField(_l("Business licence no."))
    legal_rep = StringField(_l("Legal representative"))
    registered_capital = StringField(_l("Registered capital (10k yuan)"))
    turnover = StringField(_l("Annual turnover (yuan)"))
    bank = StringField(_l("Bank"))
    bank_account = StringField(_l("Bank account"))
    local_tax_no = StringField(_l("Local tax no."))
    national_tax_no = StringField(_l("National tax no."))

    def set_choices(self, levels, regions):
        """levels: [(code, label)]; regions: {region as stored: region shown}."""
        self.level.choices = [Opt(str(code), label) for code, label in levels]
        self.region.choices = [Opt("", "—")] + [Opt(r, shown) for r, shown in regions.items()]


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Required()])
    sex = SelectField(_l("Sex"), choices=[Opt("", "—"), Opt("M", _l("Male")), Opt("F", _l("Female"))],
                      validate_choice=False)
    position = StringField(_l("Position"))
    office_phone = StringField(_l("Office phone"))
    mobile = StringField(_l("Mobile"))
    memo = TextAreaField(_l("Memo"))


class ActivityForm(FlaskForm):
    date = StringField(_l("Date"), validators=[Required()], render_kw={"type": "date"})
    place = StringField(_l("Place"))
    summary = StringField(_l("Summary"), validators=[Required()])
    details = TextAreaField(_l("Details"))
    remark = StringField(_l("Remark"))


class TransferForm(FlaskForm):
    manager_id = SelectField(_l("New customer manager"), validators=[Required()], validate_choice=False)
