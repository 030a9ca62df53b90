"""Resident (minimal personal data), Consent (a record, not a checkbox) and Signal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from fieldwork.areas.models import Neighbourhood, Sector
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.signals.shield import shield, withdrew


class Resident(Base):
    __tablename__ = "residents"
    __table_args__ = (
        Index("ix_residents_identity", "name_key", "address_key"),
        # By neighbourhood, with the id the figures join cases on (index-only on PostgreSQL).
        Index("ix_residents_neighbourhood_figures", "neighbourhood_id", postgresql_include=["id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(4))
    address_key: Mapped[str] = mapped_column(String(240))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(40))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    neighbourhood: Mapped[Neighbourhood] = relationship()
    sector: Mapped[Sector | None] = relationship()
    # withdrew every consent: the personal fields are hidden from all but the coordinator
    personal_data_hidden: Mapped[bool] = column_property(withdrew(id))


@event.listens_for(Resident, "load")
@event.listens_for(Resident, "refresh")
def _hide_resident(target: Resident, *_: Any) -> None:
    shield(
        target,
        target.__dict__.get("personal_data_hidden"),
        texts=("name", "street"),
        cleared=("house_number", "postcode", "phone"),
    )


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40), default="contact")
    method: Mapped[str] = mapped_column(String(20))  # signed_strip | signature | verbal
    reference: Mapped[str | None] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The exact wording the resident agreed to (a printed strip records its version).
    consent_text_id: Mapped[int | None] = mapped_column(ForeignKey("consent_texts.id"))

    resident: Mapped[Resident] = relationship()
    consent_text: Mapped[ConsentText | None] = relationship()


class ConsentText(Base):
    """A consent wording, versioned per municipality and purpose: editing adds a version,
    so what a resident once signed stays readable."""

    __tablename__ = "consent_texts"
    __table_args__ = (UniqueConstraint("municipality_id", "purpose", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Signal(Base):
    __tablename__ = "signals"
    # By case, and by case and theme: the queue's theme filter probes it without the table.
    # By neighbourhood and time with what the figures count (fieldwork.reports.figures): on
    # PostgreSQL a neighbourhood's counts come from the index alone. The signals still waiting
    # for routing (a handful among a million): routing claims them in batches, the
    # reconciliation finds the overdue ones. By filer, newest first: Mijn signalen reads a
    # page of one user's signals (only signals someone filed are indexed).
    __table_args__ = (
        Index("ix_signals_case_id_theme", "case_id", "theme"),
        Index(
            "ix_signals_waiting",
            "id",
            postgresql_where=text("routed_at IS NULL"),
            sqlite_where=text("routed_at IS NULL"),
        ),
        Index(
            "ix_signals_neighbourhood_figures",
            "neighbourhood_id",
            "created_at",
            postgresql_include=["domain", "theme", "polarity", "source"],
        ),
        Index(
            "ix_signals_filed_by",
            "filed_by_id",
            "created_at",
            "id",
            postgresql_where=text("filed_by_id IS NOT NULL"),
            sqlite_where=text("filed_by_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    theme: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    polarity: Mapped[str] = mapped_column(String(10), default="need")
    source: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once by the routing task; the unique "routed" case event makes a second run a no-op.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    routing_reason: Mapped[str | None] = mapped_column(Text)

    resident: Mapped[Resident | None] = relationship()
    consent: Mapped[Consent | None] = relationship()
    neighbourhood: Mapped[Neighbourhood] = relationship()
    resident_data_hidden: Mapped[bool] = column_property(withdrew(resident_id))


@event.listens_for(Signal, "load")
@event.listens_for(Signal, "refresh")
def _hide_signal(target: Signal, *_: Any) -> None:
    shield(target, target.__dict__.get("resident_data_hidden"), texts=("note",))
