from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

OPPORTUNITY_STATUSES = ("unassigned", "in_development", "succeeded", "failed", "terminated")


class Opportunity(Base):
    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_assignee_status", "assignee_id", "status"),
        # A manager's record scope (app.sales.process.scope_clause): the unassigned ones they recorded, read
        # directly instead of by scanning every opportunity (migration 0017).
        Index("ix_opportunity_unassigned_creator", "created_by",
              postgresql_where=text("assignee_id IS NULL"), sqlite_where=text("assignee_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str | None] = mapped_column(String(100))
    customer_name: Mapped[str] = mapped_column(String(100), index=True)
    probability: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="unassigned", index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    plan_items: Mapped[list["PlanItem"]] = relationship(back_populates="opportunity", order_by="PlanItem.date")


class PlanItem(Base):
    __tablename__ = "plan_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    todo: Mapped[str] = mapped_column(String(500))
    result: Mapped[str | None] = mapped_column(String(500))
    opportunity: Mapped[Opportunity] = relationship(back_populates="plan_items")
