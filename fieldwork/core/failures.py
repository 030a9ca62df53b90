"""The coordinator's "Storingen" page: dead-lettered outbox messages, to retry or discard.

The listing names the task and the ids it was given, when, how many attempts and the last
error — no personal data. Retry puts a message back to pending (attempts reset) and publishes
it after the commit; discard keeps it for the record, never sent. Both are audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fieldwork.core.audit import record_audit
from fieldwork.core.outbox import dead_letters, discard_dead_letter, max_attempts, retry_dead_letter
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db

bp = Blueprint("failures", __name__, url_prefix="/storingen")


@bp.get("/")
@roles_required("coordinator")
def index() -> str:
    return render_template(
        "failures/index.html", messages=dead_letters(), max_attempts=max_attempts()
    )


@bp.post("/<int:message_id>/retry")
@roles_required("coordinator")
def retry(message_id: int) -> Response:
    message = retry_dead_letter(message_id)
    if message is None:
        db.session.rollback()
        abort(404)
    record_audit("outbox_retried", "outbox_message", message.id, task=message.task_name)
    db.session.commit()  # publishes it (after the commit)
    flash(_("Message %(id)d is sent again.", id=message_id), "success")
    return redirect(url_for("failures.index"))


@bp.post("/<int:message_id>/discard")
@roles_required("coordinator")
def discard(message_id: int) -> Response:
    message = discard_dead_letter(message_id)
    if message is None:
        db.session.rollback()
        abort(404)
    record_audit("outbox_discarded", "outbox_message", message.id, task=message.task_name)
    db.session.commit()
    flash(_("Message %(id)d is discarded; it stays in the record.", id=message_id), "success")
    return redirect(url_for("failures.index"))
