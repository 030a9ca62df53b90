from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.partners.models import Organisation, PartnerService
from fieldwork.signals.models import Consent

STATES = {
    "sent": _l("Sent, waiting for the partner"),
    "accepted": _l("Accepted by the partner"),
    "declined": _l("Declined by the partner"),
    "done": _l("Done, the partner reported back"),
    "withdrawn": _l("Ended: the resident withdrew their consent"),
}
OPEN_STATES = ("sent", "accepted")


class OnwardReferral(Base):
    """A case's resident referred to a partner's service. Only ``summary`` is shared, under
    ``consent`` (purpose ``partner_share``); the partner reaches it through a secret link
    (signed with the secret key; only its random nonce is stored)."""

    __tablename__ = "onward_referrals"
    # One open referral per case and service, also when two people refer at the same second.
    __table_args__ = (
        Index(
            "uq_onward_referrals_open",
            "case_id",
            "service_id",
            unique=True,
            postgresql_where=text("state IN ('sent', 'accepted')"),
            sqlite_where=text("state IN ('sent', 'accepted')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("partner_services.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("partner_organisations.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    purpose: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    partner_email: Mapped[str] = mapped_column(String(200))
    link_nonce: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="sent")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    service: Mapped[PartnerService] = relationship()
    organisation: Mapped[Organisation] = relationship()
    consent: Mapped[Consent] = relationship()
    created_by: Mapped[User | None] = relationship()
