"""The volunteer pool: search by talent, role, neighbourhood, availability, mobility and
language; who is active where."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.extensions import db
from fieldwork.volunteers.models import Volunteer

PAGE_SIZE = 50


@dataclass
class PoolFilter:
    talent: str = ""  # free text over talents, tags, experience, energy and motivation
    role: str = ""
    neighbourhood_id: int | None = None
    slot: str = ""  # e.g. "tue_morning"
    mobility: str = ""
    language: str = ""
    status: str = ""  # empty: everyone but stopped


def _json_has(column: Any, value: str) -> Any:
    """A JSON list column contains ``value``: on PostgreSQL as JSONB containment; on SQLite
    the list is text as json.dumps wrote it, so the item's own JSON form is looked for."""
    if db.engine.dialect.name == "postgresql":
        return cast(column, JSONB).contains([value])
    encoded = json.dumps(value).replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return cast(column, String).like(f"%{encoded}%", escape="!")


def search_volunteers(
    municipality: Municipality, wanted: PoolFilter, page: int = 1
) -> tuple[list[Volunteer], int]:
    """The volunteers matching every filter given, by name; and how many match in all."""
    query = select(Volunteer).where(Volunteer.municipality_id == municipality.id)
    if wanted.status:
        query = query.where(Volunteer.status == wanted.status)
    else:
        query = query.where(Volunteer.status != "stopped")
    if wanted.talent.strip():
        term = f"%{_escape(wanted.talent.strip().lower()[:80])}%"
        query = query.where(
            or_(
                *(
                    func.lower(column).like(term, escape="\\")
                    for column in (
                        Volunteer.talents,
                        Volunteer.experience,
                        Volunteer.energy,
                        Volunteer.motivation,
                        Volunteer.other_role,
                    )
                ),
                _json_has(Volunteer.tags, wanted.talent.strip().lower()[:40]),
            )
        )
    if wanted.role:
        query = query.where(_json_has(Volunteer.roles, wanted.role))
    if wanted.neighbourhood_id is not None:
        query = query.where(Volunteer.neighbourhood_id == wanted.neighbourhood_id)
    if wanted.slot:
        query = query.where(_json_has(Volunteer.availability, wanted.slot))
    if wanted.mobility:
        query = query.where(_json_has(Volunteer.mobility, wanted.mobility))
    if wanted.language:
        query = query.where(_json_has(Volunteer.languages, wanted.language.strip().lower()))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, min(page, 10_000))
    rows = list(
        db.session.scalars(
            query.order_by(func.lower(Volunteer.name), Volunteer.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return rows, total


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


def active_per_neighbourhood(municipality: Municipality) -> list[dict[str, Any]]:
    """Per neighbourhood: active volunteers and candidates waiting for an intake."""
    rows = db.session.execute(
        select(Neighbourhood.name, Volunteer.status, func.count(Volunteer.id))
        .select_from(Volunteer)
        .outerjoin(Neighbourhood, Neighbourhood.id == Volunteer.neighbourhood_id)
        .where(Volunteer.municipality_id == municipality.id)
        .group_by(Neighbourhood.name, Volunteer.status)
    ).all()
    table: dict[str, dict[str, int]] = {}
    for name, status, count in rows:
        table.setdefault(name or "", {}).setdefault(status, 0)
        table[name or ""][status] += count
    return [{"neighbourhood": name, **counts} for name, counts in sorted(table.items())]


def count_candidates() -> int:
    return (
        db.session.scalar(select(func.count(Volunteer.id)).where(Volunteer.status == "candidate"))
        or 0
    )
