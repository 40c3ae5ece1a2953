"""Customer rules (SPEC §6): numbering, creation, query and search, edit, logical delete, record-level scope.

Keyword-only functions taking the session first; they never commit.
"""
from datetime import date, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from app.auth.guard import sees_all
from app.auth.models import User
from app.common.errors import NotFound, ValidationFailed
from app.common.models import AuditRecord
from app.customers import lookups
from app.customers.models import Contact, Customer
from app.customers.validation import CUSTOMER_FIELDS, blank, clean_contact, clean_customer
from processes.clock import utcnow

VISIBLE_STATUSES = ("normal", "lost")  # 'deleted' customers are kept for history and reports, never listed
NUMBER_ATTEMPTS = 5
# Pages show the manager's name only: skip the manager's role and rights that User loads by default.
WITH_MANAGER_NAME = joinedload(Customer.manager).options(lazyload(User.role))


def local_today() -> date:
    """Today in the company time zone: customer numbers carry the local date."""
    tzname = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return utcnow().replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tzname)).date()


# --- numbering and creation -------------------------------------------------------------------------------------

def next_customer_no(db, on_date: date) -> str:
    """KH + yyMMdd + a per-day sequence of at least 3 digits (KH250314001, ..., KH250314999, KH2503141000)."""
    prefix = "KH" + on_date.strftime("%y%m%d")
    # A range instead of LIKE: PostgreSQL uses the unique index for it under any collation.
    last = db.scalar(select(Customer.no).where(Customer.no > prefix, Customer.no < prefix + ":")
                     .order_by(func.length(Customer.no).desc(), Customer.no.desc()).limit(1))
    seq = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{seq:03d}"


def create_customer(db, *, name, manager_id, contact_name=None, contact_phone=None, level=1, region=None,
                    on_date=None, created_at=None, **fields) -> Customer:
    """A new normal customer and, when a contact name is given, its first contact (SPEC §4: an opportunity that
    succeeds). `fields` takes any other customer field (address, phone, ...), validated like an edit.

    Raises ValidationFailed (which rejects the BPMN step that called it) on bad input or an unknown manager."""
    data = {"name": name, "level": level, "region": region, **fields}
    unknown = set(data) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    clean, errors = clean_customer(data, levels=lookups.level_labels(db), regions=lookups.region_choices(db))
    if manager_id is not None and lookups.active_manager(db, manager_id) is None:
        errors.setdefault("manager_id", []).append(_("Choose an active customer manager."))
    contact = None
    if not blank(contact_name):
        contact, contact_errors = _first_contact(contact_name, contact_phone)
        for field, messages in contact_errors.items():
            errors.setdefault(f"contact_{field}", []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    on_date = on_date or local_today()
    for attempt in range(NUMBER_ATTEMPTS):
        customer = Customer(no=next_customer_no(db, on_date), manager_id=manager_id, status="normal",
                            created_at=created_at or utcnow(), **clean)
        try:
            # A savepoint per attempt: two requests numbering the same day collide on the unique number, the
            # loser retries with the next one instead of failing the whole transaction.
            with db.begin_nested():
                db.add(customer)
                db.flush()
            break
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    if contact is not None:
        contact.customer_id = customer.id
        db.add(contact)
        db.flush()
    return customer


def _first_contact(name, phone):
    phone = str(phone).strip() if phone else None
    # A Chinese mobile number goes to 'mobile', anything else is an office line.
    key = "mobile" if phone and phone.isdigit() and len(phone) == 11 and phone.startswith("1") else "office_phone"
    clean, errors = clean_contact({"name": name, key: phone})
    return (Contact(**clean) if not errors else None), {("phone" if k == key else k): v for k, v in errors.items()}


# --- scope, query and search ------------------------------------------------------------------------------------

def scoped(stmt, user):
    """Record-level rule: without data.all a user sees only the customers they manage."""
    if sees_all(user):
        return stmt
    return stmt.where(Customer.manager_id == user.id)


def get_customer(db, no, *, user) -> Customer:
    """The customer numbered `no` if `user` may see it; deleted and other managers' customers are 'not found'."""
    customer = db.scalar(select(Customer).where(Customer.no == no).options(WITH_MANAGER_NAME))
    if customer is None or customer.status not in VISIBLE_STATUSES \
            or not (sees_all(user) or customer.manager_id == user.id):
        raise NotFound(_("Customer %(no)s not found.", no=no))
    return customer


# --- edit and delete --------------------------------------------------------------------------------------------

def update_customer(db, customer, *, data, user, partial=False) -> Customer:
    """Apply every editable field in `data` (a form or JSON body) or raise ValidationFailed with all messages."""
    clean, errors = clean_customer(data, levels=lookups.level_labels(db), regions=lookups.region_choices(db),
                                   partial=partial)
    if errors:
        raise ValidationFailed(errors)
    for field, value in clean.items():
        setattr(customer, field, value)
    db.flush()
    return customer


def delete_customer(db, customer, *, user) -> None:
    """Logical delete: the row stays (orders, processes and reports still refer to it) but no list shows it."""
    before = customer.status
    customer.status = "deleted"
    db.add(AuditRecord(entity="customer", entity_id=customer.no, action="delete", user_id=user.id,
                       data={"name": customer.name, "status_before": before, "manager_id": customer.manager_id},
                       at=utcnow()))
    db.flush()


def mark_lost(customer) -> None:
    """A confirmed churn case (app.churn) makes its customer lost; a deleted customer stays deleted. The customer
    domain owns the status, so the churn domain asks here instead of writing it."""
    if customer.status == "normal":
        customer.status = "lost"
