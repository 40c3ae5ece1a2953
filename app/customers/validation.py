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


class Cleaner:
    """Collects clean values and messages. With partial=True (API PATCH) only the keys present are checked."""

    def __init__(self, data, partial=False):
        self.data = data
        self.partial = partial
        self.clean = {}
        self.errors = {}

    def _skip(self, name):
        return self.partial and name not in self.data

    def error(self, name, message):
        self.errors.setdefault(name, []).append(message)

    def _raw(self, name, required):
        """The stripped input, or None when empty (after recording 'required' if it must be given)."""
        value = self.data.get(name)
        if blank(value):
            if required:
                self.error(name, _("This field is required."))
            else:
                self.clean[name] = None
            return None
        return value.strip() if isinstance(value, str) else value

    def text(self, name, max_len, required=False):
        if self._skip(name):
            return
        value = self._raw(name, required)
        if value is None:
            return
        value = str(value)
        if len(value) > max_len:
            self.error(name, _("At most %(n)s characters.", n=max_len))
        else:
            self.clean[name] = value

    def phone(self, name, required=False):
        if self._skip(name):
            return
        value = self._raw(name, required)
        if value is None:
            return
        value = str(value)
        digits = sum(ch.isdigit() for ch in value)
        if not PHONE_RE.match(value) or not 7 <= digits <= 20 or len(value) > 30:
            self.error(name, _("Enter a phone number: 7 to 20 digits, spaces, hyphens or parentheses allowed."))
        else:
            self.clean[name] = value

    def postcode(self, name):
        if self._skip(name):
            return
        value = self._raw(name, False)
        if value is None:
            return
        if not POSTCODE_RE.match(str(value)):
            self.error(name, _("A postcode is 6 digits."))
        else:
            self.clean[name] = str(value)

    def website(self, name):
        if self._skip(name):
            return
        value = self._raw(name, False)
        if value is None:
            return
        value = str(value)
        if len(value) > 200 or not URL_RE.match(value):
            self.error(name, _("Enter a website address such as www.example.com."))
        else:
            # Stored with its scheme so the customer page can link to it.
            self.clean[name] = value if re.match(r"^https?://", value, re.I) else "http://" + value

    def amount(self, name, max_value):
        if self._skip(name):
            return
        value = self._raw(name, False)
        if value is None:
            return
        if isinstance(value, bool):
            self.error(name, _("Enter an amount such as 1200.50."))
            return
        try:
            amount = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            self.error(name, _("Enter an amount such as 1200.50."))
            return
        if not amount.is_finite():
            self.error(name, _("Enter an amount such as 1200.50."))
        elif amount < 0:
            self.error(name, _("The amount cannot be negative."))
        elif amount >= max_value:
            self.error(name, _("The amount is too large."))
        elif amount.as_tuple().exponent < -2:
            self.error(name, _("At most two decimal places."))
        else:
            self.clean[name] = amount

    def _integer(self, value):
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            return None

    def rating(self, name):
        """Satisfaction and credit: 1 to 5, optional."""
        if self._skip(name):
            return
        value = self._raw(name, False)
        if value is None:
            return
        number = self._integer(value)
        if number is None or not 1 <= number <= 5:
            self.error(name, _("Choose a value from 1 to 5."))
        else:
            self.clean[name] = number

    def level(self, name, levels):
        if self._skip(name):
            return
        value = self._raw(name, True)
        if value is None:
            return
        number = self._integer(value)
        if number not in levels:
            self.error(name, _("Choose a level from the data dictionary."))
        else:
            self.clean[name] = number

    def region(self, name, regions):
        if self._skip(name):
            return
        value = self._raw(name, False)
        if value is None:
            return
        if value not in regions:
            self.error(name, _("Choose a region from the data dictionary."))
        else:
            self.clean[name] = value

    def sex(self, name):
        if self._skip(name):
            return
        value = self._raw(name, False)
        if value is None:
            return
        code = sex_code(value)
        if code is None:
            self.error(name, _("Choose male or female."))
        else:
            self.clean[name] = code

    def past_date(self, name, today, required=True):
        """An interaction already happened: a real date, not after today."""
        if self._skip(name):
            return
        value = self._raw(name, required)
        if value is None:
            return
        if not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                self.error(name, _("Enter a date as YYYY-MM-DD."))
                return
        if value > today:
            self.error(name, _("The date cannot be in the future."))
        else:
            self.clean[name] = value


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
