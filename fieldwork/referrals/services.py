"""Card series, the life of a card (printed → handed out → used, or voided), filing a card
into the core, and one-time links. Flush, never commit."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from fieldwork.areas.models import Municipality
from fieldwork.auth.models import User
from fieldwork.auth.services import hash_token
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.core.errors import ServiceError
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.core.phones import PHONE_MESSAGE, PhoneError, normalise_phone
from fieldwork.core.pictures import PictureError, clean_photo
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.referrals.codes import CodeError, display, new_code, normalise
from fieldwork.referrals.models import (
    CardSeries,
    CardSeriesPdf,
    ReferralCard,
    ReferralLink,
    ReferralSubmission,
)
from fieldwork.signals.models import ConsentText
from fieldwork.signals.services import SignalError, create_signals
from fieldwork.signals.services import latest_consent_text as latest_of_purpose

log = logging.getLogger(__name__)

CONSENT_PURPOSE = "referral_card"
MAX_CARDS = 5000
DEFAULT_CONSENT_TEXT = (
    "Ik geef toestemming dat de doorverwijzer mijn naam, adres, telefoonnummer en de "
    "bezorgdheden op deze kaart doorgeeft aan de aanspreekpersoon van de gemeente, die mij "
    "daarover contacteert. Mijn gegevens worden alleen daarvoor gebruikt en niet langer "
    "bewaard dan nodig. Ik kan mijn toestemming altijd intrekken."
)


class ReferralError(ServiceError):
    """A card, series or link refused."""


# --- consent texts ---------------------------------------------------------------------------


def latest_consent_text(municipality: Municipality) -> ConsentText | None:
    return latest_of_purpose(municipality.id, CONSENT_PURPOSE)


def consent_text_for(municipality: Municipality, text: str, by: User | None) -> ConsentText:
    """The latest version when the wording is unchanged, otherwise a new version."""
    from fieldwork.referrals.pdf import consent_fits

    wording = text.strip()
    if not wording:
        raise ReferralError(_("The consent text is empty."), "consent_text")
    if not consent_fits(wording):
        raise ReferralError(
            _("The consent text does not fit on the strip: keep it under about 650 characters."),
            "consent_text",
        )
    latest = latest_consent_text(municipality)
    if latest is not None and latest.text == wording:
        return latest
    version = ConsentText(
        municipality_id=municipality.id,
        purpose=CONSENT_PURPOSE,
        version=(latest.version + 1) if latest else 1,
        text=wording,
        created_by_id=by.id if by else None,
    )
    db.session.add(version)
    db.session.flush()
    return version


# --- series and cards ------------------------------------------------------------------------


def parse_service_offer(text: str) -> list[dict[str, str]]:
    """One service a line, "Name: phone" or "Name — phone" (the phone may be left out)."""
    offer = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for separator in (":", " — ", " – ", " - ", "\t"):
            if separator in line:
                name, phone = line.rsplit(separator, 1)
                break
        else:
            name, phone = line, ""
        offer.append({"name": name.strip()[:80], "phone": phone.strip()[:40]})
    return offer


def _unique_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        batch = {new_code() for _ in range(count - len(codes))} - codes
        taken = (
            set(db.session.scalars(select(ReferralCard.code).where(ReferralCard.code.in_(batch))))
            if batch
            else set()
        )
        codes |= batch - taken
    return sorted(codes)


def create_series(
    municipality: Municipality,
    name: str,
    service_offer: list[dict[str, str]],
    consent_text: str,
    count: int,
    by: User | None,
) -> CardSeries:
    """A series with ``count`` cards; the printable PDF is made by the worker after commit."""
    if not 1 <= count <= MAX_CARDS:
        raise ReferralError(_("Between 1 and %(max)d cards.", max=MAX_CARDS), "count")
    if not name.strip():
        raise ReferralError(_("Give the series a name."), "name")
    version = consent_text_for(municipality, consent_text, by)
    series = CardSeries(
        municipality_id=municipality.id,
        name=name.strip(),
        service_offer=service_offer,
        consent_text_id=version.id,
        card_count=count,
        created_by_id=by.id if by else None,
    )
    db.session.add(series)
    db.session.flush()
    db.session.add_all(
        ReferralCard(series_id=series.id, code=code) for code in _unique_codes(count)
    )
    db.session.flush()
    enqueue_after_commit("referrals.render_series_pdf", series.id)
    return series


def render_again(series: CardSeries) -> None:
    """Queue the PDF again after a failure or a worker that never finished it."""
    if series.pdf_status not in ("failed",) and not series.pdf_stalled:
        raise ReferralError(_("The PDF is ready or still being made."), "pdf", 409)
    series.pdf_status, series.pdf_done, series.pdf_error = "pending", 0, None
    series.pdf_started_at = None
    db.session.flush()
    enqueue_after_commit("referrals.render_series_pdf", series.id)


def stored_pdf(series: CardSeries) -> bytes | None:
    """The printable sheets once the worker made them."""
    if series.pdf_status != "done":
        return None
    stored = db.session.get(CardSeriesPdf, series.id)
    return stored.data if stored else None


def card_url(code: str) -> str:
    """The address the QR code holds; PUBLIC_BASE_URL because the worker has no request."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/k/{code}"


