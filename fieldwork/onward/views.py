"""Referring onward from a case (contact person, coordinator) and the partner's link page
(no account: the signed link is the key)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.areas.models import Municipality
from fieldwork.cases.models import Case
from fieldwork.cases.services import can_see_case
from fieldwork.core.audit import record_audit
from fieldwork.core.forms import show_refusal, small_id
from fieldwork.core.permissions import public, roles_required
from fieldwork.core.roles import STAFF_WITH_PERSONAL_DATA
from fieldwork.db import NO_KEY_UPDATE
from fieldwork.extensions import db, limiter
from fieldwork.onward.forms import AnswerForm, OnwardForm
from fieldwork.onward.models import STATES, OnwardReferral
from fieldwork.onward.services import (
    LinkExpired,
    OnwardError,
    OnwardRequest,
    accept,
    decline,
    refer_onward,
    referral_for_link,
    referrals_sent_to,
    report_done,
)
from fieldwork.partners.services import organisations_of

bp = Blueprint("onward", __name__)


def _service_choices(case: Case) -> list[tuple[int, str]]:
    municipality_id = case.resident.municipality_id
    return [
        (service.id, f"{organisation.name} — {service.name}")
        for organisation in organisations_of(db.session.get_one(Municipality, municipality_id))
        if organisation.active
        for service in organisation.services
        if service.active
    ]


@bp.route("/cases/<int:case_id>/doorverwijzen", methods=["GET", "POST"])
@roles_required(*STAFF_WITH_PERSONAL_DATA)
def refer(case_id: int) -> str | Response | tuple[str, int]:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(current_user, case):
        abort(404)
    form = OnwardForm()
    form.service.choices = _service_choices(case)
    if request.method == "GET" and small_id(request.args.get("dienst")):
        form.service.data = small_id(request.args.get("dienst"))
    status = 200
    if form.validate_on_submit():
        try:
            refer_onward(
                case,
                current_user,
                OnwardRequest(
                    service_id=form.service.data or 0,
                    purpose=form.purpose.data or "",
                    summary=form.summary.data or "",
                    consent_given=bool(form.consent_given.data),
                    consent_method=form.consent_method.data or "",
                    email=form.email.data or "",
                ),
            )
        except OnwardError as exc:
            db.session.rollback()
            show_refusal(form, exc, form.service)
            status = exc.status if exc.status != 403 else 404
        else:
            record_audit("onward_referral_sent", "case", case.id)
            db.session.commit()
            flash(_("The partner is told by e-mail; you see their answer here."), "success")
            return redirect(url_for("cases.case_page", case_id=case.id) + "#onward")
    elif request.method == "POST":
        status = 400
    record_audit("onward_form_viewed", "case", case.id)
    db.session.commit()
    return render_template("onward/refer.html", case=case, form=form), status


@bp.route("/doorverwijzing/<token>", methods=["GET", "POST"])
@public
@limiter.limit("30 per minute")
def partner_page(token: str) -> str | Response | tuple[str, int]:
    """The partner without an account: the signed link is the key."""
    try:
        referral = referral_for_link(token)
    except LinkExpired:
        return render_template("onward/gone.html", expired=True), 410
    if referral is None:
        return render_template("onward/gone.html", expired=False), 404
    return _answer_page(referral.id, url_for("onward.partner_page", token=token))


@bp.get("/doorverwijzingen")
@roles_required()
def my_referrals() -> str:
    """A partner with an account (any role): the referrals sent to its e-mail address."""
    return render_template(
        "onward/mine.html", referrals=referrals_sent_to(current_user.email), states=STATES
    )


@bp.route("/doorverwijzingen/<int:referral_id>", methods=["GET", "POST"])
@roles_required()
def my_referral(referral_id: int) -> str | Response | tuple[str, int]:
    referral = db.session.get(OnwardReferral, referral_id)
    if referral is None or referral.partner_email.casefold() != current_user.email.casefold():
        return render_template("onward/gone.html", not_yours=True), 404
    return _answer_page(referral.id, url_for("onward.my_referral", referral_id=referral.id))


def _answer_page(referral_id: int, here: str) -> str | Response | tuple[str, int]:
    """Read what was shared and answer: accept, decline with a reason, report done."""
    referral = db.session.get_one(OnwardReferral, referral_id)
    if request.method == "POST":
        # two tabs at once (accept and decline), or a withdrawal meanwhile: they take turns,
        # the later one reads the earlier one's state. The case is locked first, as a
        # withdrawal does (case, then referral): the other order could deadlock.
        db.session.get_one(Case, referral.case_id, with_for_update=NO_KEY_UPDATE)
        referral = db.session.get_one(
            OnwardReferral, referral_id, with_for_update=NO_KEY_UPDATE, populate_existing=True
        )
    form = AnswerForm()
    status = 200
    if form.validate_on_submit():
        try:
            changed = _answer(referral, request.form.get("action", ""), form)
        except OnwardError as exc:
            db.session.rollback()
            referral = db.session.get_one(OnwardReferral, referral_id)
            target = getattr(form, exc.field, None)
            if target is not None:
                target.errors = [*target.errors, str(exc)]
            else:
                flash(str(exc), "error")
            status = exc.status
        else:
            if changed:
                record_audit(f"onward_{referral.state}_by_partner", "case", referral.case_id)
                flash(_("Thank you: the contact person sees your answer."), "success")
            else:  # a second tap, or an old tab sent again
                flash(_("Nothing changed: this referral was answered already."), "info")
            db.session.commit()
            return redirect(here)
    record_audit("onward_read_by_partner", "case", referral.case_id, referral=referral.id)
    db.session.commit()
    return render_template(
        "onward/partner.html", referral=referral, form=form, states=STATES
    ), status


def _answer(referral: OnwardReferral, action: str, form: AnswerForm) -> bool:
    if action == "accept":
        return accept(referral)
    if action == "decline":
        return decline(referral, form.reason.data or "")
    if action == "done":
        return report_done(referral, form.outcome.data or "")
    abort(400)
