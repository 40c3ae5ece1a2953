"""Orders (订单, SPEC §5): they come from the order system through the API or a bulk import and are read-only here.

Creation is idempotent on order_no: the same order again answers the existing one and creates nothing; the same
order_no with different content is a conflict. The total, sum(quantity × unit_price), is stored on the order.
Field errors name line fields `lines[<index>].<field>` (index from 0).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from app.auth.guard import sees_all
from app.catalog.hooks import order_created
from app.catalog.models import Order, OrderLine, Product
from app.common.errors import Conflict, NotFound, ValidationFailed
from app.common.ints import db_int
from app.customers.models import Customer
from processes.clock import utcnow

STATUSES = ("paid", "unpaid")
MAX_LINES = 500
MAX_QUANTITY = 1_000_000
MAX_PRICE = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_TOTAL = Decimal("99999999999999.99")  # Numeric(16, 2)
CENT = Decimal("0.01")


@dataclass
class LineData:
    product_id: int
    quantity: int
    unit: str | None
    unit_price: Decimal

    @property
    def amount(self):
        return (self.quantity * self.unit_price).quantize(CENT)


@dataclass
class OrderData:
    order_no: str
    customer: Customer
    date: date
    address: str | None
    status: str
    lines: list[LineData]

    @property
    def total(self):
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def _text(value):
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _required(value, errors, field):
    if value == "":
        errors[field] = [_("This field is required.")]
        return False
    return True


def _parse_date(value, errors, field):
    if isinstance(value, datetime):  # spreadsheets hand dates over as datetimes
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        text = _text(value)
        if not _required(text, errors, field):
            return None
        try:
            parsed = date.fromisoformat(text[:10])
        except ValueError:
            errors[field] = [_("Not a date; use YYYY-MM-DD.")]
            return None
    if parsed > utcnow().date() + timedelta(days=1):
        errors[field] = [_("The order date is in the future.")]
    return parsed


def _parse_int(value, errors, field, low, high):
    text = _text(value)
    if not _required(text, errors, field):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors[field] = [_("Not a whole number.")]
        return None
    if number != number.to_integral_value():
        errors[field] = [_("Not a whole number.")]
        return None
    if not low <= number <= high:
        errors[field] = [_("Must be between %(low)s and %(high)s.", low=low, high=high)]
        return None
    return int(number)


def _parse_price(value, errors, field):
    text = _text(value)
    if not _required(text, errors, field):
        return None
    try:
        price = Decimal(text)
    except InvalidOperation:
        errors[field] = [_("Not an amount.")]
        return None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        errors[field] = [_("Must be between %(low)s and %(high)s.", low=0, high=MAX_PRICE)]
        return None
    if price != price.quantize(CENT):
        errors[field] = [_("At most two decimal places.")]
        return None
    return price.quantize(CENT)


def parse_order(db, raw: dict) -> OrderData:
    """Check an order as received (strings or typed values) against the catalog; raise ValidationFailed."""
    errors = {}
    order_no = _text(raw.get("order_no"))
    if _required(order_no, errors, "order_no"):
        if len(order_no) > 40 or any(ch.isspace() for ch in order_no):
            errors["order_no"] = [_("At most 40 characters, without spaces.")]
    customer = None
    customer_no = _text(raw.get("customer_no"))
    if _required(customer_no, errors, "customer_no"):
        customer = db.scalar(select(Customer).where(Customer.no == customer_no))
        if customer is None:
            errors["customer_no"] = [_("No customer has the number %(no)s.", no=customer_no)]
        elif customer.status == "deleted" and (not order_no or _existing(db, order_no) is None):
            # A replay of an order delivered before the deletion still answers that order (idempotent sender).
            errors["customer_no"] = [_("The customer %(no)s is deleted.", no=customer_no)]
    order_date = _parse_date(raw.get("date"), errors, "date")
    address = _text(raw.get("address")) or None
    if address and len(address) > 200:
        errors["address"] = [_("At most %(n)s characters.", n=200)]
    status = _text(raw.get("status"))
    if _required(status, errors, "status") and status not in STATUSES:
        errors["status"] = [_("Must be one of: %(values)s.", values=", ".join(STATUSES))]
    lines = _parse_lines(db, raw.get("lines"), errors)
    if not errors:
        total = sum((line.amount for line in lines), Decimal(0))
        if total > MAX_TOTAL:
            errors["lines"] = [_("The order total is too large.")]
    if errors:
        raise ValidationFailed(errors)
    return OrderData(order_no=order_no, customer=customer, date=order_date, address=address, status=status,
                     lines=lines)


def _parse_lines(db, raw_lines, errors):
    if not isinstance(raw_lines, (list, tuple)) or not raw_lines:
        errors["lines"] = [_("An order needs at least one line.")]
        return []
    if len(raw_lines) > MAX_LINES:
        errors["lines"] = [_("At most %(n)s lines.", n=MAX_LINES)]
        return []
    wanted = set()
    for raw in raw_lines:
        product_id = db_int(_text(raw.get("product_id"))) if isinstance(raw, dict) else None
        if product_id is not None:  # anything else gets its field error below
            wanted.add(product_id)
    products = {p.id: p for p in db.scalars(select(Product).where(Product.id.in_(wanted)))} if wanted else {}
    lines = []
    for i, raw in enumerate(raw_lines):
        prefix = f"lines[{i}]."
        if not isinstance(raw, dict):
            errors[f"lines[{i}]"] = [_("A line is an object with product_id, quantity, unit, unit_price.")]
            continue
        product_id = _parse_int(raw.get("product_id"), errors, prefix + "product_id", 1, 2**31 - 1)
        product = products.get(product_id)
        if product_id is not None and product is None:
            errors[prefix + "product_id"] = [_("No product has the id %(id)s.", id=product_id)]
        quantity = _parse_int(raw.get("quantity"), errors, prefix + "quantity", 1, MAX_QUANTITY)
        unit = _text(raw.get("unit")) or (product.unit if product else None)
        if unit and len(unit) > 20:
            errors[prefix + "unit"] = [_("At most %(n)s characters.", n=20)]
        price = _parse_price(raw.get("unit_price"), errors, prefix + "unit_price")
        if product is not None and quantity is not None and price is not None:
            lines.append(LineData(product_id=product.id, quantity=quantity, unit=unit, unit_price=price))
    return lines


def _signature(customer_id, order_date, address, status, lines):
    return (customer_id, order_date, address or None, status,
            sorted((ln.product_id, ln.quantity, ln.unit or None, Decimal(ln.unit_price).quantize(CENT))
                   for ln in lines))


def differences(order: Order, data: OrderData) -> list[str]:
    """The fields in which an existing order differs from the data received for its order_no."""
    mine = _signature(order.customer_id, order.order_date, order.address, order.status, order.lines)
    theirs = _signature(data.customer.id, data.date, data.address, data.status, data.lines)
    names = ["customer_no", "date", "address", "status", "lines"]
    return [name for name, a, b in zip(names, mine, theirs) if a != b]


def _existing(db, order_no):
    return db.scalar(select(Order).where(Order.order_no == order_no))


def _same_or_conflict(order, data):
    diff = differences(order, data)
    if diff:
        raise Conflict(_("The order %(no)s already exists with different content (%(fields)s).",
                         no=order.order_no, fields=", ".join(diff)), fields=diff)
    return order


def create_order(db, *, data: dict) -> tuple[Order, bool]:
    """Create the order, or return the identical existing one. Returns (order, created)."""
    parsed = parse_order(db, data)
    return create_parsed(db, parsed)


def create_parsed(db, parsed: OrderData) -> tuple[Order, bool]:
    existing = _existing(db, parsed.order_no)
    if existing is not None:
        return _same_or_conflict(existing, parsed), False
    order = Order(order_no=parsed.order_no, customer_id=parsed.customer.id, order_date=parsed.date,
                  address=parsed.address, status=parsed.status, total=parsed.total, imported_at=utcnow(),
                  lines=[OrderLine(product_id=ln.product_id, quantity=ln.quantity, unit=ln.unit,
                                   unit_price=ln.unit_price) for ln in parsed.lines])
    try:
        with db.begin_nested():  # two senders of one order_no at once: the unique index decides, not a race
            db.add(order)
            db.flush()
    except IntegrityError:
        existing = _existing(db, parsed.order_no)
        if existing is None:
            raise
        return _same_or_conflict(existing, parsed), False
    order.customer = parsed.customer
    order_created(db, order)
    return order, True


def query_orders(user, *, q=None, customer_no=None, customer=None, status=None, date_from=None, date_to=None):
    """Orders, newest first. A user without data.all sees only the orders of the customers they manage."""
    stmt = (select(Order).join(Order.customer).options(contains_eager(Order.customer))
            .order_by(Order.order_date.desc(), Order.id.desc()))
    if not sees_all(user):
        stmt = stmt.where(Customer.manager_id == user.id)
    if q and q.strip():
        stmt = stmt.where(Order.order_no.ilike(f"%{q.strip()}%"))
    if customer_no and customer_no.strip():
        stmt = stmt.where(Customer.no == customer_no.strip())
    if customer and customer.strip():
        stmt = stmt.where(Customer.name.ilike(f"%{customer.strip()}%"))
    if status:
        stmt = stmt.where(Order.status == status)
    if date_from:
        stmt = stmt.where(Order.order_date >= date_from)
    if date_to:
        stmt = stmt.where(Order.order_date <= date_to)
    return stmt


def get_order(db, user, order_no) -> Order:
    order = db.scalar(query_orders(user).where(Order.order_no == order_no))
    if order is None:
        raise NotFound(_("No such order."))
    return order
