"""Photo assignments and the photos residents send in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db

CONSENTS = ("analysis", "report", "public")  # each allows what the ones before allow
AGE_GROUPS = ("child", "adult", "65plus")
PHOTO_STATUSES = ("processing", "new", "approved", "hidden", "failed")
SIDES = ("main", "contrast")

photo_assignment_neighbourhoods = Table(
    "photo_assignment_neighbourhoods",
    db.metadata,
    Column(
        "assignment_id", ForeignKey("photo_assignments.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("neighbourhood_id", ForeignKey("neighbourhoods.id"), primary_key=True),
)


class PhotoAssignment(Base):
    """A photo assignment: a prompt for each week of the period (the last one repeats), each
    optionally with its contrast ("wel fijn / niet fijn")."""

    __tablename__ = "photo_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    # [{"prompt": "Wat is het gezelligste plekje ...?", "contrast": "... het minst gezellige?"}]
    prompts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the public link
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship()
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=photo_assignment_neighbourhoods, order_by="Neighbourhood.name"
    )


class Photo(Base):
    """A photo sent in for an assignment. The upload is kept as sent only until the worker
    made the stored versions: an upright, downscaled original and a thumbnail, both
    re-encoded without any EXIF (GPS is kept only as the pin the resident placed)."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("assignment_id", "sha256"),
        UniqueConstraint("assignment_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("photo_assignments.id"), index=True)
    week: Mapped[int] = mapped_column(Integer, default=1)
    side: Mapped[str] = mapped_column(String(10), default="main")
    prompt: Mapped[str] = mapped_column(String(300))  # as the resident saw it
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id"), index=True
    )
    caption: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    street: Mapped[str | None] = mapped_column(String(200))
    age_group: Mapped[str | None] = mapped_column(String(10))
    consent: Mapped[str] = mapped_column(String(10), default="analysis")
    sha256: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="processing", index=True)
    failure: Mapped[str] = mapped_column(String(300), default="")
    upload_key: Mapped[str | None] = mapped_column(String(200))  # until processed
    original_key: Mapped[str | None] = mapped_column(String(200))
    thumb_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    polarity: Mapped[str | None] = mapped_column(String(10))  # strength | concern
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[PhotoAssignment] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
