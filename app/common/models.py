from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class AuditRecord(Base):
    """Append-only business audit (e.g. an opportunity deleted while unassigned keeps its content here)."""
    __tablename__ = "audit_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime)


class IdempotencyRecord(Base):
    """The first answer to a state-changing request carrying a one-time key (a page form's token or the API's
    Idempotency-Key header): a repeat of the key replays it instead of acting twice. The row is inserted when the
    first request starts, in the transaction that saves its work (the unique scope is the claim), and holds the
    answer by the time that transaction commits. Purged after IDEMPOTENCY_KEEP_HOURS (app.common.idempotency)."""
    __tablename__ = "idempotency_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of user id, method, path and key: one bounded unique column, whatever the key and path look like.
    scope_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(Integer)
    # sha256 of the API request's body (a reused key with another body is refused); None for page forms.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)  # 0 until the first request's answer is known
    headers: Mapped[dict | None] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    flashes: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ReferenceGeneration(Base):
    """One row: a number that every change of the reference data (the dictionary, the process definitions, roles,
    users' names, roles and status) replaces by a new one, through triggers (migration 0018). Per-process copies of
    that data are good while the number is the one they were read under (app.common.reference_cache)."""
    __tablename__ = "reference_generation"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
