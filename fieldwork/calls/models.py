"""Call campaigns (belactie): campaign, call list, attempts — and the recurring good-morning
call (goeiemorgen-telefoon): schedule, each day's call, and the alert when nobody answers."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood, Sector
from fieldwork.auth.models import User
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Consent, ConsentText, Resident

OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number", "call_back_at", "refused")
# what an outcome leaves of a campaign target: open (to_call) or done for good
TARGET_STATUSES = ("to_call", "reached", "refused", "wrong_number", "unreachable")
GOODMORNING_OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number")
ESCALATION_RELATIONS = ("neighbour", "family", "contact_person")

call_campaign_neighbourhoods = Table(
    "call_campaign_neighbourhoods",
    db.metadata,
    Column("campaign_id", ForeignKey("call_campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhoods.id"), primary_key=True),
)
call_campaign_callers = Table(
    "call_campaign_callers",
    db.metadata,
    Column("campaign_id", ForeignKey("call_campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)
goodmorning_callers = Table(
    "goodmorning_callers",
    db.metadata,
    Column(
        "schedule_id", ForeignKey("goodmorning_schedules.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class CallCampaign(Base):
    __tablename__ = "call_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # the conversation guide (gespreksleidraad), in order:
    # [{"key": "q1", "text": "...", "kind": "text" | "choice", "options": [...]}]
    guide: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    min_gap_minutes: Mapped[int] = mapped_column(Integer, default=120)
    hours_from: Mapped[time] = mapped_column(Time, default=time(10, 0))
    hours_until: Mapped[time] = mapped_column(Time, default=time(19, 0))
    # the exact words the caller reads before recording verbal consent
    consent_text_id: Mapped[int | None] = mapped_column(ForeignKey("consent_texts.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    consent_text: Mapped[ConsentText | None] = relationship()
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=call_campaign_neighbourhoods, order_by="Neighbourhood.name"
    )
    callers: Mapped[list[User]] = relationship(
        secondary=call_campaign_callers, order_by="User.name"
    )


class CallTarget(Base):
    """One person on a campaign's call list."""

    __tablename__ = "call_targets"
    __table_args__ = (
        UniqueConstraint("campaign_id", "name_key", "address_key"),
        Index("ix_call_targets_caller", "caller_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("call_campaigns.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(4))
    address_key: Mapped[str] = mapped_column(String(240))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(40))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(14), default="to_call")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    call_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[CallCampaign] = relationship()
    neighbourhood: Mapped[Neighbourhood] = relationship()
    sector: Mapped[Sector | None] = relationship()
    caller: Mapped[User | None] = relationship()


class CallImport(Base):
    """One uploaded call list, read by the worker in one transaction; the file is dropped
    once read."""

    __tablename__ = "call_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("call_campaigns.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|done|failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    # {"rejected": [{"line", "reason"}], "duplicates": [{"line", "of_line"}], "counts": {...},
    #  "error": str}
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallCandidate(Base):
    """One person on a campaign's own imported list: a candidate for its call list. Only what
    the selection and the call need."""

    __tablename__ = "call_candidates"
    __table_args__ = (UniqueConstraint("campaign_id", "name_key", "address_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("call_campaigns.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("call_imports.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    house_number: Mapped[str] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(4))
    address_key: Mapped[str] = mapped_column(String(240))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(40))
    living_alone: Mapped[bool | None] = mapped_column(Boolean)  # None: the list did not say
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))

    neighbourhood: Mapped[Neighbourhood] = relationship()


class GoodMorningSchedule(Base):
    """A resident's recurring call: on the days and in the time window they chose."""

    __tablename__ = "goodmorning_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = Monday
    window_from: Mapped[time] = mapped_column(Time)
    window_until: Mapped[time] = mapped_column(Time)
    retry_minutes: Mapped[int] = mapped_column(Integer, default=15)
    max_retries: Mapped[int] = mapped_column(Integer, default=2)
    starts_on: Mapped[date] = mapped_column(Date)
    # who is called when nobody answers, and who handles the alert (the contact person)
    escalation_name: Mapped[str] = mapped_column(String(200))
    escalation_phone: Mapped[str] = mapped_column(String(40))
    escalation_relation: Mapped[str] = mapped_column(String(20))
    escalation_consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paused_from: Mapped[date | None] = mapped_column(Date)
    paused_until: Mapped[date | None] = mapped_column(Date)  # None with paused_from: until resumed
    pause_reason: Mapped[str] = mapped_column(String(120), default="")
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the campaign call in which the resident asked for it (no FK: attempts point here too)
    source_attempt_id: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    consent: Mapped[Consent | None] = relationship(foreign_keys=[consent_id])
    escalation_consent: Mapped[Consent | None] = relationship(foreign_keys=[escalation_consent_id])
    callers: Mapped[list[User]] = relationship(secondary=goodmorning_callers, order_by="User.name")


class GoodMorningCall(Base):
    """One scheduled day's call. Unique per schedule and day: the beat tick and a catch-up
    after downtime create it once."""

    __tablename__ = "goodmorning_calls"
    __table_args__ = (
        UniqueConstraint("schedule_id", "day"),
        Index("ix_goodmorning_calls_open", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("goodmorning_schedules.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime)
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|reached|alerted
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    schedule: Mapped[GoodMorningSchedule] = relationship()


class CallAttempt(Base):
    """One phone call: to a campaign target or a good-morning call, and what was said."""

    __tablename__ = "call_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("call_targets.id"), index=True)
    goodmorning_call_id: Mapped[int | None] = mapped_column(
        ForeignKey("goodmorning_calls.id"), index=True
    )
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(14))
    call_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    themes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    wants_regular_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # when the call was made, as the phone saw it (a call recorded offline arrives later)
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    target: Mapped[CallTarget | None] = relationship()
    caller: Mapped[User | None] = relationship()


class Alert(Base):
    """A good-morning call nobody answered: once per missed day (unique per call)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    goodmorning_call_id: Mapped[int] = mapped_column(
        ForeignKey("goodmorning_calls.id"), unique=True
    )
    reason: Mapped[str] = mapped_column(String(20))  # no_answer | wrong_number | not_called
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ack_note: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[GoodMorningCall] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
