"""The in-app inbox."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from fieldwork.core.permissions import roles_required
from fieldwork.db import utcnow
from fieldwork.extensions import db
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
