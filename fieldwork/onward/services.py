"""Refer a case's resident onward to a partner, and the partner's answers. Flush, never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fieldwork.auth.models import User
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.cases.services import can_see_case
from fieldwork.core.errors import ServiceError
from fieldwork.db import savepoint, utcnow
from fieldwork.extensions import db
from fieldwork.notifications.services import notify, notify_address
from fieldwork.onward.models import OPEN_STATES, OnwardReferral
from fieldwork.partners.models import PartnerService
from fieldwork.signals.models import Consent
from fieldwork.signals.vocabulary import CONSENT_METHODS

SHARE_PURPOSE = "partner_share"
SUMMARY_MAX = 1000


class OnwardError(ServiceError):
    pass


@dataclass
class OnwardRequest:
    service_id: int
    purpose: str
    summary: str
    consent_given: bool
    consent_method: str
    email: str = ""  # when the social map has no e-mail for the partner


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="onward-referral")


class LinkExpired(Exception):
    """A genuine link, older than ONWARD_LINK_DAYS: a reminder or the contact person sends a
    new one."""


def partner_link(referral: OnwardReferral) -> str:
    """The partner's link: signed (nobody can make one) and tied to the referral's nonce, so
    that the server can send it again in a reminder while the database holds no working
    link (a copy of the database opens nothing without the secret key)."""
    token = _serializer().dumps([referral.id, referral.link_nonce])
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/doorverwijzing/{token}"


def referral_for_link(token: str) -> OnwardReferral | None:
    """The referral of a genuine, current link; None for anything else. Raises LinkExpired
    for a genuine link past its days (each e-mail, reminders included, carries a new one)."""
    days = int(current_app.config.get("ONWARD_LINK_DAYS", 30))
    try:
        referral_id, nonce = _serializer().loads(token, max_age=days * 86400)
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except (BadSignature, ValueError, TypeError):
        return None
    referral = db.session.get(OnwardReferral, referral_id) if isinstance(referral_id, int) else None
    if referral is None or not secrets.compare_digest(referral.link_nonce, str(nonce)):
        return None
    return referral


def _check(case: Case, by: User, request: OnwardRequest) -> PartnerService:
    if not can_see_case(by, case):
        raise OnwardError(_("You cannot refer from this case."), "case", 403)
    if case.closed_at is not None:
        raise OnwardError(_("This case is closed."), "case", 409)
    if not request.consent_given:
        raise OnwardError(
            _("Without the resident's consent to share with this partner, there is no referral."),
            "consent_given",
        )
    if request.consent_method not in CONSENT_METHODS:
        raise OnwardError(_("Say how the resident gave consent."), "consent_method")
    if not request.purpose.strip():
        raise OnwardError(_("Say what the resident is referred for."), "purpose")
    if not request.summary.strip() or len(request.summary) > SUMMARY_MAX:
        raise OnwardError(
            _("Write a short summary for the partner (at most %(n)d characters).", n=SUMMARY_MAX),
            "summary",
        )
    service = db.session.get(PartnerService, request.service_id)
    if (
        service is None
        or not service.active
        or service.organisation.municipality_id != case.resident.municipality_id
    ):
        raise OnwardError(_("Choose a service of the social map of this municipality."), "service")
    return service


def refer_onward(case: Case, by: User, request: OnwardRequest) -> OnwardReferral:
    """Record the consent to share, the referral and a case event; the partner is e-mailed
    its link after commit. One open referral per case and service."""
    service = _check(case, by, request)
    email = request.email.strip() or (service.organisation.email or "")
    if "@" not in email:
        raise OnwardError(
            _("The social map has no e-mail address for this partner: type one."), "email"
        )
    already = OnwardError(_("This case was already referred to this service."), "service", 409)
    if db.session.scalar(
        select(OnwardReferral.id).where(
            OnwardReferral.case_id == case.id,
            OnwardReferral.service_id == service.id,
            OnwardReferral.state.in_(OPEN_STATES),
        )
    ):
        raise already
    consent = Consent(
        resident_id=case.resident_id,
        purpose=SHARE_PURPOSE,
        method=request.consent_method,
        reference=f"partner:{service.organisation_id}",
        recorded_by_id=by.id,
    )
    referral = OnwardReferral(
        case_id=case.id,
        service=service,
        organisation_id=service.organisation_id,
        consent=consent,
        purpose=request.purpose.strip()[:300],
        summary=request.summary.strip(),
        partner_email=email[:200],
        link_nonce=secrets.token_hex(16),
        created_by_id=by.id,
    )
    try:
        with savepoint(db.session):
            db.session.add_all([consent, referral])
            db.session.flush()
    except IntegrityError:
        raise already from None
    _case_event(referral, "onward_sent", by)
    _email_partner(referral, "sent")
    return referral


def _case_event(referral: OnwardReferral, type_: str, by: User | None, **detail: object) -> None:
    db.session.add(
        CaseEvent(
            case_id=referral.case_id,
            type=type_,
            by_id=by.id if by else None,
            detail={"referral": referral.id, "service": referral.service_id, **detail},
        )
    )


def _email_partner(referral: OnwardReferral, why: str) -> None:
    """The link only: what is shared is read behind it, never sent by e-mail."""
    municipality = referral.organisation.municipality.name
    if why == "sent":
        subject = _("A referral from %(m)s for %(s)s", m=municipality, s=referral.service.name)
    else:
        subject = _("Reminder: a referral from %(m)s waits for your answer", m=municipality)
    body = _(
        "The contact person of %(m)s refers someone to your service %(s)s, with their "
        "consent. Open the link to read the short summary and to accept or decline; no "
        "account is needed:\n\n%(link)s\n\nPlease do not forward this e-mail: the link "
        "gives access to what was shared.",
        m=municipality,
        s=referral.service.name,
        link=partner_link(referral),
    )
    notify_address(
        referral.partner_email,
        "onward",
        f"onward:{referral.id}:{why}",
        subject,
        body,
        case_id=referral.case_id,
    )


def _tell_contact_person(referral: OnwardReferral, what: str, key: str | None = None) -> None:
    """In the case owner's inbox (and e-mail): what the partner did (``what``: a state)."""
    owner = referral.case.owner
    if owner is None:
        return
    word = STATE_WORDS[what]()
    partner = referral.organisation.name
    notify(
        owner,
        "onward",
        f"onward:{referral.id}:told:{key or what}",
        _("Referral onward: %(p)s %(w)s", p=partner, w=word),
        _("Case %(id)d: %(p)s %(w)s.", id=referral.case_id, p=partner, w=word),
        case_id=referral.case_id,
    )


