"""Demo: Dadizele's attention point on transport (volunteer drivers) turned into an objective
of a neighbourhood plan, with two actions (one with the Minder Mobielen Centrale from the
social map, owned by An), an indicator with a baseline and a target, a residents' meeting,
and the residents' summary published (issue 22)."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.services import find_user_by_email
from fieldwork.db import local_today
from fieldwork.extensions import db
from fieldwork.partners.models import Organisation
from fieldwork.plans.models import Plan
from fieldwork.plans.services import (
    ActionData,
    IndicatorData,
    ObjectiveData,
    PlanData,
    add_indicator,
    add_note,
    add_reaction,
    publish_summary,
    save_action,
    save_objective,
    save_plan,
    summary_for,
)
from fieldwork.reports.figures import add_months
from fieldwork.reports.models import AttentionPoint

PARTNER = "Minder Mobielen Centrale Moorslede"


def load_demo_plan() -> Plan | None:
    """Once: nothing happens when a plan exists or the analysis has no attention point."""
    if db.session.scalar(select(func.count()).select_from(Plan)):
        return None
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    an = find_user_by_email("aanspreekpersoon@demo.fieldwork.be")
    dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).first()
    if coordinator is None or an is None or dadizele is None:
        return None
    point = db.session.scalar(
        select(AttentionPoint)
        .where(
            AttentionPoint.neighbourhood_id == dadizele.id,
            AttentionPoint.title.like("Vervoer%"),
        )
        .limit(1)
    )
    if point is None:
        return None
    today = local_today()
    start = add_months(today.replace(day=1), 1)  # the plan starts next month
    end = add_months(start, 18) - timedelta(days=1)
    plan = save_plan(
        dadizele.municipality,
        PlanData(f"Buurtplan Dadizele {start.year}-{end.year}", [dadizele.id], start, end),
        coordinator,
        None,
    )
    objective = save_objective(
        plan,
        ObjectiveData(
            title="Wie alleen woont, raakt naar het dorpsrestaurant en het dienstencentrum",
            heard="Wie alleen woont, wil wel naar het dorpsrestaurant of het dienstencentrum "
            "komen, maar raakt er niet zonder auto.",
            neighbourhood_id=dadizele.id,
            attention_point_id=point.id,
        ),
        None,
    )
    partner = db.session.scalar(
        select(Organisation).where(
            Organisation.municipality_id == dadizele.municipality_id, Organisation.name == PARTNER
        )
    )
    rides = save_action(
        objective,
        ActionData(
            description="Vrijwillige chauffeurs rijden op dinsdag en donderdag naar het "
            "dorpsrestaurant en het dienstencentrum",
            starts_on=start,
            ends_on=add_months(start, 12) - timedelta(days=1),
            partner_ids=[partner.id] if partner else [],
            owner_id=an.id,
            expected_output="Twee vaste ritten per week; 15 bewoners die alleen wonen rijden mee",
            milestones=[
                {"on": add_months(start, 1), "text": "zes chauffeurs gevonden"},
                {"on": add_months(start, 2), "text": "eerste rit"},
            ],
            status="running",
        ),
        None,
    )
    add_note(rides, an, "Vier chauffeurs gevonden via de Minder Mobielen Centrale.")
    save_action(
        objective,
        ActionData(
            description="Een folder over het vervoer bij elk huisbezoek 80+ in Dadizele",
            starts_on=start,
            ends_on=add_months(start, 6) - timedelta(days=1),
            partners_text="Dienstencentrum Dadizele",
            owner_id=coordinator.id,
            expected_output="Elke bezochte 80-plusser krijgt de folder",
            status="planned",
        ),
        None,
    )
    add_indicator(
        objective,
        IndicatorData(
            measure="visits_reach_rate",
            target=80.0,
            period_kind="quarter",
            # the analysis period: the year before the plan, with the visit rounds in it
        ),
    )
    add_reaction(
        objective,
        today - timedelta(days=10),
        "Bewonersavond in de parochiezaal",
        "Graag ook een rit op zaterdag naar de markt.",
        23,
        coordinator,
    )
    publish_summary(summary_for(plan, dadizele), coordinator, published=True)
    db.session.flush()
    return plan


def load_demo_plans() -> None:
    plan = load_demo_plan()
    if plan is not None:
        summary = summary_for(plan, plan.neighbourhoods[0])
        click.echo(f"neighbourhood plan: Dadizele; residents' summary /buurtplan/{summary.token}")
