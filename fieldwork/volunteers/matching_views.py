"""Buurtgezellen pages for the contact person: requests, suggestions, matches, follow-up;
and the volunteer's own matches."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fieldwork.core.audit import record_audit
from fieldwork.core.forms import DATABASE_ID, CheckboxesField, small_id
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db
from fieldwork.signals.models import Resident, Signal
from fieldwork.volunteers import matching
from fieldwork.volunteers.gate import VolunteerError
from fieldwork.volunteers.models import BuurtgezelMatch, BuurtgezelRequest, Volunteer
from fieldwork.volunteers.vocabulary import (
    FOLLOW_UP_RESULTS,
    HELP_KINDS,
    REQUEST_SOURCES,
    REQUEST_STATUSES,
    SLOTS,
    slot_label,
)

bp = Blueprint("buurtgezel", __name__)
STAFF = ("contact_person", "coordinator")


class RequestForm(FlaskForm):
    signal_id = HiddenField()
    resident_id = IntegerField(
        _l("Resident number"), validators=[Optional(), NumberRange(*DATABASE_ID)]
    )
    help_kinds = CheckboxesField(_l("What help is asked?"), choices=list(HELP_KINDS.items()))
    availability = CheckboxesField(
        _l("When does it suit the resident?"), choices=[(s, slot_label(s)) for s in SLOTS]
    )
    languages = StringField(_l("Languages (separated by commas)"), validators=[Length(max=300)])
    note = TextAreaField(
        _l("Note for the match (what the resident likes, what to know)"),
        validators=[Length(max=2000)],
    )


class MatchForm(FlaskForm):
    volunteer_id = HiddenField(validators=[DataRequired()])
    resident_informed = BooleanField(_l("I already told the resident"))
    follow_up_weeks = IntegerField(
        _l('Ask "loopt het goed?" after (weeks)'),
        default=matching.FOLLOW_UP_WEEKS,
        validators=[DataRequired(), NumberRange(1, matching.MAX_FOLLOW_UP_WEEKS)],
    )


class OtherSolutionForm(FlaskForm):
    note = TextAreaField(
        _l("Which other solution was found?"),
        validators=[DataRequired(_l("Write down the other solution.")), Length(max=2000)],
    )


class FollowUpForm(FlaskForm):
    result = RadioField(
        _l("Loopt het goed?"),
        choices=list(FOLLOW_UP_RESULTS.items()),
        validators=[DataRequired(_l("Choose how it is going."))],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    follow_up_weeks = IntegerField(
        _l("Next follow-up after (weeks; empty: 4, or 1 when it needs attention)"),
        validators=[Optional(), NumberRange(1, matching.MAX_FOLLOW_UP_WEEKS)],
    )


class InformedForm(FlaskForm):
    resident = BooleanField(_l("The resident knows"))
    volunteer = BooleanField(_l("The volunteer knows"))


def vocabulary() -> dict[str, Any]:
    return {
        "kinds_text": lambda codes: ", ".join(str(HELP_KINDS.get(c, c)) for c in codes),
        "slots_text": lambda codes: ", ".join(slot_label(c) for c in codes),
        "request_status_label": lambda code: str(REQUEST_STATUSES.get(code, code)),
        "request_source_label": lambda code: str(REQUEST_SOURCES.get(code, code)),
        "follow_up_label": lambda code: str(FOLLOW_UP_RESULTS.get(code, code)),
    }


def _request_or_404(request_id: int) -> BuurtgezelRequest:
    """The request, if this user may handle its resident (else as if there were none)."""
    found = matching.request_for(current_user, request_id)
    if found is None:
        abort(404)
    return found


def _match_or_404(match_id: int) -> BuurtgezelMatch:
    found = matching.match_for(current_user, match_id)
    if found is None:
        abort(404)
    return found


def _visible(requests: list[BuurtgezelRequest]) -> list[BuurtgezelRequest]:
    return [r for r in requests if matching.may_handle(current_user, r.resident)]


@bp.get("/buurtgezellen")
@roles_required(*STAFF)
def index() -> str:
    waiting = _visible(matching.list_requests("open"))
    matched = [(r, matching.current_match(r)) for r in _visible(matching.list_requests("matched"))]
    matched.sort(
        key=lambda pair: (pair[1].follow_up_on if pair[1] else matching.local_today(), pair[0].id)
    )
    pending = [
        s
        for s in matching.pending_signals()
        if s.resident is not None and matching.may_handle(current_user, s.resident)
    ]
    record_audit(
        "buurtgezel_requests_listed",
        "buurtgezel_request",
        None,
        ids=[r.id for r in waiting] + [r.id for r, _m in matched],
        signals=[s.id for s in pending],
    )
    db.session.commit()
    return render_template(
        "buurtgezel/index.html",
        waiting=waiting,
        matched=matched,
        pending=pending,
        waiting_days=matching.waiting_days,
        today=matching.local_today(),
        **vocabulary(),
    )


def _languages(text: str) -> list[str]:
    return [part for part in (p.strip() for p in text.replace(";", ",").split(",")) if part]


@bp.route("/buurtgezellen/nieuw", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> str | Response | tuple[str, int]:
    form = RequestForm()
    signal: Signal | None = None
    resident: Resident | None = None
    signal_arg = request.args.get("signal") or form.signal_id.data or ""
    resident_arg = request.args.get("resident") or ""
    if signal_arg:
        signal_id = small_id(signal_arg)
        signal = db.session.get(Signal, signal_id) if signal_id else None
        if (
            signal is None
            or signal.resident is None
            or not matching.may_handle(current_user, signal.resident)
        ):
            abort(404)
        resident = signal.resident
        form.signal_id.data = str(signal.id)
    elif resident_arg:
        resident_id = small_id(resident_arg)
        resident = db.session.get(Resident, resident_id) if resident_id else None
        if resident is None or not matching.may_handle(current_user, resident):
            abort(404)
    if request.method == "GET" and signal is not None and not form.note.data:
        form.note.data = signal.note
    if resident is not None:
        existing = matching.open_request_of(resident)
        if existing is not None:
            flash(_("%(name)s already has a buurtgezel request.", name=resident.name), "info")
            return redirect(url_for("buurtgezel.show", request_id=existing.id))
    if form.validate_on_submit():
        try:
            if resident is None:
                resident = db.session.get(Resident, form.resident_id.data or 0)
                if resident is None or not matching.may_handle(current_user, resident):
                    raise VolunteerError(_("No resident with this number."), "resident_id")
            kinds, slots = list(form.help_kinds.data or []), list(form.availability.data or [])
            langs, note = _languages(form.languages.data or ""), form.note.data or ""
            if signal is not None:
                created = matching.request_from_signal(
                    signal, current_user, kinds, slots, langs, note
                )
            else:
                created = matching.request_for_resident(
                    resident, current_user, kinds, slots, langs, note
                )
            db.session.commit()
            flash(_("Request saved. Choose a buurtgezel below."), "success")
            return redirect(url_for("buurtgezel.show", request_id=created.id))
        except VolunteerError as exc:
            db.session.rollback()
            target = getattr(form, exc.field, None)
            if target is None or isinstance(target, HiddenField):
                flash(str(exc), "error")
            else:
                target.errors.append(str(exc))
    if resident is not None:
        record_audit("buurtgezel_request_form_viewed", "resident", resident.id)
        db.session.commit()
    return render_template(
        "buurtgezel/new.html", form=form, signal=signal, resident=resident, **vocabulary()
    ), 400 if request.method == "POST" else 200


def _page(
    found: BuurtgezelRequest,
    match_form: MatchForm | None = None,
    other_form: OtherSolutionForm | None = None,
    follow_up_form: FollowUpForm | None = None,
) -> str:
    current = matching.current_match(found)
    suggestions = matching.suggestions(found) if found.status == "open" else []
    record_audit(
        "buurtgezel_request_viewed",
        "buurtgezel_request",
        found.id,
        resident_id=found.resident_id,
        volunteers=[s.volunteer.id for s in suggestions],
    )
    db.session.commit()
    return render_template(
        "buurtgezel/request.html",
        req=found,
        current=current,
        suggestions=suggestions,
        past=[m for m in matching.matches_of(found) if m.ended_at is not None],
        waiting=matching.waiting_days(found),
        match_form=match_form or MatchForm(),
        other_form=other_form or OtherSolutionForm(),
        follow_up_form=follow_up_form or FollowUpForm(),
        informed_form=InformedForm(),
        **vocabulary(),
    )


@bp.get("/buurtgezellen/<int:request_id>")
@roles_required(*STAFF)
def show(request_id: int) -> str:
    return _page(_request_or_404(request_id))


@bp.post("/buurtgezellen/<int:request_id>/koppelen")
@roles_required(*STAFF)
def match(request_id: int) -> str | Response | tuple[str, int]:
    found = _request_or_404(request_id)
    form = MatchForm()
    if not form.validate_on_submit():
        return _page(found, match_form=form), 400
    volunteer_id = small_id(form.volunteer_id.data)
    volunteer = db.session.get(Volunteer, volunteer_id) if volunteer_id else None
    try:
        if volunteer is None:
            raise VolunteerError(_("Choose a volunteer."), "volunteer_id")
        made = matching.make_match(
            found,
            volunteer,
            current_user,
            bool(form.resident_informed.data),
            form.follow_up_weeks.data or matching.FOLLOW_UP_WEEKS,
        )
        db.session.commit()
    except VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("buurtgezel.show", request_id=request_id))
    if made.volunteer_informed_at is not None:
        flash(
            _("Matched with %(name)s; they got a message in the app.", name=volunteer.name),
            "success",
        )
    else:
        flash(
            _(
                "Matched with %(name)s. They have no account: tell them yourself.",
                name=volunteer.name,
            ),
            "success",
        )
    return redirect(url_for("buurtgezel.show", request_id=request_id))


@bp.post("/buurtgezellen/<int:request_id>/andere-oplossing")
@roles_required(*STAFF)
def other_solution(request_id: int) -> str | Response | tuple[str, int]:
    found = _request_or_404(request_id)
    form = OtherSolutionForm()
    if not form.validate_on_submit():
        return _page(found, other_form=form), 400
    try:
        matching.close_other_solution(found, form.note.data or "", current_user)
        db.session.commit()
        flash(_("The request is closed with another solution."), "success")
    except VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("buurtgezel.show", request_id=request_id))


@bp.post("/buurtgezellen/koppelingen/<int:match_id>/opvolging")
@roles_required(*STAFF)
def follow_up(match_id: int) -> str | Response | tuple[str, int]:
    found = _match_or_404(match_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _page(found.request, follow_up_form=form), 400
    try:
        matching.record_follow_up(
            found,
            form.result.data or "",
            form.note.data or "",
            current_user,
            form.follow_up_weeks.data,
        )
        db.session.commit()
        flash(_("Follow-up saved."), "success")
    except VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("buurtgezel.show", request_id=found.request_id))


@bp.post("/buurtgezellen/koppelingen/<int:match_id>/geinformeerd")
@roles_required(*STAFF)
def informed(match_id: int) -> Response:
    found = _match_or_404(match_id)
    form = InformedForm()
    if form.validate_on_submit():
        matching.record_informed(
            found, current_user, bool(form.resident.data), bool(form.volunteer.data)
        )
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("buurtgezel.show", request_id=found.request_id))


@bp.get("/mijn-buurtgezellen")
@roles_required("volunteer")
def mine() -> str:
    matches = matching.my_matches(current_user)
    record_audit(
        "buurtgezel_my_matches_viewed", "buurtgezel_match", None, ids=[m.id for m in matches]
    )
    db.session.commit()
    return render_template("buurtgezel/my_matches.html", matches=matches, **vocabulary())
