"""A caring neighbour, the streets they keep an eye on, what they filed and the trainings
they were at (the trainings themselves are volunteers' Training)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.signals.models import ConsentText


class CaringNeighbour(Base):
    """A zorgzame buur: a resident with a light account (no password). A sign-in link or
    code is only valid while ``status`` is active and its ``nonce`` is current (a new code,
    or ending the role, changes it); only the code's SHA-256 is stored."""

    __tablename__ = "caring_neighbours"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    can_do: Mapped[list[str]] = mapped_column(JSON, default=list)
    can_do_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="active")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_via: Mapped[str] = mapped_column(String(20))
    # their own data, kept with the exact wording they agreed to
    consent_text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id"))
    data_consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship()
    neighbourhood: Mapped[Neighbourhood] = relationship()
    consent_text: Mapped[ConsentText] = relationship()
    streets: Mapped[list[NeighbourStreet]] = relationship(
        back_populates="neighbour",
        cascade="all, delete-orphan",
        order_by="NeighbourStreet.street",
    )

    @property
    def street_names(self) -> list[str]:
        return [s.street for s in self.streets]


class NeighbourStreet(Base):
    """A street the neighbour keeps an eye on: the name from the municipality's street table
    when it is there (``street_key`` compares them), else as typed."""

    __tablename__ = "caring_neighbour_streets"
    __table_args__ = (UniqueConstraint("neighbour_id", "street_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbour_id: Mapped[int] = mapped_column(
        ForeignKey("caring_neighbours.id", ondelete="CASCADE"), index=True
    )
    street: Mapped[str] = mapped_column(String(200))
    street_key: Mapped[str] = mapped_column(String(200), index=True)

    neighbour: Mapped[CaringNeighbour] = relationship(back_populates="streets")


class NeighbourSignal(Base):
    """Which caring neighbour filed a signal (the signal itself has no filer account)."""

    __tablename__ = "caring_neighbour_signals"

    signal_id: Mapped[int] = mapped_column(
        ForeignKey("signals.id", ondelete="CASCADE"), primary_key=True
    )
    neighbour_id: Mapped[int] = mapped_column(ForeignKey("caring_neighbours.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NeighbourTraining(Base):
    """A caring neighbour at a training or meeting (volunteers' Training, reused)."""

    __tablename__ = "caring_neighbour_trainings"

    training_id: Mapped[int] = mapped_column(
        ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True
    )
    neighbour_id: Mapped[int] = mapped_column(
        ForeignKey("caring_neighbours.id", ondelete="CASCADE"), primary_key=True
    )


class NeighbourMessage(Base):
    """A message the coordinator sent to all active neighbours of a neighbourhood (one
    e-mail each through notifications)."""

    __tablename__ = "caring_neighbour_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<NeighbourMessage {self.id}>"
