from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, query_expression, relationship

from fieldwork.auth.models import User
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.signals.models import Resident
from fieldwork.signals.shield import shield_detail, withdrew

STATUSES = ("new", "assigned", "contacted", "in_progress", "closed")
OUTCOMES = (
    "helped",
    "referred_onward",
    "info_only",
    "declined",
    "unreachable",
    "moved_or_deceased",
)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # At most one open case per resident, enforced by the database.
        Index(
            "uq_cases_open_per_resident",
            "resident_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        # Every figure joins cases to their residents' neighbourhoods (the unique index above
        # holds open cases only).
        Index("ix_cases_resident_id", "resident_id"),
        # A contact person's queue: their open cases, without reading the closed ones.
        Index(
            "ix_cases_open_owner",
            "owner_id",
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    status: Mapped[str] = mapped_column(String(20), default="new")
    outcome: Mapped[str | None] = mapped_column(String(30))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first contact attempt at or after opening (kept by the database as each attempt is
    # logged, see _keep_first_contact): the figures' time to first contact without reading
    # the events of every case.
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resident: Mapped[Resident] = relationship()
    owner: Mapped[User | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")
    # Whether a contact attempt was logged, when the queue's page computed it for the whole
    # page in one query (cases.services.queue_page); None otherwise: then the events are read.
    contact_attempted: Mapped[bool | None] = query_expression()

    @property
    def is_overdue(self) -> bool:
        """No contact attempt yet and the first-contact deadline has passed."""
        if self.closed_at is not None or self.due_at is None or self.due_at > utcnow():
            return False
        if self.contact_attempted is not None:
            return not self.contact_attempted
        return not any(e.type == "contact_attempt" for e in self.events)


class CaseEvent(Base):
    """Append-only. A signal is routed once: (signal_id, type) is unique."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("signal_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    by: Mapped[User | None] = relationship()
    resident_data_hidden: Mapped[bool] = column_property(
        withdrew(
            select(Case.resident_id)
            .where(Case.id == case_id)
            .correlate_except(Case)
            .scalar_subquery()
        )
    )


# the free text a case event may carry (a note, an attempt's note, a reason, a partner)
FREE_TEXT_KEYS = frozenset({"note", "text", "reason", "partner"})


@event.listens_for(CaseEvent, "load")
@event.listens_for(CaseEvent, "refresh")
def _hide_event_text(target: CaseEvent, *_: Any) -> None:
    shield_detail(target, target.__dict__.get("resident_data_hidden"), FREE_TEXT_KEYS)


@event.listens_for(CaseEvent, "after_insert")
def _keep_first_contact(_mapper: Any, connection: Connection, case_event: CaseEvent) -> None:
    """Whoever logs a contact attempt (the case page, the API, an import, a test): its case's
    first_contact_at becomes the earliest attempt at or after the opening, in the same
    flush. One UPDATE by key, conditional, so attempts logged in any order give the same."""
    if case_event.type != "contact_attempt":
        return
    connection.execute(
        update(Case)
        .where(
            Case.id == case_event.case_id,
            Case.opened_at <= case_event.at,
            or_(Case.first_contact_at.is_(None), Case.first_contact_at > case_event.at),
        )
        .values(first_contact_at=case_event.at)
    )
