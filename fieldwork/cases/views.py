"""Mijn wachtrij and the case page."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.cases.forms import (
    AttemptForm,
    CloseForm,
    NoteForm,
    ReasonForm,
    ReassignForm,
    StatusForm,
)
from fieldwork.cases.glass import behind_glass, break_glass, needs_reason
from fieldwork.cases.hooks import case_sections, consents_with_proof
from fieldwork.cases.models import Case
from fieldwork.cases.services import (
    CaseError,
    apply_case_event,
    can_see_case,
    has_contact_attempt,
    merge_residents,
    queue_page,
    signals_of,
    withdraw_consent,
)
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.core.receipts import sent_before
from fieldwork.extensions import db
from fieldwork.notifications.services import case_notifications
from fieldwork.signals.duplicates import near_matches
from fieldwork.signals.models import Consent, Resident
from fieldwork.signals.vocabulary import THEMES

bp = Blueprint("cases", __name__)
STAFF = ("contact_person", "coordinator")


@bp.get("/queue")
@roles_required(*STAFF)
def queue() -> str:
    neighbourhood_id = request.args.get("buurt", type=int)
    if neighbourhood_id is not None and not 0 < neighbourhood_id < 2**31:
        neighbourhood_id = None
    theme = request.args.get("thema") or None
    page = request.args.get("page", 1, type=int)
    if not 0 < page < 2**31:
        page = 1
    result = queue_page(current_user, neighbourhood_id, theme if theme in THEMES else None, page)
    record_audit("queue_viewed", "case", None, ids=[c.id for c in result.items])
    neighbourhoods = db.session.scalars(
        select(Neighbourhood)
        .where(Neighbourhood.is_unlocatable.is_(False))
        .order_by(Neighbourhood.name)
    )
    html = render_template(
        "cases/queue.html",
        cases=result.items,
        behind_glass=behind_glass(current_user, result.items),
        queue=result,
        neighbourhoods=neighbourhoods,
        themes=THEMES,
        chosen_neighbourhood=neighbourhood_id,
        chosen_theme=theme,
    )
    # Rendered before the commit: committing expires every loaded object, and the page
    # would then load each case, resident and neighbourhood again, one by one.
    db.session.commit()
    return html


def _forms(case: Case) -> dict[str, FlaskForm]:
    reassign_form = ReassignForm(prefix="reassign")
    reassign_form.to.choices = [
        (u.email, u.display_name)
        for u in db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_(STAFF), User.id != case.owner_id)
            .order_by(User.name)
        )
    ]
    return {
        "attempt": AttemptForm(prefix="attempt"),
        "status": StatusForm(prefix="status"),
        "close": CloseForm(prefix="close"),
        "reassign": reassign_form,
        "note": NoteForm(prefix="note"),
    }


def _apply(case: Case, action: str, forms: dict) -> None:
    form = forms[action]
    if not form.validate_on_submit():
        raise CaseError(" ".join(str(e) for errors in form.errors.values() for e in errors))
    fields = {name: field.data for name, field in form._fields.items()}
    if action == "attempt" and fields.get("call_back_at"):
        if not 2000 <= fields["call_back_at"].year <= 2999:  # 0001-01-01 has no UTC time
            raise CaseError(_("Choose a moment to call back within the next year."), "call_back_at")
        # the browser gives local (Belgian) wall-clock time
        local = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        fields["call_back_at"] = fields["call_back_at"].replace(tzinfo=local).astimezone(UTC)
    kinds = {
        "attempt": "contact_attempt",
        "status": "status_change",
        "close": "close",
        "reassign": "reassigned",
        "note": "note",
    }
    if action == "note":
        fields["note"] = fields.pop("text")
    apply_case_event(case, current_user, {**fields, "type": kinds[action]})


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def case_page(case_id: int) -> str | tuple[str, int] | Response:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(current_user, case):
        abort(404)
    if needs_reason(current_user, case):
        return render_template("cases/break_glass.html", case=case, form=ReasonForm()), 403
    forms = _forms(case)
    status = 200
    if request.method == "POST" and request.form.get("action") == "withdraw":
        try:
            withdraw_consent(case, current_user, request.form.get("reason", "")[:2000])
            db.session.commit()
            flash(_("Consent withdrawn; the case is closed."), "success")
            return redirect(url_for("cases.case_page", case_id=case.id))
        except CaseError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("cases.case_page", case_id=case.id))
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in forms:
            abort(400)
        once = getattr(forms[action], "once", None)  # what adds to the timeline: once
        if once is not None and (
            again := sent_before(once.data, url_for("cases.case_page", case_id=case.id))
        ):
            return again
        try:
            _apply(case, action, forms)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("cases.case_page", case_id=case.id))
        except CaseError as exc:
            db.session.rollback()
            case = db.session.get_one(Case, case_id)
            flash(str(exc), "error")
            _show_next_to_field(forms[action], exc)
            status = 400
    record_audit("case_viewed", "case", case.id)
    db.session.commit()
    consents = list(
        db.session.scalars(select(Consent).where(Consent.resident_id == case.resident_id))
    )
    return render_template(
        "cases/case.html",
        case=case,
        signals=signals_of(case),
        consents=consents,
        forms=forms,
        themes=THEMES,
        proofs=consents_with_proof([c.id for c in consents]),
        near=visible_near_matches(case),
        notifications=case_notifications(case.id),
        contact_attempted=has_contact_attempt(case),
        people=_people_in_timeline(case),
        sections=case_sections(case),
    ), status


@bp.post("/cases/<int:case_id>/reason")
@roles_required("coordinator")
def give_reason(case_id: int) -> tuple[str, int] | Response:
    """Break the glass: the reason to open a case outside one's queue and teams."""
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            break_glass(current_user, case, form.reason.data or "")
            db.session.commit()
            return redirect(url_for("cases.case_page", case_id=case.id))
        except CaseError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc)]
    return render_template("cases/break_glass.html", case=case, form=form), 400


