"""A won opportunity becomes a customer with its first contact person (SPEC §4), through the customers service."""
from app.customers.service import create_customer


def create_customer_for(db, opp):
    """Name, contact and phone from the opportunity; manager = the assignee; level 普通客户 (1); status normal."""
    return create_customer(db, name=opp.customer_name, manager_id=opp.assignee_id, level=1,
                           contact_name=opp.contact, contact_phone=opp.contact_phone, phone=opp.contact_phone)
