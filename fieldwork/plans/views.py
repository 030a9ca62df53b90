"""The plan's pages: the list, the plan (objectives with the evidence behind their attention
point, actions, indicator charts), the coordinator's forms, an owner's "Mijn acties", the
printable plan and residents' summary, and the public summary (no account: the token)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.services import chosen_municipality, list_municipalities, neighbourhoods_of
from fieldwork.core.audit import record_audit
from fieldwork.core.forms import show_refusal, small_id
from fieldwork.core.permissions import public, roles_required
from fieldwork.core.receipts import sent_before
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.plans.content import (
    figure_line,
    figures_of,
    findings_of,
    indicator_line,
    milestone_lines,
    names_in,
    owner_as_role,
    partner_names,
    quotes_of,
    residents_summary,
    status_label,
    summary_texts,
    timing,
)
from fieldwork.plans.documents import start_document
from fieldwork.plans.forms import (
    ActionForm,
    EmptyForm,
    IndicatorForm,
    NoteForm,
    ObjectiveForm,
    PlanForm,
    ReactionForm,
)
from fieldwork.plans.indicators import (
    chart_svg,
    figures_counted_once,
    measure_choices,
    measure_label,
)
from fieldwork.plans.models import Action, Objective, Plan, PlanDocument, PlanIndicator
from fieldwork.plans.services import (
    OWNER_ROLES,
    ActionData,
    IndicatorData,
    ObjectiveData,
    PartGone,
    PlanData,
    PlanError,
    add_indicator,
    add_note,
    add_reaction,
    attention_point_choices,
    delete_part,
    goes_with,
    may_follow,
    my_actions,
    owner_choices,
    part_plan_id,
    partner_choices,
    plans_of,
    publish_summary,
    published_summary,
    save_action,
    save_objective,
    save_plan,
    summary_for,
)

bp = Blueprint("plans", __name__)
COORDINATOR = Role.COORDINATOR.value
READERS = (COORDINATOR, Role.ANALYST.value)


@bp.get("/buurtplannen/")
@roles_required(*READERS)
def index() -> str:
    code = request.args.get("gemeente")
    if not code:  # by default the municipality of the latest plan
        latest = plans_of()
        code = latest[0].municipality.code if latest else None
    municipality = chosen_municipality(code)
    return render_template(
        "plans/index.html",
        plans=plans_of(municipality) if municipality else [],
        municipality=municipality,
        municipalities=list_municipalities(),
        coordinator=current_user.role == COORDINATOR,
    )


@bp.route("/buurtplannen/nieuw", methods=["GET", "POST"])
@bp.route("/buurtplannen/<int:plan_id>/bewerken", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def edit_plan(plan_id: int | None = None) -> str | BaseResponse | tuple[str, int]:
    existing = db.get_or_404(Plan, plan_id) if plan_id else None
    municipality = (
        existing.municipality if existing else chosen_municipality(request.args.get("gemeente"))
    )
    if municipality is None:
        abort(404)
    form = PlanForm(obj=existing)
    form.neighbourhoods.choices = [
        (n.id, n.name) for n in neighbourhoods_of(municipality) if not n.is_unlocatable
    ]
    if request.method == "GET":
        if existing is not None:
            form.neighbourhoods.data = [n.id for n in existing.neighbourhoods]
        elif small_id(request.args.get("buurt")):
            form.neighbourhoods.data = [int(request.args["buurt"])]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() or not _errors_besides_choices(form):
            if existing is None and (again := sent_before(form.once.data, url_for("plans.index"))):
                return again
            try:
                plan = save_plan(
                    municipality,
                    PlanData(
                        title=form.title.data or "",
                        neighbourhood_ids=list(form.neighbourhoods.data or []),
                        starts_on=form.starts_on.data,
                        ends_on=form.ends_on.data,
                    ),
                    current_user,
                    existing,
                )
            except PlanError as exc:
                db.session.rollback()
                form.neighbourhoods.errors = []  # the service says it better
                show_refusal(form, exc, form.title)
            else:
                record_audit("plan_saved", "plan", plan.id)
                db.session.commit()
                flash(_("The plan is saved."), "success")
                return redirect(url_for("plans.plan_page", plan_id=plan.id))
        status = 422
    return render_template(
        "plans/edit_plan.html", form=form, plan=existing, municipality=municipality
    ), status


def _errors_besides_choices(form: Any) -> bool:
    """Whether a form has errors besides a not-valid choice of neighbourhoods or partners;
    with only those, the service refuses with a clearer message ("choose neighbourhoods of
    this municipality", "unknown partner")."""
    return any(
        errors and name not in ("neighbourhoods", "partners")
        for name, errors in form.errors.items()
    )


def _evidence(objective: Objective, coordinator: bool) -> dict[str, Any]:
    """What lies behind the objective's attention point: its findings in words, the
    imported figures, and (for the coordinator) what was heard on its themes."""
    return {
        "findings": findings_of(objective),
        "figures": [figure_line(c) for c in figures_of(objective)],
        "quotes": quotes_of(objective) if coordinator else [],
    }


@bp.get("/buurtplannen/<int:plan_id>")
@roles_required(*READERS)
def plan_page(plan_id: int) -> str:
    plan = db.get_or_404(Plan, plan_id)
    coordinator = current_user.role == COORDINATOR
    suppressed = not coordinator
    lines = {}
    charts = {}
    with figures_counted_once():
        for objective in plan.objectives:
            for indicator in objective.indicators:
                line = indicator_line(indicator, suppressed)
                lines[indicator.id] = line
                charts[indicator.id] = chart_svg(
                    line.points, line.baseline_number, indicator.target, line.label
                )
    record_audit("plan_viewed", "plan", plan.id)
    db.session.commit()
    return render_template(
        "plans/plan.html",
        plan=plan,
        coordinator=coordinator,
        evidence={o.id: _evidence(o, coordinator) for o in plan.objectives},
        lines=lines,
        charts=charts,
        partner_names=partner_names,
        milestone_lines=milestone_lines,
        timing=timing,
        status_label=status_label,
        empty_form=EmptyForm(),
    )


@bp.route("/buurtplannen/<int:plan_id>/doelstellingen/nieuw", methods=["GET", "POST"])
@bp.route("/buurtplannen/doelstellingen/<int:objective_id>/bewerken", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def edit_objective(
    plan_id: int | None = None, objective_id: int | None = None
) -> str | BaseResponse | tuple[str, int]:
    existing = db.get_or_404(Objective, objective_id) if objective_id else None
    plan = existing.plan if existing else db.get_or_404(Plan, plan_id or 0)
    form = ObjectiveForm(obj=existing)
    points = attention_point_choices(plan)
    form.attention_point.choices = [
        ("", _("None")),
        *((str(p.id), f"{p.neighbourhood.name}: {p.title}") for p in points),
    ]
    form.neighbourhood.choices = [(str(h.id), h.name) for h in plan.neighbourhoods]
    if request.method == "GET":
        if existing is not None:
            form.attention_point.data = str(existing.attention_point_id or "")
            form.neighbourhood.data = str(existing.neighbourhood_id)
        elif request.args.get("aandachtspunt"):
            form.attention_point.data = request.args["aandachtspunt"]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            if existing is None and (
                again := sent_before(form.once.data, url_for("plans.plan_page", plan_id=plan.id))
            ):
                return again
            try:
                objective = save_objective(
                    plan,
                    ObjectiveData(
                        title=form.title.data or "",
                        heard=form.heard.data or "",
                        neighbourhood_id=small_id(form.neighbourhood.data),
                        attention_point_id=small_id(form.attention_point.data),
                    ),
                    existing,
                )
            except PlanError as exc:
                db.session.rollback()
                show_refusal(form, exc, form.title)
            else:
                record_audit("plan_objective_saved", "plan_objective", objective.id)
                db.session.commit()
                return redirect(
                    url_for("plans.plan_page", plan_id=plan.id, _anchor=f"doel-{objective.id}")
                )
        status = 422
    return render_template(
        "plans/edit_objective.html", form=form, plan=plan, objective=existing
    ), status


_MILESTONE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*[:\-–]?\s*(.*)")


def _parse_milestones(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        match = _MILESTONE.fullmatch(line)
        try:
            day = date(int(match[3]), int(match[2]), int(match[1])) if match else None
        except ValueError:
            day = None
        if match is None or day is None:
            raise PlanError(
                _("Write each milestone as a date (dd/mm/yyyy) and what: %(line)s", line=line[:60]),
                "milestones",
            )
        out.append({"on": day, "text": match[4]})
    return out


def _action_form(objective: Objective, existing: Action | None) -> ActionForm:
    form = ActionForm(obj=existing)
    form.partners.choices = [
        (o.id, o.name) for o in partner_choices(objective.plan.municipality_id)
    ]
    form.owner.choices = [
        ("", _("Nobody yet")),
        *((str(u.id), f"{u.display_name} ({owner_as_role(u)})") for u in owner_choices()),
    ]
    if request.method == "GET" and existing is not None:
        form.partners.data = [o.id for o in existing.partners]
        form.owner.data = str(existing.owner_id or "")
        form.milestones.data = "\n".join(milestone_lines(existing))
    return form


@bp.route("/buurtplannen/doelstellingen/<int:objective_id>/acties/nieuw", methods=["GET", "POST"])
@bp.route("/buurtplannen/acties/<int:action_id>/bewerken", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def edit_action(
    objective_id: int | None = None, action_id: int | None = None
) -> str | BaseResponse | tuple[str, int]:
    existing = db.get_or_404(Action, action_id) if action_id else None
    objective = existing.objective if existing else db.get_or_404(Objective, objective_id or 0)
    form = _action_form(objective, existing)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() or not _errors_besides_choices(form):
            if existing is None and (
                again := sent_before(
                    form.once.data, url_for("plans.plan_page", plan_id=objective.plan_id)
                )
            ):
                return again
            try:
                action = save_action(
                    objective,
                    ActionData(
                        description=form.description.data or "",
                        starts_on=form.starts_on.data,
                        ends_on=form.ends_on.data,
                        partner_ids=[
                            n for i in request.form.getlist("partners") if (n := small_id(i))
                        ]
                        if form.partners.errors
                        else list(form.partners.data or []),
                        partners_text=form.partners_text.data or "",
                        owner_id=small_id(form.owner.data),
                        expected_output=form.expected_output.data or "",
                        milestones=_parse_milestones(form.milestones.data or ""),
                        status=form.status.data or "planned",
                    ),
                    existing,
                )
            except PlanError as exc:
                db.session.rollback()
                form.partners.errors = []
                show_refusal(form, exc, form.description)
            else:
                record_audit("plan_action_saved", "plan_action", action.id)
                db.session.commit()
                return redirect(
                    url_for(
                        "plans.plan_page", plan_id=objective.plan_id, _anchor=f"doel-{objective.id}"
                    )
                )
        status = 422
    return render_template(
        "plans/edit_action.html", form=form, objective=objective, action=existing
    ), status


@bp.route("/buurtplannen/acties/<int:action_id>", methods=["GET", "POST"])
@roles_required(*OWNER_ROLES)
def action_page(action_id: int) -> str | BaseResponse | tuple[str, int]:
    action = db.get_or_404(Action, action_id)
    if not may_follow(current_user, action):
        abort(404)
    form = NoteForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            again = sent_before(form.once.data, url_for("plans.action_page", action_id=action.id))
            if again:
                return again
            try:
                add_note(action, current_user, form.text.data or "", form.status.data or None)
            except PlanError as exc:
                db.session.rollback()
                show_refusal(form, exc, form.text)
            else:
                record_audit("plan_action_note_added", "plan_action", action.id)
                db.session.commit()
                flash(_("The note is added."), "success")
                return redirect(url_for("plans.action_page", action_id=action.id))
        status = 422
    record_audit("plan_action_viewed", "plan_action", action.id)
    db.session.commit()
    return render_template(
        "plans/action.html",
        action=action,
        form=form,
        coordinator=current_user.role == COORDINATOR,
        partner_names=partner_names,
        milestone_lines=milestone_lines,
        timing=timing,
        status_label=status_label,
    ), status


DELETABLE: dict[str, type[Objective | Action | PlanIndicator]] = {
    "doelstellingen": Objective,
    "acties": Action,
    "indicatoren": PlanIndicator,
}


@bp.route("/buurtplannen/<kind>/<int:part_id>/verwijderen", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def delete_part_page(kind: str, part_id: int) -> str | BaseResponse:
    """Asks first (a page, no script), then deletes a mistaken objective, action or
    indicator with what goes with it."""
    if kind not in DELETABLE:
        abort(404)
    part = db.get_or_404(DELETABLE[kind], part_id)
    plan_id = part_plan_id(part)
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            delete_part(part)
        except PartGone:
            abort(404)
        db.session.commit()
        flash(_("Deleted."), "success")
        return redirect(url_for("plans.plan_page", plan_id=plan_id))
    return render_template(
        "plans/delete.html",
        form=form,
        kind=kind,
        name=_part_name(part),
        goes_with=goes_with(part),
        plan_id=plan_id,
        dropped=status_label("dropped"),
    )


def _part_name(part: Objective | Action | PlanIndicator) -> str:
    if isinstance(part, Objective):
        return part.title
    if isinstance(part, Action):
        return part.description
    return measure_label(part.measure)


@bp.get("/buurtplannen/mijn-acties")
@roles_required(*OWNER_ROLES)
def mine() -> str:
    return render_template(
        "plans/mine.html",
        actions=my_actions(current_user),
        timing=timing,
        status_label=status_label,
    )


@bp.route(
    "/buurtplannen/doelstellingen/<int:objective_id>/indicatoren/nieuw", methods=["GET", "POST"]
)
@roles_required(COORDINATOR)
def add_indicator_page(objective_id: int) -> str | BaseResponse | tuple[str, int]:
    objective = db.get_or_404(Objective, objective_id)
    form = IndicatorForm()
    form.measure.choices = measure_choices(objective.neighbourhood)
    form.neighbourhood.choices = [(str(h.id), h.name) for h in objective.plan.neighbourhoods]
    if request.method == "GET":
        form.neighbourhood.data = str(objective.neighbourhood_id)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            again = sent_before(
                form.once.data, url_for("plans.plan_page", plan_id=objective.plan_id)
            )
            if again:
                return again
            try:
                indicator = add_indicator(
                    objective,
                    IndicatorData(
                        measure=form.measure.data or "",
                        target=form.target.data,
                        neighbourhood_id=small_id(form.neighbourhood.data),
                        period_kind=form.period_kind.data or "quarter",
                        baseline_from=form.baseline_from.data,
                        baseline_until=form.baseline_until.data,
                        baseline=form.baseline.data,
                    ),
                )
            except PlanError as exc:
                db.session.rollback()
                show_refusal(form, exc, form.measure)
            else:
                record_audit("plan_indicator_added", "plan_indicator", indicator.id)
                db.session.commit()
                return redirect(
                    url_for(
                        "plans.plan_page", plan_id=objective.plan_id, _anchor=f"doel-{objective.id}"
                    )
                )
        status = 422
    return render_template("plans/add_indicator.html", form=form, objective=objective), status


@bp.route("/buurtplannen/doelstellingen/<int:objective_id>/reacties", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def reactions(objective_id: int) -> str | BaseResponse | tuple[str, int]:
    objective = db.get_or_404(Objective, objective_id)
    form = ReactionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            again = sent_before(
                form.once.data, url_for("plans.reactions", objective_id=objective.id)
            )
            if again:
                return again
            try:
                add_reaction(
                    objective,
                    form.met_on.data,
                    form.meeting.data or "",
                    form.text.data or "",
                    form.people.data,
                    current_user,
                )
            except PlanError as exc:
                db.session.rollback()
                show_refusal(form, exc, form.text)
            else:
                record_audit("plan_reaction_added", "plan_objective", objective.id)
                db.session.commit()
                flash(_("The reaction is recorded."), "success")
                return redirect(url_for("plans.reactions", objective_id=objective.id))
        status = 422
    return render_template("plans/reactions.html", form=form, objective=objective), status


# --- printing and publishing ---------------------------------------------------------------


def _hood_of(plan: Plan, neighbourhood_id: int) -> Neighbourhood:
    for hood in plan.neighbourhoods:
        if hood.id == neighbourhood_id:
            return hood
    abort(404)


@bp.post("/buurtplannen/<int:plan_id>/pdf")
@roles_required(COORDINATOR)
def print_plan(plan_id: int) -> BaseResponse:
    plan = db.get_or_404(Plan, plan_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    document = start_document(plan, current_user)
    record_audit("plan_printed", "plan", plan.id)
    db.session.commit()
    return redirect(url_for("plans.document_page", document_id=document.id))


@bp.post("/buurtplannen/<int:plan_id>/bewoners/<int:neighbourhood_id>/pdf")
@roles_required(COORDINATOR)
def print_summary(plan_id: int, neighbourhood_id: int) -> BaseResponse:
    plan = db.get_or_404(Plan, plan_id)
    hood = _hood_of(plan, neighbourhood_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    names = names_in(summary_texts(residents_summary(plan, hood)), plan.municipality_id)
    if names:  # printed is published: the same check as putting it online
        flash(
            _(
                "The summary names %(names)s: leave names out before printing it.",
                names=", ".join(names),
            ),
            "error",
        )
        return redirect(url_for("plans.summary_page", plan_id=plan.id, neighbourhood_id=hood.id))
    document = start_document(plan, current_user, hood)
    record_audit("plan_summary_printed", "plan", plan.id, neighbourhood_id=hood.id)
    db.session.commit()
    return redirect(url_for("plans.document_page", document_id=document.id))


@bp.get("/buurtplannen/documenten/<int:document_id>")
@roles_required(COORDINATOR)
def document_page(document_id: int) -> str:
    return render_template("plans/document.html", document=db.get_or_404(PlanDocument, document_id))


@bp.get("/buurtplannen/documenten/<int:document_id>.pdf")
@roles_required(COORDINATOR)
def document_pdf(document_id: int) -> Response:
    document = db.get_or_404(PlanDocument, document_id)
    if document.status != "done" or document.data is None:
        abort(404)
    return Response(
        document.data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="buurtplan-{document.id}.pdf"'},
    )


@bp.route("/buurtplannen/<int:plan_id>/bewoners/<int:neighbourhood_id>", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def summary_page(plan_id: int, neighbourhood_id: int) -> str | BaseResponse | tuple[str, int]:
    plan = db.get_or_404(Plan, plan_id)
    hood = _hood_of(plan, neighbourhood_id)
    summary = summary_for(plan, hood)
    content = residents_summary(plan, hood)
    form = EmptyForm()
    status = 200
    names: list[str] = []
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    if request.method == "POST":
        publish = request.form.get("publish") == "1"
        names = names_in(summary_texts(content), plan.municipality_id) if publish else []
        if names:
            status = 422
        else:
            publish_summary(summary, current_user, publish)
            record_audit(
                "plan_summary_published" if publish else "plan_summary_unpublished",
                "plan",
                plan.id,
                neighbourhood_id=hood.id,
            )
            db.session.commit()
            flash(
                _("The summary is published.") if publish else _("The summary is taken offline."),
                "success",
            )
            return redirect(
                url_for("plans.summary_page", plan_id=plan.id, neighbourhood_id=hood.id)
            )
    db.session.commit()
    return render_template(
        "plans/summary_page.html",
        plan=plan,
        neighbourhood=hood,
        summary=summary,
        content=content,
        form=form,
        names=names,
        public_url=url_for("plans.public_summary", token=summary.token, _external=True),
    ), status


@bp.get("/buurtplan/<token>")
@public
def public_summary(token: str) -> str:
    summary = published_summary(token)
    if summary is None:
        abort(404)
    return render_template(
        "plans/public_summary.html",
        content=residents_summary(summary.plan, summary.neighbourhood),
        published_at=summary.published_at,
    )
