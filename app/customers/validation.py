"""Field rules shared by the pages and the API: raw input (form strings or JSON values) in, clean values or
per-field messages out. Services call these and raise ValidationFailed with every message at once."""
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]*[0-9]$")
POSTCODE_RE = re.compile(r"^[0-9]{6}$")
# Scheme optional (people type www.example.com); a host with a dot, an optional port and path.
URL_RE = re.compile(r"^(https?://)?([a-z0-9]([a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}(:[0-9]{1,5})?([/?#]\S*)?$",
                    re.IGNORECASE)
# Sex is stored as a code (M | F). Imported and legacy rows may hold 男/女 or English words: read as the codes.
SEX_CODES = {"m": "M", "f": "F", "男": "M", "女": "F", "male": "M", "female": "F"}


def sex_code(value):
    """M, F, or None for a value that is not a sex."""
    return SEX_CODES.get(str(value).strip().lower()) if value is not None else None


def blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


class Invalid(Exception):
    """Raised by a field check with the message to show on the field."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _integer(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


class Cleaner:
    """Collects clean values and messages. With partial=True (API PATCH) only the keys present are checked.

    Every field goes through `field`: the handling of absent and empty input is the same for all, and each rule
    only turns a given value into its clean form or raises Invalid."""

    def __init__(self, data, partial=False):
        self.data = data
        self.partial = partial
        self.clean = {}
        self.errors = {}

    def error(self, name, message):
        self.errors.setdefault(name, []).append(message)

    def field(self, name, check, required=False):
        """Absent from a partial update: left alone. Empty: 'required', or cleared (None). Otherwise the stripped
        input goes to check(value), whose result is the clean value; its Invalid is the field's message."""
        if self.partial and name not in self.data:
            return
        value = self.data.get(name)
        if blank(value):
            if required:
                self.error(name, _("This field is required."))
            else:
                self.clean[name] = None
            return
        try:
            self.clean[name] = check(value.strip() if isinstance(value, str) else value)
        except Invalid as invalid:
            self.error(name, invalid.message)

    def text(self, name, max_len, required=False):
        def check(value):
            value = str(value)
            if len(value) > max_len:
                raise Invalid(_("At most %(n)s characters.", n=max_len))
            return value
        self.field(name, check, required)

    def phone(self, name, required=False):
        def check(value):
            value = str(value)
            digits = sum(ch.isdigit() for ch in value)
            if not PHONE_RE.match(value) or not 7 <= digits <= 20 or len(value) > 30:
                raise Invalid(_("Enter a phone number: 7 to 20 digits, spaces, hyphens or parentheses allowed."))
            return value
        self.field(name, check, required)

    def postcode(self, name):
        def check(value):
            if not POSTCODE_RE.match(str(value)):
                raise Invalid(_("A postcode is 6 digits."))
            return str(value)
        self.field(name, check)

    def website(self, name):
        def check(value):
            value = str(value)
            if len(value) > 200 or not URL_RE.match(value):
                raise Invalid(_("Enter a website address such as www.example.com."))
            # Stored with its scheme so the customer page can link to it.
            return value if re.match(r"^https?://", value, re.I) else "http://" + value
        self.field(name, check)

    def amount(self, name, max_value):
        def check(value):
            try:
                amount = None if isinstance(value, bool) else Decimal(str(value).replace(",", ""))
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite():
                raise Invalid(_("Enter an amount such as 1200.50."))
            if amount < 0:
                raise Invalid(_("The amount cannot be negative."))
            if amount >= max_value:
                raise Invalid(_("The amount is too large."))
            if amount.as_tuple().exponent < -2:
                raise Invalid(_("At most two decimal places."))
            return amount
        self.field(name, check)

    def rating(self, name):
        """Satisfaction and credit: 1 to 5, optional."""
        def check(value):
            number = _integer(value)
            if number is None or not 1 <= number <= 5:
                raise Invalid(_("Choose a value from 1 to 5."))
            return number
        self.field(name, check)

    def level(self, name, levels):
        def check(value):
            number = _integer(value)
            if number not in levels:
                raise Invalid(_("Choose a level from the data dictionary."))
            return number
        self.field(name, check, required=True)

    def region(self, name, regions):
        def check(value):
            if value not in regions:
                raise Invalid(_("Choose a region from the data dictionary."))
            return value
        self.field(name, check)

    def sex(self, name):
        def check(value):
            code = sex_code(value)
            if code is None:
                raise Invalid(_("Choose male or female."))
            return code
        self.field(name, check)

    def past_date(self, name, today, required=True):
        """An interaction already happened: a real date, not after today."""
        def check(value):
            if not isinstance(value, date):
                try:
                    value = date.fromisoformat(str(value))
                except ValueError:
                    raise Invalid(_("Enter a date as YYYY-MM-DD.")) from None
            if value > today:
                raise Invalid(_("The date cannot be in the future."))
            return value
        self.field(name, check, required)


# Customer fields editable by a user; status, number and manager change only through their own actions.
CUSTOMER_TEXT_FIELDS = {"address": 200, "fax": 30, "licence_no": 50, "legal_rep": 50, "bank": 100,
                        "bank_account": 50, "local_tax_no": 50, "national_tax_no": 50}
CUSTOMER_FIELDS = ("name", "region", "level", "satisfaction", "credit", "address", "postcode", "phone", "fax",
                   "website", "licence_no", "legal_rep", "registered_capital", "turnover", "bank", "bank_account",
                   "local_tax_no", "national_tax_no")


def clean_customer(data, *, levels, regions, partial=False):
    c = Cleaner(data, partial)
    c.text("name", 100, required=True)
    c.region("region", regions)
    c.level("level", levels)
    c.rating("satisfaction")
    c.rating("credit")
    c.postcode("postcode")
    c.phone("phone")
    c.phone("fax")
    c.website("website")
    for name, max_len in CUSTOMER_TEXT_FIELDS.items():
        if name != "fax":
            c.text(name, max_len)
    c.amount("registered_capital", Decimal("1e14"))  # Numeric(16, 2)
    c.amount("turnover", Decimal("1e16"))  # Numeric(18, 2)
    return c.clean, c.errors


CONTACT_FIELDS = ("name", "sex", "position", "office_phone", "mobile", "memo")


def clean_contact(data, partial=False):
    c = Cleaner(data, partial)
    c.text("name", 50, required=True)
    c.sex("sex")
    c.text("position", 50)
    c.phone("office_phone")
    c.phone("mobile")
    c.text("memo", 300)
    return c.clean, c.errors


ACTIVITY_FIELDS = ("date", "place", "summary", "details", "remark")


def clean_activity(data, *, today, partial=False):
    c = Cleaner(data, partial)
    c.past_date("date", today)
    c.text("place", 100)
    c.text("summary", 200, required=True)
    c.text("details", 4000)
    c.text("remark", 300)
    return c.clean, c.errors
