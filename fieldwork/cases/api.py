"""/api/v1/queue and /api/v1/cases: the contact person's work."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.auth.services import find_user_by_email
from fieldwork.cases.models import Case
from fieldwork.cases.schemas import CaseEventInSchema, CaseSchema, QueueQuerySchema, QueueSchema
from fieldwork.cases.services import (
    CaseError,
    add_note,
    can_see_case,
    change_status,
    close_case,
    log_contact_attempt,
    queue_for,
    reassign,
    withdraw_consent,
)
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db

bp = Blueprint("api_cases", __name__, url_prefix="/api/v1", description="Queue and cases")
BEARER = [{"bearerAuth": []}]
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


def apply_event(case: Case, user: User, data: dict[str, Any]) -> None:
    kind = data["type"]
    if kind == "contact_attempt":
        if not data.get("result"):
            raise CaseError(_("Give the result of the attempt."), "result")
        log_contact_attempt(case, user, data["result"], data.get("note", ""),
                            data.get("call_back_at"))
    elif kind == "status_change":
        change_status(case, user, data.get("status") or "", data.get("reason", ""))
    elif kind == "close":
        close_case(case, user, data.get("outcome") or "", data.get("partner", ""),
                   data.get("reason", ""))
    elif kind == "reassigned":
        target = find_user_by_email(data["to"]) if data.get("to") else None
        if target is None:
            raise CaseError(_("Give the e-mail of the new owner."), "to")
        reassign(case, user, target, data.get("reason", ""))
    elif kind == "withdraw_consent":
        withdraw_consent(case, user, data.get("reason", ""))
    else:
        add_note(case, user, data.get("note", ""))


@bp.post("/cases/<int:case_id>/events")
@api_roles(*STAFF)
@bp.arguments(CaseEventInSchema)
@bp.response(201, CaseSchema)
@bp.doc(security=BEARER)
def post_event(data: dict[str, Any], case_id: int) -> Case:
    """Log a contact attempt, change status, close with an outcome, reassign, or add a note."""
    case = load_case(case_id, g.api_user)
    try:
        apply_event(case, g.api_user, data)
    except CaseError as exc:
        db.session.rollback()
        abort(409 if exc.field == "_schema" else 422, message=str(exc),
              errors={exc.field: [str(exc)]})
    db.session.commit()
    return db.session.scalars(select(Case).where(Case.id == case_id)).one()
