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
    # Why the analyst deployed it, and what changed against the version that ran before
    # ({added, removed, changed}: lists of {id, name, type}; processes.diff).
    note: Mapped[str | None] = mapped_column(Text)
    change_summary: Mapped[dict | None] = mapped_column(JSON)


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

    # Optimistic check on top of the row lock: an UPDATE that finds another lock_version raises StaleDataError
    # (engine steps write through processes.step_writes, which checks it too and raises ConcurrentUpdate).
    __mapper_args__ = {"version_id_col": lock_version}

    # Not a column: the open user tasks ([step_info dicts]) once a step of this session saved the instance, so
    # the caller answers with them without reading them back; None when not known.
    open_steps = None


class HumanTask(EngineBase):
    __tablename__ = "human_task"
    __table_args__ = (
        # The inbox is two branches (app/inbox/service.py): the lane's unassigned tasks and the tasks assigned to
        # the user. Each has an index per sort order whose columns answer the branch alone (index-only scans), so
        # a page is a merge of two ordered scans that stops after the page, whatever the size of the lane.
        Index("ix_human_task_lane", "role", "created_at", "id",
              postgresql_include=["claimed_by", "due_at"],
              postgresql_where=text("completed_at IS NULL AND assignee_id IS NULL"),
              sqlite_where=text("completed_at IS NULL AND assignee_id IS NULL")),
        Index("ix_human_task_lane_due", "role", "due_at", "id",
              postgresql_include=["claimed_by", "created_at"],
              postgresql_where=text("completed_at IS NULL AND assignee_id IS NULL"),
              sqlite_where=text("completed_at IS NULL AND assignee_id IS NULL")),
        Index("ix_human_task_assigned", "assignee_id", "created_at", "id",
              postgresql_include=["role", "claimed_by", "due_at"],
              postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        Index("ix_human_task_assigned_due", "assignee_id", "due_at", "id",
              postgresql_include=["role", "claimed_by", "created_at"],
              postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        # Those who watch processes see every open task (tab "all"): one branch, read in list order.
        Index("ix_human_task_open", "created_at", "id", postgresql_include=["due_at"],
              postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        Index("ix_human_task_open_due", "due_at", "id", postgresql_include=["created_at"],
              postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        # Domain worklists (processes.records.waiting_at): the open tasks of one step of a process.
        Index("ix_human_task_step", "process_key", "bpmn_id", "business_key",
              postgresql_include=["assignee_id", "claimed_by"],
              postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
        # ... and those of one step assigned to one user (the development, handling and churn-decision badges every
        # page of a manager counts): read directly, not by filtering every open task of that step (migration 0016).
        Index("ix_human_task_assignee_step", "assignee_id", "process_key", "bpmn_id",
              postgresql_include=["business_key"],
              postgresql_where=text("completed_at IS NULL"), sqlite_where=text("completed_at IS NULL")),
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


class ProcessMigration(EngineBase):
    """An analyst moved running instances from one version to another (processes.migration); each moved instance
    also has a `migrated` history row. A revert is a migration back, pointing at the one it undoes."""
    __tablename__ = "process_migration"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    from_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    user_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)
    migrated: Mapped[list] = mapped_column(JSON, default=list)  # instance ids
    refused: Mapped[list] = mapped_column(JSON, default=list)  # [{instance_id, reason}]
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("process_migration.id"))


class ProcessForm(EngineBase):
    """A task form (JSON Schema or UI schema) saved from the form editor: versioned like a model, the newest version
    of a name is used by the next deployment that names it (over the repository folder forms/)."""
    __tablename__ = "process_form"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    saved_by: Mapped[int | None] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(DateTime)
