"""Declarative base with a constraint naming convention, the UTC clock and Brussels time."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, MetaData, Select, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

BRUSSELS = ZoneInfo("Europe/Brussels")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use fieldwork.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """The base of every model. Models subclass it directly (not ``db.Model``) so type
    checkers see real declarative classes; ``SQLAlchemy(model_class=Base)`` in
    ``fieldwork.extensions`` shares this registry and metadata, so ``db.metadata`` (what
    Alembic compares against) is ``Base.metadata``. Every model names its ``__tablename__``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        # The same as Flask-SQLAlchemy's db.Model repr, which models had before.
        state = inspect(self)
        if state.transient:
            pk = f"(transient {id(self)})"
        elif state.pending:
            pk = f"(pending {id(self)})"
        else:
            pk = ", ".join(map(str, state.identity or ()))
        return f"<{type(self).__name__} {pk}>"


def local(moment: datetime) -> datetime:
    """``moment`` on the Brussels clock."""
    return moment.astimezone(BRUSSELS)


def local_today() -> date:
    """Today in Belgium (a period, a round, a follow-up ends at midnight there, not in UTC)."""
    return local(utcnow()).date()


def savepoint(session: Any) -> AbstractContextManager[Any]:
    """A SAVEPOINT around an insert that a unique constraint may refuse, so that losing a
    race rolls back only the insert. PostgreSQL only: pysqlite's savepoints would commit,
    and SQLite writes one transaction at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        return session.begin_nested()
    return nullcontext()


Row = TypeVar("Row")

# SELECT ... FOR NO KEY UPDATE: serialises changes to a row without blocking the inserts of
# rows that refer to it (a case event, a routed signal's case). Plain FOR UPDATE would, and a
# worker holding such a row while inserting could deadlock with the lock holder.
NO_KEY_UPDATE: dict[str, Any] = {"key_share": True}


def add_or_take_existing(session: Any, made: Row, existing: Select[Row]) -> Row:
    """Add ``made``, a row that a unique constraint refuses when another request made the
    same a moment ago (two first uses at once); then the ``existing`` query's row instead.
    On SQLite, without savepoints, losing the race rolls the session back: call it before
    anything else is pending."""
    try:
        with savepoint(session):
            session.add(made)
            session.flush()
    except IntegrityError:
        if session.get_bind().dialect.name != "postgresql":
            session.rollback()
        return session.scalars(existing).one()
    return made
