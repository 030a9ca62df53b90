"""The coordinator's pages: card series (print, progress, hand out, void) and one-time links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from werkzeug.wrappers import Response as BaseResponse

from fieldwork.areas.services import get_municipality, list_municipalities
from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.core.receipts import sent_before
from fieldwork.extensions import db
from fieldwork.partners.services import offer_lines
from fieldwork.referrals.codes import display
from fieldwork.referrals.forms import HandOutForm, LinkForm, SeriesForm, VoidForm
from fieldwork.referrals.models import (
    CARD_STATES,
    CardSeries,
    ReferralCard,
    ReferralLink,
)
from fieldwork.referrals.services import (
    DEFAULT_CONSENT_TEXT,
    ReferralError,
    create_link,
    create_series,
    find_card,
    hand_out,
    latest_consent_text,
    parse_service_offer,
    render_again,
    revoke_link,
    stored_pdf,
    void_card,
)

bp = Blueprint("cards", __name__, url_prefix="/referrals")
PAGE_SIZE = 100
MAX_PAGE = 1000


@bp.get("/")
@roles_required("coordinator")
def index() -> str:
    series = db.session.scalars(select(CardSeries).order_by(CardSeries.id.desc())).all()
    used = dict(
        db.session.execute(
            select(ReferralCard.series_id, func.count())
            .where(ReferralCard.state == "used")
            .group_by(ReferralCard.series_id)
        ).all()
    )
    links = db.session.scalars(
        select(ReferralLink).order_by(ReferralLink.id.desc()).limit(50)
    ).all()
    return render_template("referrals/index.html", series=series, used=used, links=links)


@bp.route("/series/new", methods=["GET", "POST"])
@roles_required("coordinator")
def new_series() -> str | Response | tuple[str, int]:
    form = SeriesForm()
    municipalities = list_municipalities()
    form.gemeente.choices = [(m.code, m.name) for m in municipalities]
    if request.method == "GET" and municipalities:
        chosen = get_municipality(request.args.get("gemeente", "")) or municipalities[0]
        form.gemeente.data = chosen.code
        current = latest_consent_text(chosen)
        form.consent_text.data = current.text if current else DEFAULT_CONSENT_TEXT
        # the social map's offer to start from; the coordinator keeps what fits on the card
        form.service_offer.data = "\n".join(offer_lines(chosen))
    if form.validate_on_submit():
        if again := sent_before(form.once.data, url_for("cards.index")):
            return again
        municipality = get_municipality(form.gemeente.data or "")
        try:
            if municipality is None:
                raise ReferralError(_("Choose a municipality."), "gemeente")
            series = create_series(
                municipality,
                form.name.data or "",
                parse_service_offer(form.service_offer.data or ""),
                form.consent_text.data or "",
                form.count.data or 0,
                current_user,
            )
            record_audit("card_series_created", "card_series", series.id, count=series.card_count)
            db.session.commit()
            flash(_("The series was created. The PDF is being made."), "success")
            return redirect(url_for("cards.series_page", series_id=series.id))
        except ReferralError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, form.name)
            field.errors = [*field.errors, str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("referrals/new_series.html", form=form), status


def _series_or_404(series_id: int) -> CardSeries:
    series = db.session.get(CardSeries, series_id)
    if series is None:
        abort(404)
    return series


@bp.get("/series/<int:series_id>")
@roles_required("coordinator")
def series_page(series_id: int) -> str:
    series = _series_or_404(series_id)
    state = request.args.get("state", "")
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    query = select(ReferralCard).where(ReferralCard.series_id == series.id)
    if state in CARD_STATES:
        query = query.where(ReferralCard.state == state)
    cards = db.session.scalars(
        query.order_by(ReferralCard.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    counts = dict(
        db.session.execute(
            select(ReferralCard.state, func.count())
            .where(ReferralCard.series_id == series.id)
            .group_by(ReferralCard.state)
        ).all()
    )
    hand_out_form = _hand_out_form()
    return render_template(
        "referrals/series.html",
        series=series,
        cards=cards[:PAGE_SIZE],
        more=len(cards) > PAGE_SIZE,
        page=page,
        state=state,
        counts=counts,
        states=CARD_STATES,
        hand_out_form=hand_out_form,
        void_form=VoidForm(),
    )


def _hand_out_form() -> HandOutForm:
    """The hand-out form with the active referrers to choose from (and "—" for none)."""
    form = HandOutForm()
    referrers = db.session.scalars(
        select(User).where(User.role == "referrer", User.active.is_(True)).order_by(User.name)
    )
    form.to_user.choices = [("", "—")] + [
        (str(u.id), f"{u.display_name} ({u.organisation})" if u.organisation else u.display_name)
        for u in referrers
    ]
    return form


@bp.get("/series/<int:series_id>/pdf")
@roles_required("coordinator")
def series_pdf(series_id: int) -> Response:
    from fieldwork.referrals.api import pdf_response

    series = _series_or_404(series_id)
    data = stored_pdf(series)
    if data is None:
        flash(_("The PDF is not ready yet."), "error")
        return redirect(url_for("cards.series_page", series_id=series.id))
    return pdf_response(data, series)


@bp.post("/series/<int:series_id>/pdf")
@roles_required("coordinator")
def render_pdf_again(series_id: int) -> Response:
    series = _series_or_404(series_id)
    form = VoidForm()  # only its CSRF token is used
    if form.validate_on_submit():
        try:
            render_again(series)
            record_audit("card_series_pdf_requested", "card_series", series.id)
            db.session.commit()
            flash(_("The PDF is being made again."), "success")
        except ReferralError as exc:
            db.session.rollback()
            flash(str(exc), "error")
    return redirect(url_for("cards.series_page", series_id=series.id))


@bp.post("/links/<int:link_id>/revoke")
@roles_required("coordinator")
def revoke(link_id: int) -> Response:
    link = db.session.get(ReferralLink, link_id)
    if link is None:
        abort(404)
    if VoidForm().validate_on_submit():
        revoke_link(link)
        record_audit("referral_link_revoked", "referral_link", link.id)
        db.session.commit()
        flash(_("The link no longer works."), "success")
    return redirect(url_for("cards.index"))


def _back_to(card: ReferralCard) -> Response:
    return redirect(
        url_for(
            "cards.series_page",
            series_id=card.series_id,
            state=request.args.get("state", ""),
            page=min(request.args.get("page", 1, type=int) or 1, MAX_PAGE),
        )
    )


def _card_or_404(code: str) -> ReferralCard:
    try:
        return find_card(code)
    except ReferralError:
        abort(404)


def _change_card(
    card: ReferralCard, change: Callable[[], None], action: str, done: str, **detail: Any
) -> Response:
    """Apply one change to a card, audit it, commit, and go back to the list with a message."""
    try:
        change()
        record_audit(action, "referral_card", card.code, **detail)
        db.session.commit()
        flash(done, "success")
    except ReferralError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return _back_to(card)


@bp.post("/cards/<code>/hand-out")
@roles_required("coordinator")
def hand_out_card(code: str) -> Response:
    card = _card_or_404(code)
    form = _hand_out_form()
    if not form.validate_on_submit():
        flash(_("Choose a referrer from the list."), "error")
        return _back_to(card)
    to_user = db.session.get(User, int(form.to_user.data)) if form.to_user.data else None
    return _change_card(
        card,
        lambda: hand_out(card, form.to.data or "", to_user),
        "referral_card_handed_out",
        _("Card %(code)s handed out.", code=display(card.code)),
        to_user=to_user.id if to_user else None,
    )


@bp.post("/cards/<code>/void")
@roles_required("coordinator")
def void(code: str) -> Response:
    card = _card_or_404(code)
    form = VoidForm()
    if not form.validate_on_submit():
        return _back_to(card)
    return _change_card(
        card,
        lambda: void_card(card, form.reason.data or ""),
        "referral_card_voided",
        _("Card %(code)s is no longer valid.", code=display(card.code)),
    )


@bp.route("/links/new", methods=["GET", "POST"])
@roles_required("coordinator")
def new_link() -> str | BaseResponse | tuple[str, int]:
    form = LinkForm()
    form.gemeente.choices = [(m.code, m.name) for m in list_municipalities()]
    if form.validate_on_submit():
        if again := sent_before(form.once.data, url_for("cards.index")):
            return again
        municipality = get_municipality(form.gemeente.data or "")
        try:
            if municipality is None:
                raise ReferralError(_("Choose a municipality."), "gemeente")
            link, token = create_link(
                municipality,
                form.referrer_name.data or "",
                form.organisation.data or "",
                None,
                form.days.data or 14,
                current_user,
            )
            record_audit("referral_link_created", "referral_link", link.id)
            db.session.commit()
            from flask import current_app

            url = (
                f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}"
                f"{url_for('referrals.link_start', token=token)}"
            )
            return render_template("referrals/link_created.html", link=link, url=url)
        except ReferralError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, form.referrer_name)
            field.errors = [*field.errors, str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("referrals/new_link.html", form=form), status
