"""The coordinator's "Storingen" page: dead-lettered outbox messages, to retry or discard.

The listing names the task and the ids it was given, when, how many attempts and the last
error — no personal data. Retry puts a message back to pending (attempts reset) and publishes
it after the commit; discard keeps it for the record, never sent. Both are audited.

Other packages list what stopped for good on their own page (e-mails the mail server
refused, for one) and register it here (:func:`add_failure_list`): this page and /healthz
count them, so a coordinator sees them beside the dead letters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fieldwork.core.audit import record_audit
from fieldwork.core.outbox import dead_letters, discard_dead_letter, max_attempts, retry_dead_letter
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db

bp = Blueprint("failures", __name__, url_prefix="/storingen")
FAILURE_LISTS = "fieldwork.failure_lists"


@dataclass(frozen=True)
class FailureList:
    """Another package's failures waiting for the coordinator: ``count()`` how many, shown
    as ``label(n)`` with a link to ``endpoint``."""

    name: str
    label: Callable[[int], str]
    count: Callable[[], int]
    endpoint: str


def add_failure_list(app: Flask, failure_list: FailureList) -> None:
    app.extensions.setdefault(FAILURE_LISTS, []).append(failure_list)


def failure_counts() -> dict[str, int]:
    """How many wait on each registered list (for /healthz)."""
    return {f.name: f.count() for f in current_app.extensions.get(FAILURE_LISTS, [])}


@bp.get("/")
@roles_required("coordinator")
def index() -> str:
    others = [(f, f.count()) for f in current_app.extensions.get(FAILURE_LISTS, [])]
    return render_template(
        "failures/index.html",
        messages=dead_letters(),
        max_attempts=max_attempts(),
        others=[(f, n) for f, n in others if n],
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
