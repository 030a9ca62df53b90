"""The printable plan and the residents' summary as PDF: asked for on a page, made by the
worker on the batch queue (as reports' report and partners' info card). Flush, never
commit, except in the worker's job."""

from __future__ import annotations

from flask_babel import gettext as _

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.core.formatting import decimal
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.core.pdfjobs import render_once
from fieldwork.db import local_today
from fieldwork.extensions import db
from fieldwork.plans.content import (
    figure_line,
    figures_of,
    findings_of,
    indicator_line,
    milestone_lines,
    partner_names,
    residents_summary,
    status_label,
    timing,
)
from fieldwork.plans.indicators import figures_counted_once
from fieldwork.plans.models import Plan, PlanDocument
from fieldwork.plans.pdf import PdfAction, PdfIndicator, PdfObjective, PdfPlan
from fieldwork.plans.pdf import render_plan as render_plan_pdf
from fieldwork.plans.pdf import render_summary as render_summary_pdf


def start_document(
    plan: Plan, by: User, neighbourhood: Neighbourhood | None = None
) -> PlanDocument:
    """The whole plan (no neighbourhood) or one neighbourhood's residents' summary."""
    document = PlanDocument(
        plan_id=plan.id,
        kind="summary" if neighbourhood is not None else "plan",
        neighbourhood_id=neighbourhood.id if neighbourhood is not None else None,
        created_by_id=by.id,
    )
    db.session.add(document)
    db.session.flush()
    enqueue_after_commit("plans.render_document", document.id)
    return document


def _shown(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(decimal(value))
    return str(value)


def plan_for_print(plan: Plan) -> PdfPlan:
    with figures_counted_once():
        return _plan_for_print(plan)


def _plan_for_print(plan: Plan) -> PdfPlan:
    objectives = []
    for objective in plan.objectives:
        indicators = []
        for indicator in objective.indicators:
            # for the council, who read figures as the analyst does: suppressed
            line = indicator_line(indicator, suppressed=True)
            indicators.append(
                PdfIndicator(
                    label=f"{line.label} ({indicator.neighbourhood.name})",
                    baseline=_shown(line.baseline),
                    target=_shown(indicator.target),
                    values=", ".join(f"{p.label}: {_shown(p.value)}" for p in line.points[-6:]),
                )
            )
        people = sum(r.people for r in objective.reactions)
        objectives.append(
            PdfObjective(
                title=objective.title,
                neighbourhood=objective.neighbourhood.name,
                point=objective.attention_point.title if objective.attention_point else "",
                findings=findings_of(objective) + [figure_line(c) for c in figures_of(objective)],
                actions=[
                    PdfAction(
                        description=a.description,
                        partners=", ".join(partner_names(a)),
                        owner=a.owner.display_name if a.owner else "",
                        output=a.expected_output,
                        timing="; ".join([timing(a), *milestone_lines(a)]),
                        status=status_label(a.status),
                    )
                    for a in objective.actions
                ],
                indicators=indicators,
                reactions=_(
                    "Residents' reactions: %(people)d people at %(meetings)d meetings.",
                    people=people,
                    meetings=len(objective.reactions),
                )
                if objective.reactions
                else "",
            )
        )
    return PdfPlan(
        title=plan.title,
        municipality=plan.municipality.name,
        neighbourhoods=", ".join(h.name for h in plan.neighbourhoods),
        period=f"{plan.starts_on:%d/%m/%Y} – {plan.ends_on:%d/%m/%Y}",
        made_on=local_today(),
        objectives=objectives,
        labels={
            "period": _("Period"),
            "made_on": _("Made on"),
            "point": _("Attention point"),
            "findings": _("Based on"),
            "action": _("Action"),
            "partners": _("Partners"),
            "owner": _("Owner"),
            "output": _("Expected output"),
            "timing": _("Timing"),
            "status": _("Status"),
            "indicator": _("Indicator"),
            "baseline": _("Baseline"),
            "target": _("Target"),
            "values": _("Per period"),
        },
    )


def summary_labels() -> dict[str, str]:
    return {
        "title": _("Our plan for"),
        "heard": _("What we heard:"),
        "do": _("What we will do:"),
        "with": _("with"),
        "empty": _("No objectives for this neighbourhood yet."),
    }


def render(document: PlanDocument) -> bytes:
    if document.kind == "summary" and document.neighbourhood is not None:
        return render_summary_pdf(
            residents_summary(document.plan, document.neighbourhood), summary_labels()
        )
    return render_plan_pdf(plan_for_print(document.plan))


def render_document(document_id: int) -> bool:
    """Make the PDF once (the task may run twice)."""
    return render_once(PlanDocument, document_id, render)
