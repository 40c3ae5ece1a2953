from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

OPEN_CHURN_STATUSES = ("warning", "postponed")
CHURN_STATUSES = ("warning", "postponed", "confirmed", "retained")


class ChurnCase(Base):
    __tablename__ = "churn_case"
    __table_args__ = (
        # At most one open case per customer, even for two scans at once (partial unique index).
        Index("uq_churn_case_open_customer", "customer_id", unique=True,
              postgresql_where=text("status IN ('warning', 'postponed')"),
              sqlite_where=text("status IN ('warning', 'postponed')")),
        Index("ix_churn_case_manager_status", "manager_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_order_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="warning", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    measures: Mapped[list["ChurnMeasure"]] = relationship(back_populates="case",
                                                          order_by="(ChurnMeasure.at, ChurnMeasure.id)")
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    manager = relationship("User", lazy="joined")


class ChurnMeasure(Base):
    __tablename__ = "churn_measure"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("churn_case.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    case: Mapped[ChurnCase] = relationship(back_populates="measures")
    by = relationship("User", lazy="joined")
