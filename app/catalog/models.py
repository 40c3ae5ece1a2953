from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base


class DictionaryEntry(Base):
    """Data dictionary (数据字典): (type, item, value, editable)."""
    __tablename__ = "dictionary_entry"
    __table_args__ = (UniqueConstraint("type", "item"), Index("ix_dictionary_type_value", "type", "value"))
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(60))
    editable: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the English UI shows for the item (levels, regions, service types); the item itself when empty.
    label_en: Mapped[str | None] = mapped_column(String(60))


class Product(Base):
    __tablename__ = "product"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    model: Mapped[str | None] = mapped_column(String(60))
    batch: Mapped[str | None] = mapped_column(String(60))
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    memo: Mapped[str | None] = mapped_column(String(300))


class Inventory(Base):
    __tablename__ = "inventory"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    warehouse: Mapped[str] = mapped_column(String(60), index=True)
    location: Mapped[str | None] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    memo: Mapped[str | None] = mapped_column(String(300))
    product: Mapped[Product] = relationship(lazy="joined")


class Order(Base):
    """Orders come from the order system and are read-only in the CRM."""
    __tablename__ = "customer_order"
    __table_args__ = (Index("ix_customer_order_customer_date", "customer_id", "order_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    order_date: Mapped[date] = mapped_column(Date, index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))  # paid | unpaid
    total: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    customer = relationship("Customer")
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    order_by="OrderLine.id")


class OrderLine(Base):
    __tablename__ = "order_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price
