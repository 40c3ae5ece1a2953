"""Engine tables: deployed definitions, instances, the human-task inbox, and the append-only event log."""
from datetime import datetime

from sqlalchemy import (JSON, BigInteger, DateTime, ForeignKey, Index, Integer, MetaData, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class EngineBase(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class ProcessDefinition(EngineBase):
    __tablename__ = "process_definition"
    # Content may repeat across versions (a revert deploys the old content as a new version).
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(JSON, default=dict)
    deployed_by: Mapped[int | None] = mapped_column(Integer)
    deployed_at: Mapped[datetime] = mapped_column(DateTime)


class ProcessInstance(EngineBase):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_business", "definition_key", "business_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    definition_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(100))
    # What the business record is called, so inbox rows show it without joining domain tables.
    subject: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    state: Mapped[dict | None] = mapped_column(JSON)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    next_timer_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    # Optimistic check on top of the row lock: an UPDATE that finds another lock_version raises StaleDataError.
    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(EngineBase):
    __tablename__ = "human_task"
    __table_args__ = (
        # The inbox: open tasks of a lane in waiting order; the covering columns let PostgreSQL count a lane,
        # filter and sort by due date and pick a page from the index alone (bench/engine.py: ~10 ms instead of
        # ~150 ms at 100k open tasks).
        Index("ix_human_task_inbox", "role", "created_at",
              postgresql_include=["id", "assignee_id", "claimed_by", "due_at"],
              postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        Index("ix_human_task_open_assignee", "assignee_id", "completed_at"),
        UniqueConstraint("task_uuid"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_uuid: Mapped[str] = mapped_column(String(36))
    process_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(200))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(50))
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    claimed_by: Mapped[int | None] = mapped_column(Integer)
    form: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[int | None] = mapped_column(Integer)
    # How the task left the inbox: completed, cancelled (instance cancelled), interrupted (a boundary event won).
    outcome: Mapped[str | None] = mapped_column(String(20))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProcessEvent(EngineBase):
    """Append-only audit: completions, timer fires, deployments, errors, retries."""
    __tablename__ = "process_event"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_uuid: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime)
