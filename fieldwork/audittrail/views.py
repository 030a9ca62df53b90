"""/audit: the coordinator reads the audit trail back, filtered, 50 a page, or as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from fieldwork.audittrail.labels import ACTION_LABELS, action_label
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


def audited_read(action: str, audit_filter: AuditFilter, **detail: Any) -> None:
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


def _streamed(
    app: Flask, audit_filter: AuditFilter, upto: int | None, labels: dict[str, str]
) -> Iterator[str]:
    # Its own app context (and so its own session), not the request's: an answer nobody
    # reads to the end must not keep the request open.
    with app.app_context():
        yield from csv_lines(all_rows(audit_filter, upto), labels)


def csv_response(audit_filter: AuditFilter) -> Response:
    """The whole filtered set up to now, newest first, streamed in batches."""
    upto = latest_id()
    audited_read("audit_trail_exported", audit_filter, upto=upto)
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    labels = {action: str(label) for action, label in ACTION_LABELS.items()}
    response = Response(_streamed(app, audit_filter, upto, labels), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
