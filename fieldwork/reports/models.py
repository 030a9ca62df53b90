"""Imported indicator values (per statistical sector, sub-municipality or municipality) and
the coordinator's attention points for the neighbourhood plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.db import Base, UTCDateTime, utcnow

AREA_KINDS = ("sector", "sub_municipality", "municipality")


class IndicatorValue(Base):
    """One figure of an indicator for an area and a year, e.g. from Provincies in Cijfers.
    A share is kept as numerator and denominator, so that areas add up correctly (sum the
    parts, never average percentages)."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("area_kind", "area_code", "indicator", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    area_kind: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(20))
    indicator: Mapped[str] = mapped_column(String(80), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()


class AttentionPoint(Base):
    """An attention point for the neighbourhood plan, written by the coordinator and linked
    to the findings behind it (themes, indicators, photos)."""

    __tablename__ = "attention_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    # {"themes": ["eenzaamheid"], "indicators": ["share_80plus"], "photos": [3, 7]}
    findings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    neighbourhood: Mapped[Neighbourhood] = relationship()


class Quote(Base):
    """What was heard, as the coordinator wrote it down anonymised (no names, no addresses),
    for the qualitative part of the neighbourhood analysis."""

    __tablename__ = "neighbourhood_quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    theme: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # visit, call, photo…
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NeighbourhoodReport(Base):
    """A printable neighbourhood report (PDF), made by the worker and kept in storage."""

    __tablename__ = "neighbourhood_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # running, done, failed
    storage_key: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(String(300), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    neighbourhood: Mapped[Neighbourhood] = relationship()


class Rollup(Base):
    """A count per neighbourhood and month, kept up to date by the worker as signals are
    routed and captures come in (incremental) and rebuilt from the source tables by a
    nightly job."""

    __tablename__ = "rollups"
    __table_args__ = (UniqueConstraint("neighbourhood_id", "month", "measure", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # the first day of the (Brussels) month
    measure: Mapped[str] = mapped_column(String(40))  # see fieldwork.reports.rollups.MEASURES
    key: Mapped[str] = mapped_column(String(40), default="")
    value: Mapped[int] = mapped_column(Integer, default=0)


class RollupCounted(Base):
    """That the worker counted a capture (a visit, a call, a card, a photo) into the
    rollups: it makes counting once safe against a task that runs twice, and lets the
    nightly rebuild count what the worker has not reached yet without it being counted
    again later."""

    __tablename__ = "rollup_counted"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class IndicatorImport(Base):
    """One uploaded indicator file, read by the worker; the file is dropped once read."""

    __tablename__ = "indicator_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # running, done, failed
    # ImportReport as JSON: rows, added, updated, unchanged, rejected [[line, reason]], …
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
