"""A visit round, its imported target list (addresses), import jobs and findings sheets."""

from __future__ import annotations

from datetime import date, datetime
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood, Sector
from fieldwork.auth.models import User
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db

OUTCOMES = ("spoken", "not_home", "refused", "moved", "deceased")
# to_visit and not_home (with attempts left) are open; the rest is done
ADDRESS_STATUSES = ("to_visit", "visited", "not_home", "refused", "moved", "deceased")
THEME_ANSWERS = ("ok", "concern", "not_discussed")
# a visit that arrived late (recorded offline) and no longer fitted the address: given to
# someone else meanwhile, no longer open, or already visited by another volunteer
VISIT_FLAGS = ("reassigned", "closed", "duplicate")
INTERESTS = ("dienstencentrum", "dorpsrestaurant", "verenigingen", "activiteiten")

visit_round_neighbourhoods = Table(
    "visit_round_neighbourhoods",
    db.metadata,
    Column("round_id", ForeignKey("visit_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhoods.id"), primary_key=True),
)


class VisitRound(Base):
    __tablename__ = "visit_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    info_material: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=visit_round_neighbourhoods, order_by="Neighbourhood.name"
    )


class VisitImport(Base):
    """One uploaded target list, read by the worker; the file is dropped once read."""

    __tablename__ = "visit_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("visit_rounds.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    # {"rejected": [{"line", "reason"}], "duplicates": [{"line", "of_line"}],
    #  "unresolved": [{"line", "address"}], "error": str}
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VisitAddress(Base):
    """One resident on the target list (population register extract)."""

    __tablename__ = "visit_addresses"
    __table_args__ = (
        UniqueConstraint("round_id", "name_key", "address_key"),
        Index("ix_visit_addresses_volunteer", "volunteer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("visit_rounds.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("visit_imports.id"))
    line_no: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    street_key: Mapped[str] = mapped_column(String(200))
    house_number: Mapped[str] = mapped_column(String(20), default="")
    postcode: Mapped[str] = mapped_column(String(4))
    address_key: Mapped[str] = mapped_column(String(240))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(40))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # not placed for sure
    status: Mapped[str] = mapped_column(String(12), default="to_visit")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[VisitRound] = relationship()
    neighbourhood: Mapped[Neighbourhood] = relationship()
    sector: Mapped[Sector | None] = relationship()
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])
    partner: Mapped[User | None] = relationship(foreign_keys=[partner_id])


class Visit(Base):
    """A findings sheet (bevindingenfiche): one doorstep attempt and what was found."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("visit_addresses.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(12))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    card_left: Mapped[bool] = mapped_column(Boolean, default=False)
    info_given: Mapped[list[str]] = mapped_column(JSON, default=list)
    themes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    wants_buurtgezel: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_to_volunteer: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # arrived
    # when it happened at the door, by the phone's clock (recorded offline, sent later)
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None, or one of VISIT_FLAGS: for the coordinator to look at ("Na te kijken")
    flag: Mapped[str | None] = mapped_column(String(20), index=True)
    flag_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    address: Mapped[VisitAddress] = relationship()
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])
