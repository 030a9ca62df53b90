"""Filing a card on a phone: by QR or typed code, with an account or a one-time link."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from fieldwork.areas.models import SubMunicipality
from fieldwork.cases.models import Case
from fieldwork.cases.services import can_see_case
from fieldwork.core.audit import record_audit
from fieldwork.core.drafts import draft_saved
from fieldwork.core.observed import clamp_observed_at
from fieldwork.core.permissions import public, roles_required
from fieldwork.core.pictures import PictureError, check_photo_header, decode_signature
from fieldwork.core.receipts import claim_capture_key, from_phone_queue
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.referrals.codes import CodeError, display, normalise
from fieldwork.referrals.forms import CardForm, CodeForm
from fieldwork.referrals.link_session import forget_link, remember_link, remembered_link
from fieldwork.referrals.models import ReferralCard, ReferralLink
from fieldwork.referrals.services import (
    Filer,
    ReferralError,
    check_link_may_file,
    ensure_fileable,
    find_card,
    link_for_token,
    proof_of_consent,
    referral_status,
    submission_of_link,
    submit_card,
)
from fieldwork.signals.models import Consent

bp = Blueprint("referrals", __name__)
FILERS = ("referrer", "contact_person", "coordinator")
P = ParamSpec("P")
R = TypeVar("R")


def problem(exc: ReferralError | PictureError, back: str | None = None) -> tuple[str, int]:
    return render_template("referrals/problem.html", message=str(exc), back=back), exc.status


def filers_or_through_a_link(view: Callable[P, R]) -> Callable[P, R | Response]:
    """For FILERS, like ``roles_required``. A visitor without an account who opened a one-time
    link in this browser goes on through it: the QR code on the card holds /k/<code>. One
    who did not finds on the login page how to file without an account."""
    guarded = roles_required(*FILERS)(view)

    @wraps(guarded)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        opened = request.method in ("GET", "HEAD") and not from_phone_queue()
        if current_user.is_authenticated or not opened:
            return guarded(*args, **kwargs)
        token = remembered_link()
        if token is not None:
            code = kwargs.get("code")
            return redirect(through_link(token, code if isinstance(code, str) else None))
        explain_filing_without_account()
        return guarded(*args, **kwargs)  # the login page

    return wrapped


def through_link(token: str, code: str | None) -> str:
    if code is None:
        return url_for("referrals.link_start", token=token)
    return url_for("referrals.link_card", token=token, code=code)


def explain_filing_without_account() -> None:
    message = _(
        "To fill in a card without an account, first open on this phone the one-time link you "
        "received from the municipality, then scan the QR code again. No link? Ask the contact "
        "person of your municipality for one. With an account, log in below."
    )
    flash(message, "info")


@bp.route("/k", methods=["GET", "POST"])
@filers_or_through_a_link
def enter_code() -> str | Response | tuple[str, int]:
    """Type the code of a card (a paper card received by post, or no camera at hand)."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            card = find_card(form.code.data or "")
            return redirect(url_for("referrals.file_card", code=card.code))
        except ReferralError as exc:
            form.code.errors = [str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("referrals/enter_code.html", form=form), status


@bp.route("/k/<code>", methods=["GET", "POST"])
@filers_or_through_a_link
def file_card(code: str) -> str | Response | tuple[str, int]:
    return card_page(
        code, Filer(current_user), lambda card: url_for("referrals.receipt", code=card.code)
    )


@bp.get("/k/<code>/ontvangen")
@roles_required(*FILERS)
def receipt(code: str) -> str | tuple[str, int]:
    """The referrer's receipt, later the status: received → contacted → closed."""
    try:
        card = find_card(code)
    except ReferralError as exc:
        return problem(exc)
    submission = card.submission
    if submission is None or (
        current_user.role == "referrer" and submission.submitted_by_id != current_user.id
    ):
        abort(404)
    return render_template(
        "referrals/receipt.html",
        card=card,
        submission=submission,
        status=referral_status(submission),
    )


@bp.get("/consents/<int:consent_id>/proof")
@roles_required("contact_person", "coordinator")
def consent_proof(consent_id: int) -> Response:
    """The signature or the photo of the signed strip, for who may see the resident's case."""
    consent = db.session.get(Consent, consent_id)
    proof = proof_of_consent(consent_id) if consent else None
    cases = (
        db.session.scalars(select(Case).where(Case.resident_id == consent.resident_id)).all()
        if consent
        else []
    )
    if proof is None or not any(can_see_case(current_user, case) for case in cases):
        abort(404)
    record_audit("consent_proof_viewed", "consent", consent_id)
    db.session.commit()
    return Response(proof[0], mimetype=proof[1], headers={"Cache-Control": "private, no-store"})


@bp.route("/r/<token>", methods=["GET", "POST"])
@public
def link_start(token: str) -> str | Response | tuple[str, int]:
    """A one-time link: type the card's code, file it; afterwards the receipt and status."""
    try:
        link = link_for_token(token)
    except ReferralError as exc:
        forget_link(token)
        return problem(exc)
    if not current_user.is_authenticated:
        remember_link(token)
    submission = submission_of_link(link)
    if submission is not None:
        return render_template(
            "referrals/receipt.html",
            card=submission.card,
            submission=submission,
            status=referral_status(submission),
            link=link,
        )
    form = CodeForm()
    if form.validate_on_submit():
        try:
            card = find_card(form.code.data or "")
            return redirect(url_for("referrals.link_card", token=token, code=card.code))
        except ReferralError as exc:
            form.code.errors = [str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("referrals/enter_code.html", form=form, link=link), status


@bp.route("/r/<token>/k/<code>", methods=["GET", "POST"])
@public
def link_card(token: str, code: str) -> str | Response | tuple[str, int]:
    back = url_for("referrals.link_start", token=token)
    try:
        link = link_for_token(token)
    except ReferralError as exc:
        forget_link(token)
        return problem(exc, back)
    if link.used_at is not None:
        return used_link(link, code, back)
    try:
        card = find_card(code)
        if card.state not in ("used", "voided"):
            check_link_may_file(link, card)
    except ReferralError as exc:
        db.session.rollback()
        return problem(exc, back)
    return card_page(code, Filer(None, link), lambda card: back, back)


def used_link(link: ReferralLink, code: str, back: str) -> Response | tuple[str, int]:
    """Its own card: the receipt (a double tap, Back after sending). Another card (the next
    QR code scanned): why no form opens."""
    submission = submission_of_link(link)
    if submission is None or _same_code(submission.card.code, code):
        return redirect(back)
    message = _(
        "This link was already used for card %(code)s: a link is for one card. For this card, "
        "ask the municipality for a new link.",
        code=display(submission.card.code),
    )
    return problem(ReferralError(message, "token", 409), back)


def _same_code(code: str, typed: str) -> bool:
    try:
        return normalise(typed) == code
    except CodeError:
        return False


def _filed_by(card: ReferralCard, filer: Filer) -> bool:
    submission = card.submission
    if submission is None:
        return False
    if filer.link is not None:
        return submission.link_id == filer.link.id
    return filer.user is not None and submission.submitted_by_id == filer.user.id


def card_page(
    code: str, filer: Filer, receipt_url: Any, back: str | None = None
) -> str | Response | tuple[str, int]:
    """``back``: where a refused card's page leads, for a filer without a start page."""
    try:
        card = find_card(code)
    except ReferralError as exc:
        return problem(exc, back)
    if card.state == "used" and _filed_by(card, filer):
        draft_saved()
        return redirect(receipt_url(card))  # a double tap, or back after sending
    try:
        ensure_fileable(card)  # used by someone else, or voided
    except ReferralError as exc:
        return problem(exc, back)
    series = card.series
    form = CardForm()
    villages = db.session.scalars(
        select(SubMunicipality)
        .where(
            SubMunicipality.municipality_id == series.municipality_id,
            SubMunicipality.is_unlocatable.is_(False),
        )
        .order_by(SubMunicipality.name)
    ).all()
    form.deelgemeente.choices = [("", _("— choose —"))] + [(v.code, v.name) for v in villages]
    if form.validate_on_submit():
        try:
            submission = submit_card(card, payload_from(form), filer, *pictures_from(form))
            submission.observed_at = clamp_observed_at(request.form.get("observed_at"), utcnow())
            record_audit(
                "referral_card_filed",
                "referral_card",
                card.code,
                consent=submission.consent_given,
                via=submission.via,
            )
            claim_capture_key(filer.user.id if filer.user else None, receipt_url(card))
            db.session.commit()
            draft_saved()
            return redirect(receipt_url(card))
        except (ReferralError, PictureError) as exc:
            db.session.rollback()
            if exc.status in (403, 409):
                return problem(exc, back)
            target = {
                "signature": form.consent,
                "consent.how": form.consent,
                "strip_photo": form.strip_photo,
                "resident.name": form.name,
                "resident.phone": form.phone,
            }
            field = target.get(exc.field, form.street)
            field.errors = [*field.errors, str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template(
        "referrals/card_form.html",
        form=form,
        card=card,
        series=series,
        code=display(card.code),
        filer=filer,
    ), status


def payload_from(form: CardForm) -> dict[str, Any]:
    consent = form.consent.data
    return {
        "resident": {
            "name": (form.name.data or "").strip(),
            "street": form.street.data,
            "house_number": None if form.no_exact_number.data else (form.house_number.data or None),
            "postcode": form.postcode.data or None,
            # the village places the resident only when the number is unknown;
            # an address that does not resolve goes to the fix-up list instead
            "deelgemeente": form.deelgemeente.data if form.no_exact_number.data else None,
            "gemeente": None,
            "birth_year": form.birth_year.data,
            "phone": form.phone.data or None,
            "lat": None,
            "lon": None,
            "statsec": None,
        },
        "themes": list(dict.fromkeys(form.themes.data or [])),
        "description": form.description.data or "",
        "urgency": form.urgency.data,
        "best_time": form.best_time.data or "",
        "consent": {
            "given": consent != "none",
            "how": None if consent == "none" else consent,
            "reference": None,
        },
    }


def pictures_from(form: CardForm) -> tuple[bytes | None, bytes | None]:
    signature = None
    if form.consent.data == "signature":
        if not form.signature.data:
            raise ReferralError(
                _("Let the resident sign in the box, or choose the signed strip."), "signature"
            )
        signature = decode_signature(form.signature.data)
    upload = form.strip_photo.data
    photo = None
    if form.consent.data == "signed_strip" and upload and getattr(upload, "filename", ""):
        # only the header is read here: a small file can hold a huge picture, and decoding
        # it would take hundreds of MB in the web worker; the Celery worker decodes it
        photo = upload.read()
        check_photo_header(photo)
    return signature, photo
