"""GET /api/v1/audit: the audit trail for coordinators, as JSON pages or CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from fieldwork.audittrail.services import AuditRow, audit_page, parse_query
from fieldwork.audittrail.views import audited_read, csv_response
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1", description="Audit trail")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]

_PARAMETERS = [
    {"name": name, "in": "query", "schema": {"type": kind}, "description": text}
    for name, kind, text in (
        ("user", "integer", "Only events by this account (id)."),
        ("resident", "integer", "Events about this resident and their cases."),
        ("case", "integer", "Events about this case."),
        ("action", "string", "Only this action, e.g. case_viewed."),
        ("from", "string", "From this day (YYYY-MM-DD, Belgian time)."),
        ("to", "string", "Up to and including this day."),
        ("before", "integer", "Cursor: events older than this id (see next)."),
        ("per_page", "integer", "Events per page, default 50, at most 200."),
        ("format", "string", "csv: the whole filtered set as CSV, without paging."),
    )
]


def _item(row: AuditRow) -> dict[str, Any]:
    event = row.event
    user = {"id": event.user_id, "name": row.user_name} if event.user_id is not None else None
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "user": user,
        "action": event.action,
        "action_label": row.action_label,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "case_id": row.case_id,
        "resident_id": row.resident_id,
        "detail": event.detail or {},
        "ip": event.ip,
    }


@bp.get("/audit")
@api_roles(Role.COORDINATOR)
@bp.doc(security=BEARER, parameters=_PARAMETERS)
def get_audit() -> Response:
    """Every read and change of personal data, newest first, filtered; ``next`` is the URL of
    the next (older) page. Reading it is itself audited."""
    parsed = parse_query(request.args)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        parsed.errors["format"] = [_("Choose json or csv.")]
    if parsed.errors:
        abort(422, message=_("The filters are not valid."), errors=parsed.errors)
    if fmt == "csv":
        return csv_response(parsed.filter)
    page = audit_page(parsed)
    body = {
        "items": [_item(row) for row in page.rows],
        "per_page": parsed.per_page,
        "next": url_for(
            "api_audit.get_audit",
            **parsed.filter.as_args(),
            before=page.next_before,
            per_page=parsed.per_page,
        )
        if page.next_before
        else None,
    }
    audited_read("audit_trail_viewed", parsed.filter, ids=[r.event.id for r in page.rows])
    db.session.commit()
    return jsonify(body)
