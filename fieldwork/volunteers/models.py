"""Volunteers (the pool), trainings, invitations to an account, buurtgezel requests and
matches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.signals.models import Resident
from fieldwork.signals.shield import shield, withdrew


class Volunteer(Base):
    """A person in the volunteer pool, from the first 'I want to help' to stopping. The
    intake starts from the person: talents, energy, experience — not from a vacancy."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="candidate", index=True)
    source: Mapped[str] = mapped_column(String(12), default="staff")
    talents: Mapped[str] = mapped_column(Text, default="")  # in their own words
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # talent tags, lower case
    energy: Mapped[str] = mapped_column(Text, default="")  # what gives energy
    motivation: Mapped[str] = mapped_column(Text, default="")
    experience: Mapped[str] = mapped_column(Text, default="")  # work and life
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # lower case
    availability: Mapped[list[str]] = mapped_column(JSON, default=list)  # SLOTS
    mobility: Mapped[list[str]] = mapped_column(JSON, default=list)
    support: Mapped[list[str]] = mapped_column(JSON, default=list)  # what they need to join
    support_note: Mapped[str] = mapped_column(Text, default="")
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    other_role: Mapped[str] = mapped_column(String(120), default="")
    help_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # as a buurtgezel
    model2_checked_on: Mapped[date | None] = mapped_column(Date)
    model2_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    lead_signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"), unique=True)
    intake_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    intake_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    held_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingAttendance(Base):
    __tablename__ = "training_attendances"

    training_id: Mapped[int] = mapped_column(
        ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True
    )
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)

    training: Mapped[Training] = relationship()
    volunteer: Mapped[Volunteer] = relationship()


class Invitation(Base):
    """A one-time link with which a volunteer sets their own password. Only the token's
    SHA-256 is stored."""

    __tablename__ = "volunteer_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class BuurtgezelRequest(Base):
    """A resident's wish for a buurtgezel: companionship or small tasks."""

    __tablename__ = "buurtgezel_requests"
    __table_args__ = (
        # one open request per resident: a second visit adds nothing twice
        Index(
            "uq_buurtgezel_requests_open_per_resident",
            "resident_id",
            unique=True,
            postgresql_where=text("status IN ('open', 'matched')"),
            sqlite_where=text("status IN ('open', 'matched')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    source: Mapped[str] = mapped_column(String(10), default="manual")
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    help_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship()
    neighbourhood: Mapped[Neighbourhood] = relationship()
    resident: Mapped[Resident] = relationship()
    # the resident withdrew every consent: the notes about them are hidden as the resident is
    resident_data_hidden: Mapped[bool] = column_property(withdrew(resident_id))


@event.listens_for(BuurtgezelRequest, "load")
@event.listens_for(BuurtgezelRequest, "refresh")
def _hide_request_notes(target: BuurtgezelRequest, *_: Any) -> None:
    shield(target, target.__dict__.get("resident_data_hidden"), texts=("note", "outcome_note"))


class BuurtgezelMatch(Base):
    """A resident and a volunteer brought together; the contact person steps back but
    follows up ("loopt het goed?") after some weeks."""

    __tablename__ = "buurtgezel_matches"
    __table_args__ = (UniqueConstraint("request_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("buurtgezel_requests.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    matched_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resident_informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    volunteer_informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_on: Mapped[date] = mapped_column(Date, index=True)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_result: Mapped[str | None] = mapped_column(String(16))
    follow_up_note: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # why suggested

    request: Mapped[BuurtgezelRequest] = relationship()
    volunteer: Mapped[Volunteer] = relationship()
    matched_by: Mapped[User] = relationship(foreign_keys=[matched_by_id])
