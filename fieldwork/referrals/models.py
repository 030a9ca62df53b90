"""Card series, cards, what was filed on a card, and one-time links for referrers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality
from fieldwork.auth.models import User
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import ConsentText, Signal

CARD_STATES = ("printed", "handed_out", "used", "voided")
PDF_STATES = ("pending", "running", "done", "failed")
PDF_STALLED_AFTER = timedelta(minutes=15)


class CardSeries(Base):
    __tablename__ = "card_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # [{"name": "Sociaal huis", "phone": "051 77 00 00"}, …] as printed on the card
    service_offer: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    consent_text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id"))
    card_count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdf_status: Mapped[str] = mapped_column(String(10), default="pending")
    pdf_done: Mapped[int] = mapped_column(Integer, default=0)
    pdf_error: Mapped[str | None] = mapped_column(Text)
    pdf_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pdf_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship()
    consent_text: Mapped[ConsentText] = relationship()

    @property
    def pdf_stalled(self) -> bool:
        """Waiting or running for longer than any series takes: the worker died or is down."""
        if self.pdf_status not in ("pending", "running"):
            return False
        return (self.pdf_started_at or self.created_at) < utcnow() - PDF_STALLED_AFTER


class CardSeriesPdf(Base):
    """The printable sheets, apart from the series so that listing series never loads them.
    In the database so that web and worker need no shared disk."""

    __tablename__ = "card_series_pdfs"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("card_series.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferralCard(Base):
    __tablename__ = "referral_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("card_series.id"), index=True)
    code: Mapped[str] = mapped_column(String(7), unique=True)  # stored without the dash
    state: Mapped[str] = mapped_column(String(12), default="printed")
    handed_out_to: Mapped[str | None] = mapped_column(String(200))
    handed_out_to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(200))

    series: Mapped[CardSeries] = relationship()
    handed_out_to_user: Mapped[User | None] = relationship()
    submission: Mapped[ReferralSubmission | None] = relationship(
        back_populates="card", uselist=False
    )


referral_submission_signals = Table(
    "referral_submission_signals",
    db.metadata,
    Column(
        "submission_id", ForeignKey("referral_submissions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("signal_id", ForeignKey("signals.id"), primary_key=True),
)


class ReferralSubmission(Base):
    """What was filed on one card. The unique card_id refuses a second filing in the
    database, whatever two phones do at the same moment. The resident's details live on the
    resident (only with consent), never here."""

    __tablename__ = "referral_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("referral_cards.id"), unique=True)
    via: Mapped[str] = mapped_column(String(10))  # account | link | paper
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("referral_links.id"), unique=True)
    referrer_name: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    best_time: Mapped[str] = mapped_column(String(120), default="")
    consent_given: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    strip_photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The strip photo is decoded by the worker, not in the web request: "pending" holds the
    # upload as sent (its header checked) until the worker stores the clean JPEG ("done")
    # or finds it undecodable ("failed", the photo dropped). None: no photo, or one cleaned
    # before this column existed.
    strip_photo_status: Mapped[str | None] = mapped_column(String(10))
    # when the card was filled in, as the phone saw it (a card filed offline arrives later)
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    card: Mapped[ReferralCard] = relationship(back_populates="submission")
    signals: Mapped[list[Signal]] = relationship(
        secondary=referral_submission_signals, order_by="Signal.id"
    )


class ReferralLink(Base):
    """A one-time link for a referrer without an account. Only the SHA-256 of the token is
    kept; after use the same link shows the receipt and the status until it expires."""

    __tablename__ = "referral_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    referrer_name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship()
