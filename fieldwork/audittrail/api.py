"""GET /api/v1/audit and /api/v1/audit.csv: the audit trail for coordinators."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from fieldwork.audittrail.schemas import AuditPageSchema
from fieldwork.audittrail.services import (
    MAX_PER_PAGE,
    AuditRow,
    ParsedQuery,
    audit_page,
    parse_query,
)
from fieldwork.audittrail.views import audited_read, csv_response
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1", description="Audit trail")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]

_Spec = tuple[str, dict[str, Any], str]
_ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_FILTERS: list[_Spec] = [
    ("user", _ID, "Only events by this account (id)."),
    ("resident", _ID, "Events about this resident and their cases."),
    ("case", _ID, "Events about this case."),
    ("action", {"type": "string", "pattern": "^[a-z0-9_]{1,64}$"}, "Only this action."),
    ("from", {"type": "string", "format": "date"}, "From this day (Belgian time)."),
    ("to", {"type": "string", "format": "date"}, "Up to and including this day."),
]
_PAGING: list[_Spec] = [
    ("before", _ID, "Cursor: events older than this id (see next)."),
    ("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Default 50."),
]


def _parameters(specs: list[_Spec]) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "query", "schema": schema, "description": text}
        for name, schema, text in specs
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
@bp.response(200, AuditPageSchema)
@bp.doc(security=BEARER, parameters=_parameters(_FILTERS + _PAGING))
def get_audit() -> dict[str, Any]:
    """Every read and change of personal data, newest first, filtered; ``next`` is the URL of
    the next (older) page. Reading it is itself audited. A bad filter: 422 naming it."""
    parsed = _parsed()
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
    return body


@bp.get("/audit.csv")
@api_roles(Role.COORDINATOR)
@bp.response(200, content_type="text/csv")
@bp.doc(security=BEARER, parameters=_parameters(_FILTERS))
def get_audit_csv() -> Response:
    """The whole filtered set as CSV, newest first, streamed (no paging); audited."""
    return csv_response(_parsed().filter)


def _parsed() -> ParsedQuery:
    parsed = parse_query(request.args)
    # the page's form sends its empty fields; an API client leaves a filter out instead
    for name, value in request.args.items():
        if value == "":
            parsed.errors.setdefault(name, [_("Give a value or leave the parameter out.")])
    if parsed.errors:
        abort(422, message=_("The filters are not valid."), errors=parsed.errors)
    return parsed