STATE_WORDS = {
    "sent": lambda: _("has not answered yet"),
    "accepted": lambda: _("accepted"),
    "declined": lambda: _("declined"),
    "done": lambda: _("reported back: done"),
}


def _refuse_withdrawn(referral: OnwardReferral) -> None:
    if referral.state == "withdrawn":
        raise OnwardError(
            _("This referral has ended: the resident withdrew their consent."), "state", 409
        )


def accept(referral: OnwardReferral) -> bool:
    """True when this changed something; a second tap changes nothing."""
    _refuse_withdrawn(referral)
    if referral.state in ("accepted", "done"):
        return False
    if referral.state != "sent":
        raise OnwardError(_("This referral was declined already."), "state", 409)
    referral.state, referral.answered_at = "accepted", utcnow()
    _case_event(referral, "onward_accepted", None)
    _tell_contact_person(referral, "accepted")
    return True


def decline(referral: OnwardReferral, reason: str) -> bool:
    _refuse_withdrawn(referral)
    if referral.state == "declined":
        return False
    if referral.state == "done":
        raise OnwardError(_("This referral is done already."), "state", 409)
    if not reason.strip():
        raise OnwardError(
            _("Say why you decline, so the contact person can look further."), "reason"
        )
    referral.state, referral.answered_at = "declined", utcnow()
    referral.decline_reason = reason.strip()[:2000]
    _case_event(referral, "onward_declined", None)
    _tell_contact_person(referral, "declined")
    return True


