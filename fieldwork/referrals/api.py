"""/api/v1/card-series and /api/v1/referral-cards."""

from __future__ import annotations

from typing import Any

from flask import Response, g, url_for
from flask_smorest import Blueprint, abort

from fieldwork.areas.services import get_municipality
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import refuse
from fieldwork.core.idempotency import KEY_PARAMETER, idempotent
from fieldwork.core.permissions import api_roles
from fieldwork.core.pictures import PictureError, decode_signature
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.referrals.codes import display
from fieldwork.referrals.models import CardSeries, ReferralCard
from fieldwork.referrals.schemas import (
    CardSchema,
    CardSeriesInSchema,
    CardSeriesSchema,
    CardSubmissionSchema,
    SubmissionReceiptSchema,
)
from fieldwork.referrals.services import (
    DEFAULT_CONSENT_TEXT,
    Filer,
    ReferralError,
    create_series,
    find_card,
    latest_consent_text,
    referral_status,
    stored_pdf,
    submit_card,
)

bp = Blueprint("api_referrals", __name__, url_prefix="/api/v1", description="Referral cards")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
FILERS = (Role.REFERRER, Role.CONTACT_PERSON, Role.COORDINATOR)


def series_body(series: CardSeries) -> dict[str, Any]:
    return {
        "id": series.id,
        "municipality": series.municipality,
        "name": series.name,
        "card_count": series.card_count,
        "consent_text": series.consent_text,
        "service_offer": series.service_offer,
        "pdf_status": series.pdf_status,
        "pdf_done": series.pdf_done,
        "pdf_url": url_for("api_referrals.get_series_pdf", series_id=series.id),
    }


@bp.post("/card-series")
@api_roles(Role.COORDINATOR)
@bp.arguments(CardSeriesInSchema)
@bp.response(201, CardSeriesSchema)
@bp.doc(security=BEARER)
def post_series(payload: dict[str, Any]) -> dict[str, Any]:
    """Create a series of cards; the printable PDF is made in the background (see pdf_url)."""
    municipality = get_municipality(payload["gemeente"])
    if municipality is None:
        abort(
            422,
            message="This municipality has not been imported.",
            errors={"gemeente": ["Not imported."]},
        )
    current = latest_consent_text(municipality)
    text = payload["consent_text"] or (current.text if current else DEFAULT_CONSENT_TEXT)
    try:
        series = create_series(
            municipality,
            payload["name"],
            payload["service_offer"],
            text,
            payload["count"],
            g.api_user,
        )
    except ReferralError as exc:
        refuse(exc)
    record_audit("card_series_created", "card_series", series.id, count=series.card_count)
    db.session.commit()
    return series_body(series)


def _series_or_404(series_id: int) -> CardSeries:
    series = db.session.get(CardSeries, series_id)
    if series is None:
        abort(404, message="No such card series.")
    return series


@bp.get("/card-series/<int:series_id>")
@api_roles(Role.COORDINATOR)
@bp.response(200, CardSeriesSchema)
@bp.doc(security=BEARER)
def get_series(series_id: int) -> dict[str, Any]:
    """A series with the progress of its PDF."""
    return series_body(_series_or_404(series_id))


@bp.get("/card-series/<int:series_id>/pdf")
@api_roles(Role.COORDINATOR)
@bp.response(200, description="application/pdf: A4 sheets, 4 cards each")
@bp.alt_response(202, schema=CardSeriesSchema, description="Still being made: poll again")
@bp.doc(security=BEARER)
def get_series_pdf(series_id: int) -> Response:
    """The printable cards once the worker made them; 202 with the progress until then."""
    series = _series_or_404(series_id)
    if series.pdf_status == "failed":
        abort(
            409,
            message="Making the PDF failed; the coordinator can make it again on the series page.",
        )
    data = stored_pdf(series)
    if data is None:
        return Response(
            CardSeriesSchema().dumps(series_body(series)),
            status=202,
            mimetype="application/json",
            headers={"Retry-After": "2"},
        )
    return pdf_response(data, series)


def pdf_response(data: bytes, series: CardSeries) -> Response:
    filename = f"doorverwijskaarten-{series.id}.pdf"
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def card_body(card: ReferralCard, show_status: bool) -> dict[str, Any]:
    series = card.series
    body: dict[str, Any] = {
        "code": card.code,
        "display_code": display(card.code),
        "state": card.state,
        "gemeente": series.municipality.code,
        "consent_text": series.consent_text.text,
        "consent_version": series.consent_text.version,
        "service_offer": series.service_offer,
    }
    if show_status and card.submission is not None:
        body["status"] = referral_status(card.submission)
    return body


@bp.get("/referral-cards/<code>")
@api_roles(*FILERS)
@bp.response(200, CardSchema)
@bp.doc(security=BEARER)
def get_card(code: str) -> dict[str, Any]:
    """A card's state and what its form shows. Its status only for who filed it, and staff;
    never the content."""
    try:
        card = find_card(code)
    except ReferralError as exc:
        refuse(exc)
    user = g.api_user
    mine = card.submission is not None and card.submission.submitted_by_id == user.id
    return card_body(card, mine or user.role != Role.REFERRER)


@bp.post("/referral-cards/<code>/submission")
@api_roles(*FILERS)
@bp.arguments(CardSubmissionSchema)
@bp.response(201, SubmissionReceiptSchema)
@bp.doc(
    security=BEARER,
    parameters=[KEY_PARAMETER],
)
def post_submission(payload: dict[str, Any], code: str) -> Response:
    """File a card: 409 when it was filed before or made invalid. Routed in the background."""
    user = g.api_user

    def create() -> tuple[dict[str, Any], int]:
        try:
            card = find_card(code)
            signature = payload["consent"].get("signature")
            submission = submit_card(
                card,
                payload,
                Filer(user),
                signature_png=decode_signature(signature) if signature else None,
            )
        except (ReferralError, PictureError) as exc:
            refuse(exc)
        record_audit(
            "referral_card_filed", "referral_card", card.code, consent=submission.consent_given
        )
        return {
            "code": card.code,
            "status": "received",
            "consent_given": submission.consent_given,
            "status_url": url_for("api_referrals.get_card", code=card.code),
        }, 201

    return idempotent(user.id, payload, create)
