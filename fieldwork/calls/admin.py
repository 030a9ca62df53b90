"""Staff pages: call campaigns (coordinator), good-morning schedules and alerts (contact
persons and the coordinator)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, select
from werkzeug.wrappers import Response

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.services import get_municipality, list_municipalities
from fieldwork.auth.models import User
from fieldwork.calls import goodmorning
from fieldwork.calls.answers import campaign_answers
from fieldwork.calls.campaigns import (
    CALLER_ROLES,
    CallError,
    Criteria,
    campaign_progress,
    create_campaign,
    guide_as_text,
    parse_guide,
    resident_for_target,
    select_targets,
    share_out,
)
from fieldwork.calls.forms import (
    AckForm,
    CallListImportForm,
    CampaignForm,
    GuideForm,
    PauseForm,
    ScheduleForm,
    SelectionForm,
    ShareForm,
)
from fieldwork.calls.models import (
    Alert,
    CallAttempt,
    CallCampaign,
    CallImport,
    CallTarget,
    GoodMorningSchedule,
)
from fieldwork.calls.rules import local
from fieldwork.core.audit import record_audit
from fieldwork.core.forms import required, small_id
from fieldwork.core.permissions import roles_required
from fieldwork.core.receipts import sent_before
from fieldwork.core.roles import ROLE_LABELS, Role
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Resident
from fieldwork.visits.answers import answers_csv, csv_download

bp = Blueprint("campaigns", __name__)
STAFF = ("contact_person", "coordinator")


def role_label(role: str) -> str:
    return str(ROLE_LABELS[Role(role)])


def _callers() -> list[tuple[int, str]]:
    return [
        (u.id, f"{u.display_name} ({role_label(u.role)})")
        for u in db.session.scalars(
            select(User)
            .where(User.role.in_(CALLER_ROLES), User.active.is_(True))
            .order_by(User.role.desc(), User.name)
        )
    ]


@bp.get("/call-campaigns/")
@roles_required("coordinator")
def index() -> str:
    campaigns = db.session.scalars(select(CallCampaign).order_by(CallCampaign.id.desc())).all()
    return render_template("calls/campaigns.html", campaigns=campaigns)


@bp.route("/call-campaigns/new", methods=["GET", "POST"])
@roles_required("coordinator")
def new() -> str | Response | tuple[str, int]:
    form = CampaignForm()
    form.gemeente.choices = [(m.code, m.name) for m in list_municipalities()]
    form.neighbourhoods.choices = [
        (n.id, f"{n.name} ({n.municipality.name})")
        for n in db.session.scalars(
            select(Neighbourhood)
            .where(Neighbourhood.is_unlocatable.is_(False))
            .order_by(Neighbourhood.name)
        )
    ]
    form.callers.choices = _callers()
    if request.method == "GET":
        from datetime import time

        form.hours_from.data, form.hours_until.data = time(10), time(19)
        form.guide.data = _(
            "How are you doing these days?\n"
            "Do you see family, friends or neighbours? | often; sometimes; "
            "rarely; never\n"
            "Is there something you need help with?"
        )
    if form.validate_on_submit():
        municipality = get_municipality(form.gemeente.data or "")
        try:
            if municipality is None:
                raise CallError(_("Choose a municipality."), "gemeente")
            campaign = create_campaign(
                municipality,
                form.name.data or "",
                list(form.neighbourhoods.data or []),
                parse_guide(form.guide.data or ""),
                list(form.callers.data or []),
                form.max_attempts.data or 3,
                form.min_gap_minutes.data or 0,
                required(form.hours_from.data),
                required(form.hours_until.data),
                form.consent_text.data,
                current_user,
            )
            record_audit("call_campaign_created", "call_campaign", campaign.id)
            db.session.commit()
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
        except CallError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, form.name)
            field.errors = [*field.errors, str(exc)]
    return render_template(
        "calls/new_campaign.html", form=form
    ), 400 if request.method == "POST" else 200


def _campaign_or_404(campaign_id: int) -> CallCampaign:
    campaign = db.session.get(CallCampaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _share_form(campaign: CallCampaign) -> ShareForm:
    form = ShareForm()
    form.callers.choices = _callers()
    form.neighbourhood.choices = [
        ("", _("All neighbourhoods")),
        *[(str(n.id), n.name) for n in campaign.neighbourhoods],
    ]
    return form


def _selection_form(campaign: CallCampaign) -> SelectionForm:
    form = SelectionForm()
    form.neighbourhoods.choices = [(n.id, n.name) for n in campaign.neighbourhoods]
    return form


def _imports_of(campaign: CallCampaign) -> list[CallImport]:
    return list(
        db.session.scalars(
            select(CallImport)
            .where(CallImport.campaign_id == campaign.id)
            .order_by(CallImport.id.desc())
        )
    )


@bp.get("/call-campaigns/<int:campaign_id>")
@roles_required("coordinator")
def show(campaign_id: int) -> str:
    campaign = _campaign_or_404(campaign_id)
    guide_form = GuideForm()
    guide_form.guide.data = guide_as_text(campaign.guide)
    return render_template(
        "calls/campaign.html",
        campaign=campaign,
        progress=campaign_progress(campaign),
        answers=campaign_answers(campaign),
        imports=_imports_of(campaign),
        import_form=CallListImportForm(),
        selection_form=_selection_form(campaign),
        share_form=_share_form(campaign),
        guide_form=guide_form,
    )


@bp.get("/call-campaigns/<int:campaign_id>/answers.csv")
@roles_required("coordinator")
def answers_export(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    return csv_download(
        answers_csv(campaign_answers(campaign)), f"antwoorden-campagne-{campaign_id}.csv"
    )


@bp.post("/call-campaigns/<int:campaign_id>/import")
@roles_required("coordinator")
def upload(campaign_id: int) -> Response:
    from fieldwork.calls.importer import CallImportError, start_call_import

    campaign = _campaign_or_404(campaign_id)
    form = CallListImportForm()
    upload_file = form.file.data if form.validate_on_submit() else None
    if upload_file is None or not getattr(upload_file, "filename", ""):
        flash(_("Choose the CSV file first."), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    try:
        job = start_call_import(campaign, upload_file.filename, upload_file.read(), current_user)
        record_audit("call_import_started", "call_campaign", campaign.id, import_id=job.id)
        db.session.commit()
    except CallImportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    return redirect(url_for("campaigns.import_report", campaign_id=campaign_id, import_id=job.id))


@bp.get("/call-campaigns/<int:campaign_id>/imports/<int:import_id>")
@roles_required("coordinator")
def import_report(campaign_id: int, import_id: int) -> str:
    campaign = _campaign_or_404(campaign_id)
    job = db.session.get(CallImport, import_id)
    if job is None or job.campaign_id != campaign.id:
        abort(404)
    return render_template("calls/import_report.html", campaign=campaign, job=job)


def _criteria(form: SelectionForm) -> Criteria:
    return Criteria(
        min_age=form.min_age.data if form.min_age.data is not None else 0,
        max_age=form.max_age.data if form.max_age.data is not None else 120,
        living_alone=form.living_alone.data or "any",
        neighbourhood_ids=tuple(form.neighbourhoods.data or ()),
    )


def _refusal(form: SelectionForm) -> CallError:
    """What is wrong with the selection asked for, in the words the service uses."""
    if form.neighbourhoods.errors:
        return CallError(_("Choose among the campaign's neighbourhoods."), "neighbourhoods")
    if form.living_alone.errors:
        return CallError(_("Choose yes, no or either for living alone."), "living_alone")
    return CallError(_("Give an age band from 0 to 120, the lowest age first."), "min_age")


@bp.post("/call-campaigns/<int:campaign_id>/selection")
@roles_required("coordinator")
def selection(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    form = _selection_form(campaign)
    try:
        if not form.validate_on_submit():
            raise _refusal(form)
        result = select_targets(campaign, _criteria(form), local(utcnow()).year)
    except CallError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    record_audit("call_targets_selected", "call_campaign", campaign.id, added=result.added)
    db.session.commit()
    flash(
        _(
            "%(added)d people added to the call list; %(listed)d were already on it; "
            "%(nophone)d have no phone number; %(gone)d moved or died (visit rounds).",
            added=result.added,
            listed=result.already_listed,
            nophone=result.without_phone,
            gone=result.moved_or_deceased,
        ),
        "success",
    )
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.post("/call-campaigns/<int:campaign_id>/assignments")
@roles_required("coordinator")
def assignments(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    form = _share_form(campaign)
    if not form.validate_on_submit():
        flash(_("Choose at least one caller."), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    hood = small_id(form.neighbourhood.data)
    try:
        count = share_out(campaign, list(form.callers.data or []), hood)
        record_audit("call_targets_assigned", "call_campaign", campaign.id, count=count)
        db.session.commit()
        flash(_("%(count)d people shared out.", count=count), "success")
    except CallError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.post("/call-campaigns/<int:campaign_id>/guide")
@roles_required("coordinator")
def guide(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    form = GuideForm()
    try:
        if not form.validate_on_submit():
            raise CallError(_("The guide is too long."), "guide")
        campaign.guide = parse_guide(form.guide.data or "")
        record_audit("call_guide_changed", "call_campaign", campaign.id)
        db.session.commit()
        flash(_("Conversation guide saved."), "success")
    except CallError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.post("/call-campaigns/<int:campaign_id>/close")
@roles_required("coordinator")
def close(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    if campaign.closed_at is None:
        campaign.closed_at = utcnow()
        record_audit("call_campaign_closed", "call_campaign", campaign.id)
        db.session.commit()
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


def _requests() -> list[tuple[CallAttempt, CallTarget]]:
    """Campaign calls in which the resident asked for a regular call, not set up yet."""
    rows = db.session.execute(
        select(CallAttempt, CallTarget)
        .join(CallTarget, CallTarget.id == CallAttempt.target_id)
        .where(
            CallAttempt.wants_regular_calls.is_(True),
            ~exists().where(GoodMorningSchedule.source_attempt_id == CallAttempt.id),
        )
        .order_by(CallAttempt.id)
    ).all()
    return [(attempt, target) for attempt, target in rows]


@bp.get("/goeiemorgen/")
@roles_required(*STAFF)
def schedules() -> str:
    rows = db.session.scalars(
        select(GoodMorningSchedule).order_by(
            GoodMorningSchedule.stopped_at.is_not(None), GoodMorningSchedule.id
        )
    ).all()
    requests = _requests()
    record_audit("goodmorning_list_viewed", "resident", None, ids=[s.resident_id for s in rows])
    db.session.commit()
    today = local(utcnow()).date()
    return render_template(
        "calls/schedules.html",
        schedules=rows,
        requests=requests,
        state=lambda s: goodmorning.state_label(s, today),
    )


def _schedule_form() -> ScheduleForm:
    form = ScheduleForm()
    form.callers.choices = _callers()
    form.handler.choices = [
        (u.id, u.display_name)
        for u in db.session.scalars(
            select(User)
            .where(User.role.in_(STAFF), User.active.is_(True))
            .order_by(User.role, User.name)
        )
    ]
    return form


@bp.route("/goeiemorgen/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_schedule() -> str | Response | tuple[str, int]:
    form = _schedule_form()
    attempt_id = small_id(request.args.get("attempt"))  # 10**20 fits no column (SQLite raised)
    source = db.session.get(CallAttempt, attempt_id) if attempt_id else None
    if source is not None and source.target is None:
        source = None
    if request.method == "GET":
        from datetime import time

        form.window_from.data, form.window_until.data = time(9), time(10)
        form.resident_id.data = request.args.get("resident", type=int)
        if current_user.role == "contact_person":
            form.handler.data = current_user.id
        if source is not None and source.caller_id:
            form.callers.data = [source.caller_id]
    if source is not None and form.resident_id.data is None:
        form.resident_id.data = 0  # made from the campaign call below
    if form.validate_on_submit():
        if again := sent_before(form.once.data, url_for("campaigns.schedules")):
            return again
        try:
            resident: Resident | None
            if source is not None and source.target is not None:
                resident = resident_for_target(source.target)
            else:
                resident = db.session.get(Resident, form.resident_id.data or 0)
            if resident is None:
                raise CallError(_("No resident with this number."), "resident_id")
            schedule = goodmorning.create_schedule(
                resident,
                list(form.weekdays.data or []),
                required(form.window_from.data),
                required(form.window_until.data),
                list(form.callers.data or []),
                goodmorning.Escalation(
                    form.escalation_name.data or "",
                    form.escalation_phone.data or "",
                    form.escalation_relation.data or "",
                    bool(form.escalation_consent.data),
                ),
                db.session.get(User, form.handler.data or 0),
                current_user,
                bool(form.resident_consent.data),
                form.retry_minutes.data or 15,
                form.max_retries.data if form.max_retries.data is not None else 2,
                source_attempt_id=source.id if source else None,
            )
            record_audit(
                "goodmorning_schedule_created", "resident", resident.id, schedule=schedule.id
            )
            db.session.commit()
            flash(_("The good-morning call is set up."), "success")
            return redirect(url_for("campaigns.schedule", schedule_id=schedule.id))
        except CallError as exc:
            db.session.rollback()
            field = {"consent": "resident_consent"}.get(exc.field, exc.field)
            target = getattr(form, field, form.resident_id)
            target.errors = [*target.errors, str(exc)]
    return render_template(
        "calls/new_schedule.html", form=form, source=source
    ), 400 if request.method == "POST" else 200


def _schedule_or_404(schedule_id: int) -> GoodMorningSchedule:
    schedule = db.session.get(GoodMorningSchedule, schedule_id)
    if schedule is None:
        abort(404)
    return schedule


@bp.get("/goeiemorgen/<int:schedule_id>")
@roles_required(*STAFF)
def schedule(schedule_id: int) -> str:
    item = _schedule_or_404(schedule_id)
    from fieldwork.calls.models import GoodMorningCall

    calls = db.session.scalars(
        select(GoodMorningCall)
        .where(GoodMorningCall.schedule_id == item.id)
        .order_by(GoodMorningCall.day.desc())
        .limit(14)
    ).all()
    record_audit("goodmorning_schedule_viewed", "resident", item.resident_id)
    db.session.commit()
    return render_template(
        "calls/schedule.html",
        schedule=item,
        calls=calls,
        pause_form=PauseForm(),
        state=goodmorning.state_label(item, local(utcnow()).date()),
    )


@bp.post("/goeiemorgen/<int:schedule_id>/<any(pause, resume, stop):action>")
@roles_required(*STAFF)
def change_schedule(schedule_id: int, action: str) -> Response:
    item = _schedule_or_404(schedule_id)
    form = PauseForm()
    try:
        if action == "pause":
            if not form.validate_on_submit():
                raise CallError(_("Give the first day of the pause."), "paused_from")
            goodmorning.pause(
                item,
                required(form.paused_from.data),
                form.paused_until.data,
                form.reason.data or "",
            )
        elif action == "resume":
            goodmorning.resume(item)
        else:
            goodmorning.stop(item)
        record_audit(f"goodmorning_{action}", "resident", item.resident_id)
        db.session.commit()
        flash(_("Saved."), "success")
    except CallError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("campaigns.schedule", schedule_id=schedule_id))


@bp.get("/alerts/")
@roles_required(*STAFF)
def alerts() -> str:
    items = goodmorning.open_alerts(current_user)
    record_audit("alerts_viewed", "alert", None, ids=[a.id for a in items])
    db.session.commit()
    return render_template("calls/alerts.html", alerts=items, form=AckForm())


@bp.post("/alerts/<int:alert_id>/ack")
@roles_required(*STAFF)
def ack(alert_id: int) -> Response:
    alert = db.session.get(Alert, alert_id, with_for_update=True)
    if alert is None or not goodmorning.may_see_alert(current_user, alert):
        abort(404)
    form = AckForm()
    if form.validate_on_submit():
        goodmorning.acknowledge(alert, current_user, form.note.data or "")
        record_audit("alert_acknowledged", "alert", alert.id)
        db.session.commit()
        flash(_("Alert acknowledged."), "success")
    return redirect(url_for("campaigns.alerts"))