def report_done(referral: OnwardReferral, outcome: str) -> bool:
    _refuse_withdrawn(referral)
    if referral.state == "done":
        return False
    if referral.state == "declined":
        raise OnwardError(_("This referral was declined already."), "state", 409)
    if not outcome.strip():
        raise OnwardError(_("Say briefly what was done."), "outcome")
    now = utcnow()
    referral.answered_at = referral.answered_at or now
    referral.state, referral.done_at, referral.outcome = "done", now, outcome.strip()[:2000]
    _case_event(referral, "onward_done", None)
    _tell_contact_person(referral, "done")
    return True


def end_for_resident(resident_id: int, by: User | None, withdrawn: bool = True) -> int:
    """The resident withdrew their consent (or, ``withdrawn`` False, was erased: on request,
    deceased, or at the end of the retention period): every referral still open ends, the
    partner is told to stop (without what was shared, nor why beyond a withdrawal) and its
    link shows the summary no more. How many."""
    ended = 0
    for referral in db.session.scalars(
        select(OnwardReferral)
        .join(Case, OnwardReferral.case_id == Case.id)
        .where(Case.resident_id == resident_id, OnwardReferral.state.in_(OPEN_STATES))
        .with_for_update(of=OnwardReferral, key_share=True)
    ):
        referral.state = "withdrawn"
        _case_event(referral, "onward_withdrawn", by)
        notify_address(
            referral.partner_email,
            "onward",
            f"onward:{referral.id}:withdrawn",
            _("A referral from %(m)s has ended", m=referral.organisation.municipality.name),
            _(
                "The resident referred to your service %(s)s withdrew their consent. Please "
                "do not contact them for this referral, and delete what you noted about it.",
                s=referral.service.name,
            )
            if withdrawn
            else _(
                "The referral of a resident to your service %(s)s has ended. Please do not "
                "contact them for this referral, and delete what you noted about it.",
                s=referral.service.name,
            ),
            case_id=referral.case_id,
        )
        ended += 1
    return ended


def referrals_of_case(case_id: int) -> list[OnwardReferral]:
    return list(
        db.session.scalars(
            select(OnwardReferral)
            .where(OnwardReferral.case_id == case_id)
            .order_by(OnwardReferral.created_at)
        )
    )


def referrals_sent_to(email: str, limit: int = 200) -> list[OnwardReferral]:
    """A partner's referrals (by the address they were sent to), newest first."""
    return list(
        db.session.scalars(
            select(OnwardReferral)
            .where(func.lower(OnwardReferral.partner_email) == email.casefold())
            .order_by(OnwardReferral.created_at.desc())
            .limit(limit)
        )
    )


# --- reminders ------------------------------------------------------------------------------


def working_days_between(start: date, end: date) -> int:
    """Monday to Friday after ``start`` up to and including ``end`` (public holidays are
    not known here: a reminder may come a day early around one)."""
    if end <= start:
        return 0
    whole_weeks, rest = divmod((end - start).days, 7)
    days = whole_weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=whole_weeks * 7 + offset)).weekday() < 5:
            days += 1
    return days


def reminder_due(referral: OnwardReferral, now: datetime, after: int) -> bool:
    if referral.state != "sent":
        return False
    since = referral.last_reminded_at or referral.created_at
    return working_days_between(since.date(), now.date()) >= after


def remind_due(now: datetime | None = None) -> int:
    """E-mail partners again about referrals unanswered for ONWARD_REMINDER_WORKING_DAYS
    working days (again after as many more), and tell the contact person."""
    now = now or utcnow()
    after = int(current_app.config.get("ONWARD_REMINDER_WORKING_DAYS", 3))
    waiting = db.session.scalars(
        select(OnwardReferral)
        .where(OnwardReferral.state == "sent")
        .with_for_update(skip_locked=True)
    )
    reminded = 0
    for referral in waiting:
        if not reminder_due(referral, now, after):
            continue
        referral.reminders += 1
        referral.last_reminded_at = now
        _email_partner(referral, f"reminder:{referral.reminders}")
        _tell_contact_person(referral, "sent", f"reminder:{referral.reminders}")
        reminded += 1
    return reminded


def remind_step() -> str:
    return f"referrals onward reminded: {remind_due()}"
