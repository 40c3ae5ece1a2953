from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_manager_status", "manager_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(20), unique=True)  # KH + yyMMdd + sequence
    name: Mapped[str] = mapped_column(String(100), index=True)
    region: Mapped[str | None] = mapped_column(String(40), index=True)
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
    manager = relationship("User", lazy="joined")
    contacts: Mapped[list["Contact"]] = relationship(back_populates="customer", order_by="Contact.id")


class Contact(Base):
    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[str | None] = mapped_column(String(4))
    position: Mapped[str | None] = mapped_column(String(50))
    office_phone: Mapped[str | None] = mapped_column(String(30))
    mobile: Mapped[str | None] = mapped_column(String(30), index=True)
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
