"""Info cards from the register: asked for on a page, made by the worker. Flush, never commit."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.core.pdfjobs import render_once
from fieldwork.extensions import db
from fieldwork.partners.menu_pdf import MenuCard, MenuItem, render_menu_card
from fieldwork.partners.models import MenuCardJob
from fieldwork.partners.services import PartnerError, search_services
from fieldwork.partners.vocabulary import TARGET_GROUPS


def start_menu_card(
    municipality: Municipality,
    target_group: str | None,
    neighbourhood_id: int | None,
    size: str,
    by: User | None,
) -> MenuCardJob:
    if target_group is not None and target_group not in TARGET_GROUPS:
        raise PartnerError(_("Choose a target group from the list."), "target_group")
    if size not in ("A4", "A5"):
        raise PartnerError(_("Choose A4 or A5."), "size")
    if neighbourhood_id is not None:
        hood = db.session.get(Neighbourhood, neighbourhood_id)
        if hood is None or hood.municipality_id != municipality.id:
            raise PartnerError(_("Choose a neighbourhood of this municipality."), "neighbourhood")
    job = MenuCardJob(
        municipality_id=municipality.id,
        target_group=target_group,
        neighbourhood_id=neighbourhood_id,
        size=size,
        created_by_id=by.id if by else None,
    )
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit("partners.render_menu_card", job.id)
    return job


def service_url(service_id: int) -> str:
    """What the QR code holds; PUBLIC_BASE_URL because the worker has no request."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/sociale-kaart/aanbod/{service_id}"


def card_for(job: MenuCardJob) -> MenuCard:
    group = str(TARGET_GROUPS[job.target_group]) if job.target_group else _("everyone")
    where = job.neighbourhood.name if job.neighbourhood else job.municipality.name
    services = search_services(job.municipality, None, job.neighbourhood_id, job.target_group)
    return MenuCard(
        title=_("For %(who)s in %(where)s", who=group.lower(), where=where),
        intro=_(
            "Someone to talk to, help at home, a ride or a meal together: call the number, "
            "or scan the code with your phone for more."
        ),
        size=job.size,
        items=[
            MenuItem(
                service=s.name,
                organisation=s.organisation.name,
                description=s.description,
                phone=s.organisation.phone or "",
                opening_hours=s.organisation.opening_hours,
                url=service_url(s.id),
            )
            for s in services
        ],
        empty=_("The social map has no services for this yet."),
    )


def render_job(job_id: int) -> bool:
    """Make the info card once (the task may run twice)."""
    return render_once(MenuCardJob, job_id, lambda job: render_menu_card(card_for(job)))
