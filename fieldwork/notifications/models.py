from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.auth.models import User
from fieldwork.db import Base, UTCDateTime, utcnow

INBOX_ONLY = "MAIL_SERVER not configured: in-app inbox only"
# what it said went with an erasure before it was e-mailed: it is not sent at all
NOT_SENT_ERASED = "not sent: its text went with an erasure"
NOT_EMAILED = (INBOX_ONLY, NOT_SENT_ERASED)  # on purpose, not failures


class Notification(Base):
    """One message to one person: an account (inbox and e-mail) or, for someone without an
    account (a partner organisation), an e-mail address only. ``dedup_key`` is unique: the
    same reminder, escalation or assignment is never sent twice, however often a task runs."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    to_address: Mapped[str | None] = mapped_column(String(200))  # without an account
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # set only once sending stopped for good (refused, or the retries ran out), or to
    # INBOX_ONLY; an attempt that will be retried leaves it empty, so the sweep finds it
    email_error: Mapped[str | None] = mapped_column(Text)
    email_dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    @property
    def email_failed(self) -> bool:
        """Refused for good, or its retries ran out (not merely: no mail server here)."""
        return self.emailed_at is None and self.email_error not in (None, *NOT_EMAILED)

    @property
    def recipient(self) -> str:
        return self.to_address or (self.user.email if self.user else "")
