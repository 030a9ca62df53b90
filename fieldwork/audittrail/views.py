"""/audit: the coordinator reads the audit trail back, filtered, 50 a page, or as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_login import current_user

from fieldwork.audittrail.labels import action_label
from fieldwork.audittrail.services import (
    AuditFilter,
    all_rows,
    audit_page,
    csv_lines,
    known_actions,
    latest_id,
    parse_query,
    staff_users,
)
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.core.roles import Role
from fieldwork.extensions import db

bp = Blueprint("audittrail", __name__)


def audited_read(action: str, audit_filter: AuditFilter, **detail: object) -> None:
    """Reading the trail is itself a read of personal data: audited, with the filters (ids
    and dates only)."""
    record_audit(action, "audit_trail", None, filters=audit_filter.as_args(), **detail)


@bp.get("/audit")
@roles_required(Role.COORDINATOR)
def index() -> tuple[str, int]:
    parsed = parse_query(request.args)
    if parsed.errors:
        page = None
    else:
        page = audit_page(parsed)
        audited_read("audit_trail_viewed", parsed.filter, ids=[r.event.id for r in page.rows])
    args = parsed.filter.as_args()
    html = render_template(
        "audittrail/index.html",
        page=page,
        errors=parsed.errors,
        chosen=request.args,
        users=staff_users(),
        actions=known_actions(),
        next_url=url_for("audittrail.index", **args, before=page.next_before)
        if page and page.next_before
        else None,
        csv_url=url_for("audittrail.export", **args),
        action_label=action_label,
    )
    db.session.commit()
    return html, 400 if parsed.errors else 200


@bp.get("/audit.csv")
@roles_required(Role.COORDINATOR)
def export() -> Response | tuple[str, int]:
    parsed = parse_query(request.args)
    if parsed.errors:
        return index()
    return csv_response(parsed.filter)


def csv_response(audit_filter: AuditFilter) -> Response:
    """The whole filtered set up to now, newest first, streamed in batches."""
    upto = latest_id()
    audited_read("audit_trail_exported", audit_filter, upto=upto)
    db.session.commit()
    response = Response(
        stream_with_context(csv_lines(all_rows(audit_filter, upto))), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