# event details that name an account (by e-mail, as stored): the timeline shows the name
_PERSON_KEYS = ("owner", "old", "new")


def _people_in_timeline(case: Case) -> dict[str, str]:
    """E-mail → display name for the accounts the timeline's events name, in one query."""
    emails = {
        value
        for event in case.events
        for key, value in (event.detail or {}).items()
        if key in _PERSON_KEYS and isinstance(value, str) and "@" in value
    }
    if not emails:
        return {}
    users = db.session.scalars(select(User).where(User.email.in_(emails)))
    return {user.email: user.display_name for user in users}


def _show_next_to_field(form: FlaskForm, error: CaseError) -> None:
    """A refusal about one of the form's fields is also shown next to that field."""
    field = form._fields.get(error.field)
    if field is not None:
        field.errors = [*field.errors, str(error)]


def visible_near_matches(case: Case) -> list[Resident]:
    """Near-matches the user may see: a resident without any case yet (a capture still
    waiting for its routing), or with a case the user can open. A resident whose cases were
    all someone else's stays hidden, also once those cases are closed: closing a case does
    not make its resident's name and address anyone's business."""
    candidates = near_matches(case.resident)
    cases_of: dict[int, list[Case]] = {r.id: [] for r in candidates}
    if cases_of:  # most case pages have no near-match: no query then
        for other in db.session.scalars(select(Case).where(Case.resident_id.in_(list(cases_of)))):
            cases_of[other.resident_id].append(other)
    visible = [
        resident
        for resident in candidates
        if not cases_of[resident.id]
        or any(can_see_case(current_user, other) for other in cases_of[resident.id])
    ]
    record_audit("near_matches_viewed", "resident", case.resident_id, ids=[r.id for r in visible])
    return visible


@bp.post("/cases/<int:case_id>/merge/<int:resident_id>")
@roles_required(*STAFF)
def merge(case_id: int, resident_id: int) -> Response:
    case = db.session.get(Case, case_id)
    duplicate = db.session.get(Resident, resident_id)
    if (
        case is None
        or duplicate is None
        or not can_see_case(current_user, case)
        or needs_reason(current_user, case)
        or duplicate not in visible_near_matches(case)
    ):
        abort(404)
    try:
        merge_residents(case.resident, duplicate, current_user.id)
    except ValueError:
        db.session.rollback()
        abort(400)
    record_audit("residents_merged", "resident", case.resident_id, merged=resident_id)
    db.session.commit()
    flash(_("Merged: the signals of both are now in this case."), "success")
    return redirect(url_for("cases.case_page", case_id=case_id))