CODE_MESSAGES = {
    "length": lambda: _("A card code has 7 characters, like K7MQ-4X9."),
    "characters": lambda: _(
        "A card code only has the digits 2 to 9 and letters; "
        "never 0, 1, I, L or O. Check the code on the card."
    ),
    "check": lambda: _("This code has a typing error. Check every character on the card."),
}


def find_card(typed: str) -> ReferralCard:
    """The card for a typed or scanned code; a clear ReferralError (404) otherwise."""
    try:
        code = normalise(typed)
    except CodeError as exc:
        raise ReferralError(CODE_MESSAGES[exc.kind](), "code", 404) from exc
    card = db.session.scalar(select(ReferralCard).where(ReferralCard.code == code))
    if card is None:
        raise ReferralError(_("No card has the code %(code)s.", code=display(code)), "code", 404)
    return card


def ensure_fileable(card: ReferralCard) -> None:
    if card.state == "used":
        raise ReferralError(
            _(
                "Card %(code)s was already filed. A card can be used only once.",
                code=display(card.code),
            ),
            "code",
            409,
        )
    if card.state == "voided":
        raise ReferralError(
            _("Card %(code)s was made invalid. Use another card.", code=display(card.code)),
            "code",
            409,
        )


def _locked(card: ReferralCard) -> ReferralCard:
    """The card re-read under a row lock, so a change never overwrites a filing in flight."""
    locked = db.session.get(ReferralCard, card.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    return locked


def hand_out(card: ReferralCard, to: str, to_user: User | None = None) -> None:
    card = _locked(card)
    if card.state not in ("printed", "handed_out"):
        raise ReferralError(_("Only an unused card can be handed out."), "state", 409)
    card.state, card.handed_out_at = "handed_out", utcnow()
    card.handed_out_to = (to.strip() or (to_user.display_name if to_user else ""))[:200] or None
    card.handed_out_to_user_id = to_user.id if to_user else None
    db.session.flush()


def void_card(card: ReferralCard, reason: str) -> None:
    card = _locked(card)
    if card.state == "used":
        raise ReferralError(_("A filed card cannot be made invalid."), "state", 409)
    card.state, card.voided_at, card.void_reason = "voided", utcnow(), reason.strip()[:200]
    db.session.flush()


# --- filing a card ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filer:
    """Who files: an account (referrer, or staff typing in a paper card) or a one-time link."""

    user: User | None
    link: ReferralLink | None = None

    @property
    def via(self) -> str:
        if self.link is not None:
            return "link"
        return "account" if self.user and self.user.role == "referrer" else "paper"

    @property
    def name(self) -> str:
        return self.link.referrer_name if self.link else self.user.display_name if self.user else ""

    @property
    def organisation(self) -> str:
        if self.link is not None:
            return self.link.organisation
        return self.user.organisation if self.user else ""


def submit_card(
    card: ReferralCard,
    payload: dict[str, Any],
    filer: Filer,
    signature_png: bytes | None = None,
    strip_photo: bytes | None = None,
) -> ReferralSubmission:
    """File the card: its signals go into the core (routed after commit) and the card is used.
    A second filing of the same card is refused — also when two arrive at once."""
    locked = _locked(card)
    ensure_fileable(locked)
    series = locked.series
    if filer.link is not None:
        check_link_may_file(filer.link, locked)
    consent = dict(payload["consent"])
    if consent["given"] and consent["how"] == "signed_strip" and not consent.get("reference"):
        consent["reference"] = display(locked.code)  # the strip carries the card's code
    if (
        consent["given"]
        and consent["how"] == "signature"
        and signature_png is None
        and filer.via != "paper"
    ):
        raise ReferralError(
            _("Let the resident sign on the screen, or record the signed strip."), "consent.how"
        )
    resident = dict(payload["resident"])
    if not resident.get("gemeente") and not resident.get("deelgemeente"):
        resident["gemeente"] = series.municipality.code
    if consent["given"] and not (resident.get("name") or "").strip():
        raise ReferralError(_("Fill in the name of the resident."), "resident.name")
    resident["phone"] = _resident_phone(resident.get("phone"), consent["given"])
    if not consent["given"]:
        resident["name"] = ""  # never kept: the card only counts for the neighbourhood
    try:
        signals = create_signals(
            {
                "resident": resident,
                "themes": payload["themes"],
                "urgency": payload["urgency"],
                "note": _note(payload, locked, filer),
                "consent": consent,
            },
            filer.user if filer.via != "link" else None,
            source="referral_card",
            consent_text_id=series.consent_text_id,
            urgent_opens_case=False,
        )
    except SignalError as exc:
        raise ReferralError(str(exc), exc.field) from exc
    submission = ReferralSubmission(
        card_id=locked.id,
        via=filer.via,
        submitted_by_id=filer.user.id if filer.user else None,
        link_id=filer.link.id if filer.link else None,
        referrer_name=filer.name[:120],
        organisation=(filer.organisation or "")[:200],
        themes=list(payload["themes"]),
        urgency=payload["urgency"],
        best_time=(payload.get("best_time") or "")[:120] if consent["given"] else "",
        consent_given=consent["given"],
        consent_id=signals[0].consent_id,
        signature_png=signature_png if consent["given"] else None,
        strip_photo=strip_photo if consent["given"] else None,
        strip_photo_status="pending" if strip_photo and consent["given"] else None,
        signals=signals,
    )
    db.session.add(submission)
    locked.state, locked.used_at = "used", utcnow()
    if filer.link is not None:
        filer.link.used_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError as exc:  # another filing of this card won the race
        raise ReferralError(
            _(
                "Card %(code)s was already filed. A card can be used only once.",
                code=display(locked.code),
            ),
            "code",
            409,
        ) from exc
    enqueue_after_commit("reports.count_capture", "referral", submission.id)
    if submission.strip_photo_status == "pending":
        enqueue_after_commit("referrals.clean_strip_photo", submission.id)
    return submission


def _resident_phone(typed: str | None, consent_given: bool) -> str | None:
    """The number the contact person will call, in its stored form (fieldwork.core.phones):
    required with consent; without consent nobody calls, so none is kept."""
    typed = (typed or "").strip()
    if consent_given and not typed:
        raise ReferralError(
            _("Fill in the resident's phone number: the contact person will call."),
            "resident.phone",
        )
    try:
        phone = normalise_phone(typed) if typed else None
    except PhoneError as exc:
        raise ReferralError(str(PHONE_MESSAGE), "resident.phone") from exc
    return phone if consent_given else None


STRIP_PHOTO_GRACE = timedelta(minutes=5)


def requeue_pending_strip_photos(now: datetime | None = None) -> int:
    """Strip photos still waiting for the worker some minutes after the card was filed (the
    task was lost: a broker restarted empty, a worker killed): their task again. The task
    only touches a pending photo, so a second run changes nothing. Returns how many."""
    cutoff = (now or utcnow()) - STRIP_PHOTO_GRACE
    waiting = list(
        db.session.scalars(
            select(ReferralSubmission.id).where(
                ReferralSubmission.strip_photo_status == "pending",
                ReferralSubmission.created_at < cutoff,
            )
        )
    )
    for submission_id in waiting:
        enqueue_after_commit("referrals.clean_strip_photo", submission_id)
    return len(waiting)


def strip_photo_tick_step() -> str:
    return f"strip photos: {requeue_pending_strip_photos()} re-queued"


def clean_strip_photo(submission_id: int) -> str:
    """The worker's part of a strip photo: decode it, keep a small JPEG without metadata.
    Safe to run twice: only a pending photo is touched. A photo whose header passed but that
    does not decode is dropped ("failed"); the card stays filed."""
    submission = db.session.get(ReferralSubmission, submission_id, with_for_update=True)
    if submission is None or submission.strip_photo_status != "pending":
        return submission.strip_photo_status or "none" if submission else "gone"
    try:
        submission.strip_photo = clean_photo(submission.strip_photo or b"")
        submission.strip_photo_status = "done"
    except PictureError:
        log.warning("referral submission %s: the strip photo did not decode", submission_id)
        submission.strip_photo, submission.strip_photo_status = None, "failed"
    db.session.flush()
    return submission.strip_photo_status


def _note(payload: dict[str, Any], card: ReferralCard, filer: Filer) -> str:
    """What the contact person reads on the case: the description, when to call, and who
    referred (so they can close the loop)."""
    parts = [payload.get("description") or ""]
    if payload.get("best_time") and payload["consent"]["given"]:
        parts.append(f"Best te bellen: {payload['best_time']}")
    who = ", ".join(part for part in (filer.name, filer.organisation) if part)
    parts.append(f"Doorverwijskaart {display(card.code)}" + (f" van {who}" if who else ""))
    return "\n".join(part.strip() for part in parts if part.strip())


def referral_status(submission: ReferralSubmission) -> str:
    """What the referrer may know: received → contacted → closed, nothing of the content."""
    return referral_statuses([submission])[submission.id]


def _reached(event: CaseEvent) -> bool:
    detail = event.detail or {}
    return (event.type == "contact_attempt" and detail.get("result") == "reached") or detail.get(
        "new"
    ) in ("contacted", "in_progress", "closed")


def referral_statuses(submissions: list[ReferralSubmission]) -> dict[int, str]:
    """The status of each submission, with two queries for all of them.

    Only what happened on the case since a card was filed counts: a card that joins a case
    the resident already had must not show "contacted" at once (and so reveal that case)."""
    case_ids = {
        s.id: {signal.case_id for signal in s.signals if signal.case_id}
        for s in submissions
        if s.consent_given
    }
    wanted = set().union(*case_ids.values()) if case_ids else set()
    closed_at = (
        dict(db.session.execute(select(Case.id, Case.closed_at).where(Case.id.in_(wanted))).all())
        if wanted
        else {}
    )
    events = (
        list(
            db.session.scalars(
                select(CaseEvent).where(
                    CaseEvent.case_id.in_(wanted),
                    CaseEvent.at >= min(s.created_at for s in submissions),
                    CaseEvent.type.in_(("contact_attempt", "status_change")),
                )
            )
        )
        if wanted
        else []
    )
    statuses = {}
    for submission in submissions:
        ids, since = case_ids.get(submission.id), submission.created_at
        if not ids:
            statuses[submission.id] = "received"
        elif all((closed := closed_at.get(i)) is not None and closed >= since for i in ids):
            statuses[submission.id] = "closed"
        elif any(e.case_id in ids and e.at >= since and _reached(e) for e in events):
            statuses[submission.id] = "contacted"
        else:
            statuses[submission.id] = "received"
    return statuses


def submissions_of(user: User) -> list[ReferralSubmission]:
    return list(
        db.session.scalars(
            select(ReferralSubmission)
            .options(
                selectinload(ReferralSubmission.signals), selectinload(ReferralSubmission.card)
            )
            .where(ReferralSubmission.submitted_by_id == user.id)
            .order_by(ReferralSubmission.created_at.desc(), ReferralSubmission.id.desc())
            .limit(200)
        )
    )


def proof_of_consent(consent_id: int) -> tuple[bytes, str] | None:
    """The picture that proves a card's consent: (bytes, mimetype), or None."""
    submission = db.session.scalar(
        select(ReferralSubmission).where(ReferralSubmission.consent_id == consent_id)
    )
    if submission is None:
        return None
    if submission.signature_png:
        return submission.signature_png, "image/png"
    if submission.strip_photo and submission.strip_photo_status in (None, "done"):
        return submission.strip_photo, "image/jpeg"
    return None


def consents_with_proof(consent_ids: list[int]) -> set[int]:
    if not consent_ids:
        return set()
    return set(
        db.session.scalars(
            select(ReferralSubmission.consent_id).where(
                ReferralSubmission.consent_id.in_(consent_ids),
                (ReferralSubmission.signature_png.is_not(None))
                | (
                    ReferralSubmission.strip_photo.is_not(None)
                    & or_(
                        ReferralSubmission.strip_photo_status.is_(None),
                        ReferralSubmission.strip_photo_status == "done",
                    )
                ),
            )
        )
    )


# --- one-time links --------------------------------------------------------------------------


def create_link(
    municipality: Municipality,
    referrer_name: str,
    organisation: str,
    email: str | None,
    days: int,
    by: User | None,
) -> tuple[ReferralLink, str]:
    if not referrer_name.strip():
        raise ReferralError(_("Give the name of the referrer."), "referrer_name")
    if not 1 <= days <= 90:
        raise ReferralError(_("A link is valid for 1 to 90 days."), "days")
    token = secrets.token_urlsafe(24)
    link = ReferralLink(
        token_hash=hash_token(token),
        referrer_name=referrer_name.strip()[:120],
        organisation=organisation.strip()[:200],
        email=(email or None),
        municipality_id=municipality.id,
        created_by_id=by.id if by else None,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def link_for_token(token: str, now: datetime | None = None) -> ReferralLink:
    link = db.session.scalar(
        select(ReferralLink).where(ReferralLink.token_hash == hash_token(token or ""))
    )
    if link is None or link.revoked_at is not None:
        raise ReferralError(
            _("This link does not work. Ask the municipality for a new one."), "token", 404
        )
    if link.expires_at <= (now or utcnow()):
        raise ReferralError(
            _("This link has expired. Ask the municipality for a new one."), "token", 410
        )
    return link


def check_link_may_file(link: ReferralLink, card: ReferralCard) -> None:
    """A link files one card of its own municipality; locked, so two tabs cannot both."""
    fresh = db.session.get(ReferralLink, link.id, with_for_update=True, populate_existing=True)
    if fresh is None or fresh.used_at is not None:
        raise ReferralError(_("This link was already used for a card."), "token", 409)
    if card.series.municipality_id != fresh.municipality_id:
        raise ReferralError(_("This card belongs to another municipality."), "code", 403)


def revoke_link(link: ReferralLink) -> None:
    link.revoked_at = link.revoked_at or utcnow()
    db.session.flush()


def submission_of_link(link: ReferralLink) -> ReferralSubmission | None:
    return db.session.scalar(
        select(ReferralSubmission).where(ReferralSubmission.link_id == link.id)
    )
