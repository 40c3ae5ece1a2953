"""A won opportunity becomes a customer with its first contact person (SPEC §4)."""
import re

from sqlalchemy import func, select

from app.customers.models import Contact, Customer
from processes.clock import utcnow

MOBILE = re.compile(r"^\+?(86)?1\d{10}$")


def next_customer_no(db, now):
    # Interim until app.customers.service.next_customer_no lands: KH + yyMMdd + 3-digit sequence of the day.
    prefix = "KH" + now.strftime("%y%m%d")
    last = db.scalar(select(func.max(Customer.no)).where(Customer.no.like(prefix + "%")))
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


def create_customer_for(db, opp):
    now = utcnow()
    customer = Customer(no=next_customer_no(db, now), name=opp.customer_name, manager_id=opp.assignee_id, level=1,
                        status="normal", phone=opp.contact_phone, created_at=now)
    db.add(customer)
    db.flush()
    if opp.contact:
        phone = opp.contact_phone or None
        is_mobile = bool(phone and MOBILE.match(phone.replace(" ", "").replace("-", "")))
        db.add(Contact(customer_id=customer.id, name=opp.contact, mobile=phone if is_mobile else None,
                       office_phone=None if is_mobile else phone))
        db.flush()
    return customer
