from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Table, Column, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.rights_catalog import role_label
from app.db import Base

role_right = Table(
    "role_right", Base.metadata,
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
    Column("right_code", ForeignKey("right.code", ondelete="CASCADE"), primary_key=True),
)


class Right(Base):
    """A function right, e.g. customer.edit; `menu` groups it in the menu tree."""
    __tablename__ = "right"
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    menu: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Role(Base):
    __tablename__ = "role"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    # Loaded when read: a request's own rights come with its session (auth.service.resolve_session), and loading
    # a user (an assignee, a record's manager) should not read their role's rights as well.
    rights: Mapped[list[Right]] = relationship(secondary=role_right)

    @property
    def label(self) -> str:
        """The name to show (plain text, escaped by templates): see rights_catalog.role_label."""
        return role_label(self.code, self.name)


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    role: Mapped[Role] = relationship(lazy="joined")

    # Flask-Login protocol
    is_anonymous = False

    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return str(self.id)

    @property
    def role_code(self):
        return self.role.code

    @property
    def right_codes(self) -> frozenset:
        # Read with the session when the request signed in (auth.service.resolve_session), else from the role.
        codes = self.__dict__.get("_right_codes")
        return codes if codes is not None else frozenset(r.code for r in self.role.rights)

    def use_right_codes(self, codes):
        """The user's right codes as read for this request; not a mapped attribute, so it survives a commit."""
        self.__dict__["_right_codes"] = frozenset(codes)

    def can(self, right: str) -> bool:
        return right in self.right_codes


class UserSession(Base):
    """Server-side session (browser or API token). Only a hash of the secret is stored."""
    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # web | api
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # logout | superseded | idle | password | disabled
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class RememberToken(Base):
    """Remember-me: selector looks the row up, the validator is compared by hash (split-token pattern)."""
    __tablename__ = "remember_token"
    __table_args__ = (UniqueConstraint("selector"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    selector: Mapped[str] = mapped_column(String(32))
    validator_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when the token was used and replaced by a fresh one: presenting it again means a copy of the cookie
    # exists elsewhere (theft), and every token and session of the user is revoked.
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginFailure(Base):
    """Failed sign-ins of one user name (known or not) from one client address within the lockout window.

    The lock is per (user name, address): an attacker's failures lock that account for the attacker's address
    only, never for its owner signing in from elsewhere."""
    __tablename__ = "login_failure"
    __table_args__ = (UniqueConstraint("username", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer)
    first_failed_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
