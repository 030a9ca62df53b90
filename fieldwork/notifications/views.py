"""The in-app inbox; the e-mails that could not be sent, for the coordinator."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications import services
from fieldwork.notifications.services import inbox

bp = Blueprint("notifications", __name__)


@bp.get("/inbox")
@roles_required()
def index() -> str:
    items = inbox(current_user)
    unread = {n.id for n in items if n.read_at is None}
    for notification in items:
        notification.read_at = notification.read_at or utcnow()
    db.session.commit()
    return render_template("notifications/inbox.html", items=items, unread=unread)


@bp.get("/storingen/e-mails")
@roles_required("coordinator")
def failed_emails() -> str:
    return render_template("notifications/failed.html", items=services.failed_emails())


@bp.post("/storingen/e-mails/<int:notification_id>/<any(opnieuw, afgehandeld):what>")
@roles_required("coordinator")
def handle_failed_email(notification_id: int, what: str) -> Response:
    """Send it again (after the address was put right) or mark it dealt with; audited. A
    second click finds it handled already: a 404, nothing sent twice."""
    notification = services.failed_email(notification_id)
    if notification is None:
        abort(404)
    if what == "opnieuw":
        services.send_again(notification)
        record_audit("email_sent_again", "notification", notification.id)
        flash(_("The e-mail is sent again."), "success")
    else:
        services.dismiss(notification)
        record_audit("email_failure_dismissed", "notification", notification.id)
        flash(_("Marked as dealt with."), "success")
    db.session.commit()  # publishes it (after the commit)
    return redirect(url_for(".failed_emails"))
