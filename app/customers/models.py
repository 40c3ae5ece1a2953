from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Table, Text, event, func, null,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, only_on


def search_index(name, column):
    """An index for 'contains' searches (LIKE '%q%'): a trigram GIN index on PostgreSQL (the pg_trgm extension is
    created by migrations/env.py); on SQLite, which has no such index, a plain one."""
    return Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def lowered_chars(text):
    """The characters of lower(text) as an array (PostgreSQL: string_to_array with a NULL separator splits a text
    into its characters). The expression of chars_index; a search must use this same expression to reach it."""
    return func.string_to_array(func.lower(text), null())


def chars_index(name, column):
    """PostgreSQL only: a GIN index over the characters of lower(column), for 'contains' searches of 1 or 2
    characters, which trigrams cannot serve (app/customers/search.py). Created by migration 0003; SQLite has
    none (only_on)."""
    return only_on("postgresql", Index(name, lowered_chars(column), postgresql_using="gin"))


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_manager_status", "manager_id", "status"),
                      # The churn scan's candidates: normal customers silent since before the cutoff (or never
                      # ordering, NULL), read off this index alone instead of every customer's orders.
                      Index("ix_customer_status_last_order", "status", "last_order_date",
                            postgresql_include=["id", "created_at"]),
                      # The list filtered by region (and level): counted from this index alone; 20,000 of a
                      # million customers in 6 ms instead of 170 ms of heap reads.
                      Index("ix_customer_region_level", "region", "level", "status", "id"),
                      search_index("ix_customer_no_search", "no"), search_index("ix_customer_name_search", "name"),
                      search_index("ix_customer_contact_text_search", "contact_text"))
    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(20), unique=True)  # KH + yyMMdd + sequence
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(40))  # indexed by ix_customer_region_level
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    level: Mapped[int] = mapped_column(Integer, default=1, index=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    credit: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(30))
    fax: Mapped[str | None] = mapped_column(String(30))
    website: Mapped[str | None] = mapped_column(String(200))
    licence_no: Mapped[str | None] = mapped_column(String(50))
    legal_rep: Mapped[str | None] = mapped_column(String(50))
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))  # 万元
    turnover: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    bank: Mapped[str | None] = mapped_column(String(100))
    bank_account: Mapped[str | None] = mapped_column(String(50))
    local_tax_no: Mapped[str | None] = mapped_column(String(50))
    national_tax_no: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="normal", index=True)  # normal | lost | deleted
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The date of the customer's latest order (None: never ordered), kept by the order hook
    # (app/customers/last_order.py) in the transaction that records the order.
    last_order_date: Mapped[date | None] = mapped_column(Date)
    # The contacts' names and phones, for the search box (app/customers/contact_text.py keeps it). Deferred: only
    # searches read it, in SQL.
    contact_text: Mapped[str | None] = mapped_column(Text, deferred=True)
    manager = relationship("User", lazy="joined")
    contacts: Mapped[list["Contact"]] = relationship(back_populates="customer", order_by="Contact.id")


chars_index("ix_customer_no_chars", Customer.no)
chars_index("ix_customer_name_chars", Customer.name)
chars_index("ix_customer_contact_text_chars", Customer.contact_text)


class Contact(Base):
    __tablename__ = "contact"
    # (no search indexes: the search box reads the names and phones off customer.contact_text)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str | None] = mapped_column(String(4))
    position: Mapped[str | None] = mapped_column(String(50))
    office_phone: Mapped[str | None] = mapped_column(String(30))
    mobile: Mapped[str | None] = mapped_column(String(30))
    memo: Mapped[str | None] = mapped_column(String(300))
    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Activity(Base):
    """Interaction record (交往记录)."""
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_customer_date", "customer_id", "date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    date: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(Text)
    remark: Mapped[str | None] = mapped_column(String(300))



# The customer page lists the opportunities and churn cases about a customer, so their customer_id is indexed.
# Declared here, next to the page that needs them, by table name: importing those models from here could close an
# import cycle. (service_request.customer_id is indexed in its own model.)
FOREIGN_INDEXES = {"opportunity": "ix_opportunity_customer_id", "churn_case": "ix_churn_case_customer_id"}


def _add_foreign_index(table):
    name = FOREIGN_INDEXES.get(table.name)
    if name and name not in {i.name for i in table.indexes}:
        Index(name, table.c.customer_id)


@event.listens_for(Table, "after_parent_attach")
def _on_table(table, metadata):
    if metadata is Base.metadata:
        _add_foreign_index(table)


for _table in list(Base.metadata.tables.values()):
    _add_foreign_index(_table)


from app.customers import contact_text  # noqa: E402,F401  (registers the events that keep customer.contact_text)
