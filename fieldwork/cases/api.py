"""/api/v1/queue and /api/v1/cases: the contact person's work."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.cases.schemas import CaseEventInSchema, CaseSchema, QueueQuerySchema, QueueSchema
from fieldwork.cases.services import CaseError, apply_case_event, can_see_case, queue_for
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db

bp = Blueprint("api_cases", __name__, url_prefix="/api/v1", description="Queue and cases")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
STAFF = (Role.CONTACT_PERSON, Role.COORDINATOR)


@bp.get("/queue")
@api_roles(*STAFF)
@bp.arguments(QueueQuerySchema, location="query")
@bp.response(200, QueueSchema)
@bp.doc(security=BEARER)
def get_queue(args: dict[str, Any]) -> dict[str, Any]:
    """My open cases: urgent first, then by due date of first contact."""
    items = queue_for(g.api_user, args.get("neighbourhood"), args.get("theme"))
    record_audit("queue_viewed", "case", None, ids=[c.id for c in items])
    db.session.commit()
    return {"items": items}


def load_case(case_id: int, user: User) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(user, case):
        abort(404, message="No such case.")
    return case


@bp.get("/cases/<int:case_id>")
@api_roles(*STAFF)
@bp.response(200, CaseSchema)
@bp.doc(security=BEARER)
def get_case(case_id: int) -> Case:
    """A case with its resident, signals and timeline."""
    case = load_case(case_id, g.api_user)
    record_audit("case_viewed", "case", case.id)
    db.session.commit()
    return case


@bp.post("/cases/<int:case_id>/events")
@api_roles(*STAFF)
@bp.arguments(CaseEventInSchema)
@bp.response(201, CaseSchema)
@bp.doc(security=BEARER)
def post_event(data: dict[str, Any], case_id: int) -> Case:
    """Log a contact attempt, change status, close with an outcome, reassign, or add a note."""
    case = load_case(case_id, g.api_user)
    try:
        apply_case_event(case, g.api_user, data)
    except CaseError as exc:
        db.session.rollback()
        abort(
            409 if exc.field == "_schema" else 422, message=str(exc), errors={exc.field: [str(exc)]}
        )
    record_audit("case_viewed", "case", case.id, after=data["type"])
    db.session.commit()
    return db.session.scalars(select(Case).where(Case.id == case_id)).one()
