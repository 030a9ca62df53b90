"""The coordinator reads in a phone's queue saved as a file ("Bewaar als bestand" on
/wachtrij), when the phone itself cannot send it any more (a broken browser, a lost session).

Each record is handed to the capture view it was meant for, as the person who made it, exactly
as the phone would have sent it: the same validation, the same routing, and the record's own
Idempotency-Key, so what the phone did send after all is not stored twice. Only the capture
forms are accepted, never another URL. Every record read in is audited."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, NotFound

from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.errors import reject_unstorable_text
from fieldwork.core.forms import small_id
from fieldwork.core.permissions import roles_required
from fieldwork.core.receipts import KEY_HEADER, OUTBOX_HEADER, earlier_receipt, refused_by_the_view
from fieldwork.extensions import db

bp = Blueprint("queue_import", __name__)

CAPTURE_ENDPOINTS = frozenset(
    {
        "visits.sheet",
        "calls.sheet",
        "calls.goodmorning_call",
        "referrals.file_card",
        "referrals.link_card",
    }
)
ANONYMOUS_ENDPOINTS = frozenset({"referrals.link_card"})  # the link's token is the proof
MAX_RECORDS = 500


@dataclass
class Outcome:
    title: str
    person: str
    result: str  # received, again, refused
    detail: str = ""


def _fields(raw: Any) -> list[tuple[str, Any]]:
    """The record's form fields; a photo or signature file comes as a data URL."""
    fields: list[tuple[str, Any]] = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, list) or len(entry) not in (2, 3):
            raise ValueError("field")
        name, value = str(entry[0]), entry[1]
        if len(entry) == 3:
            header, _sep, data = str(value).partition(",")
            if not header.startswith("data:") or ";base64" not in header:
                raise ValueError("file")
            fields.append((name, (BytesIO(base64.b64decode(data, validate=True)), str(entry[2]))))
        else:
            fields.append((name, str(value)))
    return fields


def _replay(record: dict[str, Any]) -> Outcome:
    title = str(record.get("title") or "")[:200]
    key = str(uuid.UUID(str(record.get("key"))))
    path = urlsplit(str(record.get("url") or "")).path
    try:
        endpoint, view_args = current_app.url_map.bind("").match(path, method="POST")
    except HTTPException:
        return Outcome(title, "", "refused", _("Not a capture form."))
    if endpoint not in CAPTURE_ENDPOINTS:
        return Outcome(title, "", "refused", _("Not a capture form."))
    user_id = small_id(str(record.get("user") or ""))  # 10**20 fits no column
    person = db.session.get(User, user_id) if user_id else None
    if person is None and endpoint not in ANONYMOUS_ENDPOINTS:
        return Outcome(title, "", "refused", _("The person who made it is not known here."))
    name = person.display_name if person is not None else _("one-time link")
    if earlier_receipt(key) is not None:
        return Outcome(title, name, "again")
    fields = _fields(record.get("fields"))
    headers = {OUTBOX_HEADER: "1", KEY_HEADER: key}
    data = MultiDict(fields)
    with current_app.test_request_context(path, method="POST", data=data, headers=headers):
        g.csrf_valid = True  # the coordinator's own request passed the CSRF check
        # the view acts as the record's maker (Flask-Login reads the user from g; the app
        # context, and so g, is the coordinator's request's: read_queue_file puts them back)
        g._login_user = person if person is not None else AnonymousUserMixin()
        g.pop("capture_claimed", None)  # g is the coordinator's, shared by every record
        try:
            reject_unstorable_text()  # the app's before_request checks do not run here
            view: Callable[..., Any] = current_app.view_functions[endpoint]
            answer = current_app.make_response(view(**view_args))
            redirected = answer.status_code in (302, 303)
            refusals = refused_by_the_view() if redirected else []
        except IntegrityError:  # sent at this very moment by the phone after all
            db.session.rollback()
            return Outcome(title, name, "again")
        except NotFound:
            db.session.rollback()
            return Outcome(title, name, "refused", _("No longer there (404)."))
        except HTTPException as exc:  # its maker may not send it any more (stopped, role)
            db.session.rollback()
            return Outcome(
                title, name, "refused", _("Not accepted (%(status)d).", status=exc.code or 400)
            )
    if redirected and not refusals:
        return Outcome(title, name, "received")
    if refusals:  # the view refused it: said so, saved nothing
        db.session.rollback()
        return Outcome(title, name, "refused", " ".join(refusals)[:200])
    db.session.rollback()
    return Outcome(
        title, name, "refused", _("Not accepted (%(status)d).", status=answer.status_code)
    )


def read_queue_file(raw: bytes) -> list[Outcome]:
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or data.get("format") != "fieldwork-outbox":
        raise ValueError("format")
    records = data.get("records")
    if not isinstance(records, list):
        raise ValueError("format")
    outcomes = []
    coordinator = current_user._get_current_object()
    for record in records[:MAX_RECORDS]:
        try:
            outcome = _replay(record if isinstance(record, dict) else {})
        except (ValueError, TypeError, binascii.Error) as exc:
            db.session.rollback()
            outcome = Outcome(
                str(record.get("title") or "")[:200] if isinstance(record, dict) else "",
                "",
                "refused",
                _("Unreadable record.") + f" ({exc})"[:80],
            )
        g._login_user = coordinator
        record_audit("queue_record_read_in", "capture_receipt", None, result=outcome.result)
        db.session.commit()
        outcomes.append(outcome)
    return outcomes


@bp.route("/wachtrij/inlezen", methods=["GET", "POST"])
@roles_required("coordinator")
def read_in() -> str | tuple[str, int]:
    outcomes: list[Outcome] = []
    error = ""
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            outcomes = read_queue_file(upload.read() if upload else b"")
        except (ValueError, UnicodeDecodeError):
            error = _("This is not a file of a fieldwork queue.")
    status = 400 if error else 200
    return render_template("volunteers/queue_import.html", outcomes=outcomes, error=error), status
