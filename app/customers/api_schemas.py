"""Marshmallow schemas of /api/v1/customers (SPEC §12 field names). They check types only; the business rules
(ranges, dictionary values, formats) are the services', shared with the pages."""
from marshmallow import EXCLUDE, Schema, fields, validate

from app.common.ints import DbInteger
from app.customers.validation import sex_code
from app.common.api_schemas import PageOut

LIST_SIZE = validate.Range(min=1, max=200)


class CustomerPageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    page = DbInteger(load_default=1, validate=validate.Range(min=1))
    per_page = DbInteger(load_default=20, validate=LIST_SIZE)


class CustomerQuery(CustomerPageQuery):
    q = fields.String(metadata={"description": "Free text: customer number, name, contact name or contact phone"})
    no = fields.String(metadata={"description": "Part of the customer number"})
    name = fields.String(metadata={"description": "Part of the customer name"})
    region = fields.String()
    manager_id = DbInteger()
    level = DbInteger()
    status = fields.String(validate=validate.OneOf(["normal", "lost"]))


_TEXT = {"allow_none": True}


class SuggestQuery(Schema):
    q = fields.String(required=True, validate=validate.Length(max=100),
                      metadata={"description": "What the user typed: every word must match a customer's number, "
                                               "name or contact"})


class SuggestOut(Schema):
    no = fields.String()
    name = fields.String()


class CustomerOut(Schema):
    no = fields.String()
    name = fields.String()
    region = fields.String(allow_none=True)
    manager_id = fields.Integer(allow_none=True)
    level = fields.Integer()
    satisfaction = fields.Integer(allow_none=True)
    credit = fields.Integer(allow_none=True)
    address = fields.String(**_TEXT)
    postcode = fields.String(**_TEXT)
    phone = fields.String(**_TEXT)
    fax = fields.String(**_TEXT)
    website = fields.String(**_TEXT)
    licence_no = fields.String(**_TEXT)
    legal_rep = fields.String(**_TEXT)
    registered_capital = fields.Decimal(places=2, as_string=True, allow_none=True,
                                        metadata={"description": "万元, a decimal string"})
    turnover = fields.Decimal(places=2, as_string=True, allow_none=True, metadata={"description": "a decimal string"})
    bank = fields.String(**_TEXT)
    bank_account = fields.String(**_TEXT)
    local_tax_no = fields.String(**_TEXT)
    national_tax_no = fields.String(**_TEXT)
    status = fields.String(metadata={"description": "normal | lost (deleted customers are not found)"})


class CustomerIn(Schema):
    """PUT replaces every editable field (absent optional fields are cleared); PATCH changes the fields given.
    Number, manager (see /transfer) and status (see DELETE and the churn process) are not editable here."""
    name = fields.String()
    region = fields.String(**_TEXT)
    level = DbInteger(metadata={"description": "a value of the dictionary type 客户等级"})
    satisfaction = DbInteger(allow_none=True)
    credit = DbInteger(allow_none=True)
    address = fields.String(**_TEXT)
    postcode = fields.String(**_TEXT)
    phone = fields.String(**_TEXT)
    fax = fields.String(**_TEXT)
    website = fields.String(**_TEXT)
    licence_no = fields.String(**_TEXT)
    legal_rep = fields.String(**_TEXT)
    registered_capital = fields.Decimal(allow_none=True)
    turnover = fields.Decimal(allow_none=True)
    bank = fields.String(**_TEXT)
    bank_account = fields.String(**_TEXT)
    local_tax_no = fields.String(**_TEXT)
    national_tax_no = fields.String(**_TEXT)


class CustomerPage(PageOut):
    items = fields.List(fields.Nested(CustomerOut))


class CustomerTransferIn(Schema):
    manager_id = DbInteger(required=True)


class CustomerTransferOut(Schema):
    customer = fields.Nested(CustomerOut)
    tasks = fields.Integer(metadata={"description": "open tasks moved to the new manager"})
    churn_cases = fields.Integer()
    service_requests = fields.Integer()


class ContactOut(Schema):
    id = fields.Integer()
    name = fields.String()
    sex = fields.Function(lambda c: sex_code(c.sex), allow_none=True, metadata={"description": "M | F"})
    position = fields.String(**_TEXT)
    office_phone = fields.String(**_TEXT)
    mobile = fields.String(**_TEXT)
    memo = fields.String(**_TEXT)


class ContactIn(Schema):
    name = fields.String()
    sex = fields.String(allow_none=True, metadata={"description": "M | F (男/女 are accepted)"})
    position = fields.String(**_TEXT)
    office_phone = fields.String(**_TEXT)
    mobile = fields.String(**_TEXT)
    memo = fields.String(**_TEXT)


class ContactPage(CustomerPage):
    items = fields.List(fields.Nested(ContactOut))


class ActivityOut(Schema):
    id = fields.Integer()
    date = fields.Date()
    place = fields.String(**_TEXT)
    summary = fields.String()
    details = fields.String(**_TEXT)
    remark = fields.String(**_TEXT)


class ActivityIn(Schema):
    date = fields.Date()
    place = fields.String(**_TEXT)
    summary = fields.String()
    details = fields.String(**_TEXT)
    remark = fields.String(**_TEXT)


class ActivityPage(CustomerPage):
    items = fields.List(fields.Nested(ActivityOut))


class CustomerOrderLineOut(Schema):
    product_id = fields.Integer()
    quantity = fields.Integer()
    unit = fields.String(allow_none=True)
    unit_price = fields.Decimal(places=2, as_string=True)
    amount = fields.Decimal(places=2, as_string=True, metadata={"description": "quantity × unit price"})


class CustomerOrderOut(Schema):
    order_no = fields.String()
    customer_no = fields.String()
    date = fields.Date()
    address = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "paid | unpaid"})
    lines = fields.List(fields.Nested(CustomerOrderLineOut))
    total = fields.Decimal(places=2, as_string=True, metadata={"description": "sum of the line amounts"})


class CustomerOrderPage(CustomerPage):
    items = fields.List(fields.Nested(CustomerOrderOut))
