"""Staff pages: the volunteer pool (search), candidates and leads, the intake, a volunteer's
page (model-2 check, status, invitation link) and trainings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from fieldwork.areas.models import Municipality
from fieldwork.areas.services import chosen_municipality, list_municipalities, neighbourhood_choices
from fieldwork.core.audit import record_audit
from fieldwork.core.forms import small_id
from fieldwork.core.permissions import roles_required
from fieldwork.core.receipts import sent_before
from fieldwork.extensions import db
from fieldwork.signals.models import Signal
from fieldwork.volunteers import intake, pool
from fieldwork.volunteers.api import invitation_url
from fieldwork.volunteers.forms import (
    IntakeForm,
    InvitationForm,
    LeadForm,
    Model2Form,
    PoolFilterForm,
    StatusForm,
    TrainingForm,
    slot_choices,
)
from fieldwork.volunteers.gate import VolunteerError, refusal_for
from fieldwork.volunteers.models import Training, TrainingAttendance, Volunteer
from fieldwork.volunteers.vocabulary import (
    DAYS,
    PARTS,
    STATUS_MOVES,
    VOLUNTEER_STATUSES,
)

bp = Blueprint("pool", __name__)
STAFF = ("contact_person", "coordinator")


def _municipality() -> Municipality:
    """The municipality of ?gemeente=, else the first one."""
    municipality = chosen_municipality(request.args.get("gemeente"))
    if municipality is None:
        abort(404)
    return municipality


def _volunteer_or_404(volunteer_id: int) -> Volunteer:
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        abort(404)
    return volunteer


@bp.get("/vrijwilligers/")
@roles_required(*STAFF)
def index() -> str:
    municipality = _municipality()
    form = PoolFilterForm(request.args)
    form.neighbourhood.choices = neighbourhood_choices(municipality, _("Any neighbourhood"))
    form.slot.choices = [("", _("Any time")), *slot_choices()]
    page = request.args.get("page", "1")
    page_number = min(small_id(page) or 1, 10_000)
    rows: list[Volunteer] = []
    total = 0
    if form.validate():
        hood = form.neighbourhood.data or ""
        wanted = pool.PoolFilter(
            talent=form.talent.data or "",
            role=form.role.data or "",
            neighbourhood_id=small_id(hood),
            slot=form.slot.data or "",
            mobility=form.mobility.data or "",
            language=form.language.data or "",
            status=form.status.data or "",
        )
        rows, total = pool.search_volunteers(municipality, wanted, page_number)
    record_audit("volunteer_pool_viewed", "volunteer", None, ids=[v.id for v in rows])
    db.session.commit()
    return render_template(
        "volunteers/pool.html",
        form=form,
        volunteers=rows,
        total=total,
        page=page_number,
        page_size=pool.PAGE_SIZE,
        municipality=municipality,
        municipalities=list_municipalities(),
        per_neighbourhood=pool.active_per_neighbourhood(municipality),
        refusal_for=refusal_for,
        statuses=VOLUNTEER_STATUSES,
    )


@bp.get("/vrijwilligers/kandidaten")
@roles_required(*STAFF)
def candidates() -> str:
    """New candidates to follow up, and residents who said at the door or on the phone that
    they would like to help."""
    municipality = _municipality()
    waiting = list(
        db.session.scalars(
            select(Volunteer)
            .where(Volunteer.municipality_id == municipality.id, Volunteer.status == "candidate")
            .order_by(Volunteer.created_at)
        )
    )
    leads = intake.visit_and_call_leads(municipality)
    record_audit(
        "volunteer_candidates_viewed",
        "volunteer",
        None,
        ids=[v.id for v in waiting],
        leads=[s.id for s in leads],
    )
    db.session.commit()
    return render_template(
        "volunteers/candidates.html",
        candidates=waiting,
        leads=leads,
        municipality=municipality,
        municipalities=list_municipalities(),
        form=LeadForm(),
    )


@bp.post("/vrijwilligers/kandidaten")
@roles_required(*STAFF)
def take_lead() -> Response:
    form = LeadForm()
    signal = db.session.get(Signal, form.signal_id.data) if form.validate_on_submit() else None
    if signal is None:
        abort(404)
    try:
        volunteer = intake.candidate_from_lead(signal, current_user)
    except VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".candidates"))
    record_audit("volunteer_lead_taken", "volunteer", volunteer.id, signal=signal.id)
    db.session.commit()
    flash(_("%(name)s is now a candidate: plan the intake.", name=volunteer.name), "success")
    return redirect(url_for(".volunteer", volunteer_id=volunteer.id))


def _intake_form(volunteer: Volunteer | None, municipality: Municipality) -> IntakeForm:
    if volunteer is not None and request.endpoint != "pool.save_intake":
        form = IntakeForm(formdata=None, data=_form_data(volunteer))  # what is stored
    else:
        form = IntakeForm()
    form.neighbourhood_id.choices = neighbourhood_choices(municipality, _("Not known"))
    form.availability.choices = slot_choices()
    return form


def _form_data(volunteer: Volunteer) -> dict[str, Any]:
    return {
        "name": volunteer.name,
        "phone": volunteer.phone or "",
        "email": volunteer.email or "",
        "neighbourhood_id": str(volunteer.neighbourhood_id or ""),
        "talents": volunteer.talents,
        "tags": ", ".join(volunteer.tags),
        "energy": volunteer.energy,
        "motivation": volunteer.motivation,
        "experience": volunteer.experience,
        "languages": ", ".join(volunteer.languages),
        "availability": volunteer.availability,
        "mobility": volunteer.mobility,
        "support": volunteer.support,
        "support_note": volunteer.support_note,
        "roles": volunteer.roles,
        "other_role": volunteer.other_role,
        "help_kinds": volunteer.help_kinds,
        "data_consent": volunteer.data_consent_at is not None,
    }


def _about(form: IntakeForm) -> intake.About:
    hood = form.neighbourhood_id.data or ""
    return intake.About(
        name=form.name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        neighbourhood_id=small_id(hood),
        talents=form.talents.data or "",
        tags=intake.words(form.tags.data or ""),
        energy=form.energy.data or "",
        motivation=form.motivation.data or "",
        experience=form.experience.data or "",
        languages=intake.words(form.languages.data or ""),
        availability=form.availability.data or [],
        mobility=form.mobility.data or [],
        support=form.support.data or [],
        support_note=form.support_note.data or "",
        roles=form.roles.data or [],
        other_role=form.other_role.data or "",
        help_kinds=form.help_kinds.data or [],
        data_consent=bool(form.data_consent.data),
    )


@bp.route("/vrijwilligers/nieuw", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> str | Response | tuple[str, int]:
    """An intake with someone who came in or called: the whole conversation at once."""
    municipality = _municipality()
    form = _intake_form(None, municipality)
    if form.validate_on_submit():
        about = _about(form)
        try:
            volunteer, created = intake.submit_candidate(municipality, about, "staff")
            intake.record_intake(volunteer, about, current_user)
        except VolunteerError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.name).errors = [str(exc)]
        else:
            record_audit("volunteer_intake_recorded", "volunteer", volunteer.id)
            db.session.commit()
            if not created:
                flash(
                    _(
                        "%(name)s was already in the pool: the intake was added there.",
                        name=volunteer.name,
                    ),
                    "success",
                )
            return redirect(url_for(".volunteer", volunteer_id=volunteer.id))
    return render_template(
        "volunteers/intake.html",
        form=form,
        volunteer=None,
        municipality=municipality,
        municipalities=list_municipalities(),
        days=DAYS,
        parts=PARTS,
    ), 422 if form.is_submitted() else 200


def _render_volunteer(volunteer: Volunteer, status: int = 200, **extra: Any) -> Any:
    record_audit("volunteer_viewed", "volunteer", volunteer.id)
    db.session.commit()
    status_form = StatusForm()
    status_form.status.choices = [
        (s, VOLUNTEER_STATUSES[s]) for s in sorted(STATUS_MOVES[volunteer.status])
    ]
    forms = {
        "intake_form": _intake_form(volunteer, volunteer.municipality),
        "model2_form": Model2Form(),
        "status_form": status_form,
        "invitation_form": InvitationForm(),
        **extra,
    }
    return render_template(
        "volunteers/volunteer.html",
        volunteer=volunteer,
        days=DAYS,
        parts=PARTS,
        trainings=intake.trainings_of(volunteer),
        refusal=refusal_for(volunteer, volunteer.name),
        statuses=VOLUNTEER_STATUSES,
        **forms,
    ), status


@bp.get("/vrijwilligers/<int:volunteer_id>")
@roles_required(*STAFF)
def volunteer(volunteer_id: int) -> Any:
    return _render_volunteer(_volunteer_or_404(volunteer_id))


@bp.post("/vrijwilligers/<int:volunteer_id>/intake")
@roles_required(*STAFF)
def save_intake(volunteer_id: int) -> Any:
    volunteer = _volunteer_or_404(volunteer_id)
    form = _intake_form(volunteer, volunteer.municipality)
    if form.validate_on_submit():
        try:
            intake.record_intake(volunteer, _about(form), current_user)
        except VolunteerError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.name).errors = [str(exc)]
        else:
            record_audit("volunteer_intake_recorded", "volunteer", volunteer.id)
            db.session.commit()
            flash(_("The intake is saved."), "success")
            return redirect(url_for(".volunteer", volunteer_id=volunteer.id))
    return _render_volunteer(volunteer, 422, intake_form=form)


@bp.post("/vrijwilligers/<int:volunteer_id>/model2")
@roles_required("coordinator")
def save_model2(volunteer_id: int) -> Any:
    volunteer = _volunteer_or_404(volunteer_id)
    form = Model2Form()
    if form.validate_on_submit() and form.checked_on.data is not None:
        try:
            intake.record_model2(volunteer, form.checked_on.data, current_user)
        except VolunteerError as exc:
            db.session.rollback()
            form.checked_on.errors = [str(exc)]
        else:
            record_audit(
                "volunteer_model2_recorded",
                "volunteer",
                volunteer.id,
                checked_on=form.checked_on.data.isoformat(),
            )
            db.session.commit()
            flash(_("The model 2 check is recorded."), "success")
            return redirect(url_for(".volunteer", volunteer_id=volunteer.id))
    return _render_volunteer(volunteer, 422, model2_form=form)


@bp.post("/vrijwilligers/<int:volunteer_id>/status")
@roles_required("coordinator")
def save_status(volunteer_id: int) -> Any:
    volunteer = _volunteer_or_404(volunteer_id)
    form = StatusForm()
    form.status.choices = list(VOLUNTEER_STATUSES.items())
    if not form.validate_on_submit():
        return _render_volunteer(volunteer, 422)
    try:
        token = intake.change_status(volunteer, form.status.data or "", current_user)
    except VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_volunteer(volunteer, exc.status)
    record_audit(
        "volunteer_status_changed",
        "volunteer",
        volunteer.id,
        status=volunteer.status,
        invited=token is not None,
    )
    db.session.commit()
    flash(_("Status: %(status)s.", status=VOLUNTEER_STATUSES[volunteer.status]), "success")
    if token:  # shown once, on this page only (never stored in plain)
        return _render_volunteer(volunteer, invitation=invitation_url(token))
    return redirect(url_for(".volunteer", volunteer_id=volunteer.id))


@bp.post("/vrijwilligers/<int:volunteer_id>/uitnodiging")
@roles_required("coordinator")
def new_invitation(volunteer_id: int) -> Any:
    volunteer = _volunteer_or_404(volunteer_id)
    if not InvitationForm().validate_on_submit():
        abort(400)
    try:
        token = intake.create_invitation(volunteer, current_user)
    except VolunteerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".volunteer", volunteer_id=volunteer.id))
    record_audit("volunteer_invited", "volunteer", volunteer.id)
    db.session.commit()
    return _render_volunteer(volunteer, invitation=invitation_url(token))


@bp.route("/vrijwilligers/vorming", methods=["GET", "POST"])
@roles_required(*STAFF)
def trainings() -> str | Response | tuple[str, int]:
    """Training sessions with their date and attendees; the coordinator adds them."""
    municipality = _municipality()
    form = TrainingForm()
    form.attendees.choices = [
        (v.id, v.name)
        for v in db.session.scalars(
            select(Volunteer)
            .where(
                Volunteer.municipality_id == municipality.id,
                Volunteer.status.in_(("intake_done", "active", "paused")),
            )
            .order_by(Volunteer.name)
        )
    ]
    if form.validate_on_submit() and form.held_on.data is not None:
        if current_user.role != "coordinator":
            abort(403)
        if again := sent_before(form.once.data, url_for(".trainings", gemeente=municipality.code)):
            return again
        try:
            intake.create_training(
                municipality,
                form.title.data or "",
                form.held_on.data,
                form.attendees.data or [],
                current_user,
            )
        except VolunteerError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The training is recorded."), "success")
            return redirect(url_for(".trainings", gemeente=municipality.code))
    sessions = list(
        db.session.scalars(
            select(Training)
            .where(Training.municipality_id == municipality.id)
            .order_by(Training.held_on.desc())
        )
    )
    attendees: dict[int, list[str]] = {}
    for training_id, name in db.session.execute(
        select(TrainingAttendance.training_id, Volunteer.name)
        .join(Volunteer)
        .where(TrainingAttendance.training_id.in_([t.id for t in sessions]))
        .order_by(Volunteer.name)
    ):
        attendees.setdefault(training_id, []).append(name)
    return render_template(
        "volunteers/trainings.html",
        form=form,
        sessions=sessions,
        attendees=attendees,
        municipality=municipality,
        municipalities=list_municipalities(),
    ), (422 if form.is_submitted() and request.method == "POST" else 200)
