"""/api/v1/queue and /api/v1/cases: the contact person's work."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from fieldwork.auth.models import User
from fieldwork.cases.glass import REASON_HEADER, behind_glass, break_glass, needs_reason
from fieldwork.cases.models import Case
from fieldwork.cases.schemas import CaseEventInSchema, CaseSchema, QueueQuerySchema, QueueSchema
from fieldwork.cases.services import CaseError, apply_case_event, can_see_case, queue_page
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.signals.models import Resident

bp = Blueprint("api_cases", __name__, url_prefix="/api/v1", description="Queue and cases")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
STAFF = (Role.CONTACT_PERSON, Role.COORDINATOR)
_REASON_TEXT = (
    "Break the glass: a coordinator opening a case outside their queue and teams says why "
    "(5 to 200 characters, audited); without it the answer is 403. Holds for 30 minutes."
)
REASON_PARAMETERS = [
    {
        "name": "X-Access-Reason",
        "in": "header",
        "schema": {"type": "string"},
        "description": _REASON_TEXT,
    },
    {"name": "reason", "in": "query", "schema": {"type": "string"}, "description": _REASON_TEXT},
]


@bp.get("/queue")
@api_roles(*STAFF)
@bp.arguments(QueueQuerySchema, location="query")
@bp.response(200, QueueSchema)
@bp.doc(security=BEARER)
def get_queue(args: dict[str, Any]) -> Response:
    """My open cases: urgent first, then by due date of first contact.

    Paginated: ``page`` (from 1) and ``per_page`` (default 50, at most 100); the answer
    gives ``total``, ``pages`` and the ``next``/``prev`` URLs, which keep the filters."""
    neighbourhood, theme = args.get("neighbourhood"), args.get("theme")
    result = queue_page(g.api_user, neighbourhood, theme, args["page"], args["per_page"])

    def link(page: int) -> str:
        return url_for(
            "api_cases.get_queue",
            neighbourhood=neighbourhood,
            theme=theme,
            page=page,
            per_page=result.per_page,
        )

    body = QueueSchema().dump(
        {
            "items": result.items,
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
            "pages": result.pages,
            "next": link(result.page + 1) if result.has_next else None,
            "prev": link(min(result.page - 1, result.pages)) if result.has_prev else None,
        }
    )
    hidden = behind_glass(g.api_user, result.items)
    for item in body["items"]:
        if item["case_id"] in hidden:
            item["resident"], item["reason_needed"] = None, True
    record_audit("queue_viewed", "case", None, ids=[c.id for c in result.items])
    # Serialised before the commit: committing expires every loaded object, and reading
    # them afterwards would load each case, resident and neighbourhood again, one by one.
    db.session.commit()
    return jsonify(body)


def load_case(case_id: int, user: User) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(user, case):
        abort(404, message="No such case.")
    pass_the_glass(case, user)
    return case


def pass_the_glass(case: Case, user: User) -> None:
    """A coordinator opening a case outside their queue and teams gives a reason, in the
    ``X-Access-Reason`` header or the ``reason`` parameter; it holds for
    BREAK_GLASS_MINUTES, so the next requests on that case need none."""
    if not needs_reason(user, case):
        return
    reason = request.headers.get(REASON_HEADER) or request.args.get("reason")
    if not reason:
        message = _(
            "This case is outside your queue and teams: give a reason to open it "
            "(header %(header)s or parameter reason).",
            header=REASON_HEADER,
        )
        abort(403, message=message, errors={"reason": [_("A reason is required.")]})
    try:
        break_glass(user, case, reason)
    except CaseError as exc:
        db.session.rollback()
        abort(422, message=str(exc), errors={"reason": [str(exc)]})


@bp.get("/cases/<int:case_id>")
@api_roles(*STAFF)
@bp.response(200, CaseSchema)
@bp.doc(security=BEARER, parameters=REASON_PARAMETERS)
def get_case(case_id: int) -> Response:
    """A case with its resident, signals and timeline."""
    case = db.session.get(
        Case,
        case_id,
        # the resident and its neighbourhood in the case's own statement, not one each
        options=[joinedload(Case.resident).joinedload(Resident.neighbourhood)],
    )
    if case is None or not can_see_case(g.api_user, case):
        abort(404, message="No such case.")
    pass_the_glass(case, g.api_user)
    # Serialised before the commit, as the queue is: committing expires the case, and the
    # answer would load the case and its owner again.
    body = CaseSchema().dump(case)
    record_audit("case_viewed", "case", case.id)
    db.session.commit()
    return jsonify(body)


@bp.post("/cases/<int:case_id>/events")
@api_roles(*STAFF)
@bp.arguments(CaseEventInSchema)
@bp.response(201, CaseSchema)
@bp.doc(security=BEARER, parameters=REASON_PARAMETERS)
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
