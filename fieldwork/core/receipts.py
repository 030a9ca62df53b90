"""Receipts for captures sent from the phone's queue (static/js/outbox.js).

A capture form marked ``data-outbox`` is sent by the page with two headers: ``X-Fieldwork-
Outbox: 1`` and an ``Idempotency-Key`` (a UUID made when the form was opened). The view that
saves the capture calls :func:`claim_capture_key` before its commit, so the receipt and the
capture are one transaction: a resend of the same key — after a lost answer, a reload, the
queue sent twice at once — stores nothing new and is answered "received" again.

For a request from the queue the answers are JSON instead of pages: a saved form's redirect
becomes ``{"status": "received", "next": url}``, an anonymous visitor a 401. A form sent the
old way (no JavaScript) is answered exactly as before.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Flask, Response, flash, g, jsonify, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response as BaseResponse

from fieldwork.core.errors import json_error
from fieldwork.db import Base, UTCDateTime, savepoint, utcnow
from fieldwork.extensions import db

OUTBOX_HEADER = "X-Fieldwork-Outbox"
KEY_HEADER = "Idempotency-Key"


class CaptureReceipt(Base):
    """One capture received from a phone, by the key its form was given when it opened."""

    __tablename__ = "capture_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    path: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    next_url: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def from_phone_queue() -> bool:
    return request.headers.get(OUTBOX_HEADER) == "1"


def capture_key() -> str | None:
    """This request's Idempotency-Key when sent from the queue: a UUID, else None."""
    if not from_phone_queue():
        return None
    raw = (request.headers.get(KEY_HEADER) or "").strip()
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def earlier_receipt(key: str) -> CaptureReceipt | None:
    return db.session.scalar(select(CaptureReceipt).where(CaptureReceipt.key == key))


def claim_capture_key(user_id: int | None, next_url: str) -> None:
    """Before the capture's commit: this request's key is taken by it (a no-op without one),
    with the page the phone goes on to. A second request with the same key then fails at
    commit and is answered as received."""
    key = capture_key()
    if key is not None:
        db.session.add(
            CaptureReceipt(
                key=key, path=request.path[:300], user_id=user_id, next_url=next_url[:300]
            )
        )
        g.capture_claimed = True


def received(next_url: str, again: bool = False) -> Response:
    response = jsonify({"status": "received", "next": next_url, "again": again})
    response.headers["Cache-Control"] = "no-store"
    return response


def _answer_earlier_receipt() -> Response | None:
    """Before the view: a key already received is answered without running the view."""
    if request.method != "POST":
        return None
    if from_phone_queue():  # what the view will say, apart from what waits from before
        g.flashes_before = len(session.get("_flashes", []))
    key = capture_key()
    if key is None:
        return None
    receipt = earlier_receipt(key)
    if receipt is None:
        return None
    return received(receipt.next_url or request.path, again=True)


def _redirect_as_received(response: Response) -> Response:
    """After the view: a saved capture's redirect is answered to the queue as JSON. A view
    that refused it (an error said on the next page, nothing saved, no key taken) answers
    409 with that message instead: the record stays on the phone, marked not accepted."""
    if request.method != "POST" or not from_phone_queue():
        return response
    if response.status_code not in (302, 303) or not response.location:
        return response
    refusals = refused_by_the_view()
    if refusals:
        return json_error(409, " ".join(refusals))
    return received(response.location)


def refused_by_the_view() -> list[str]:
    """After a capture view redirected: the errors it said when it took no key (it refused
    the capture and saved nothing), taken from the flashes; none when it saved it."""
    if g.pop("capture_claimed", False):
        return []
    return _take_error_flashes()


def _take_error_flashes() -> list[str]:
    """The errors this request's view said (not one left by an earlier page)."""
    flashes = session.get("_flashes", [])
    before, made = flashes[: g.get("flashes_before", 0)], flashes[g.get("flashes_before", 0) :]
    errors = [message for category, message in made if category == "error"]
    if errors:
        session["_flashes"] = [*before, *((c, m) for c, m in made if c != "error")]
    return errors


def _lost_race(error: IntegrityError) -> Response:
    """The same key arrived twice at once and the other request committed first: the capture
    of this one is rolled back (nothing doubled) and it is answered as received."""
    db.session.rollback()
    key = capture_key()
    receipt = earlier_receipt(key) if key is not None else None
    if receipt is None:
        raise error
    return received(receipt.next_url or request.path, again=True)


def init_receipts(app: Flask) -> None:
    app.before_request(_answer_earlier_receipt)
    app.after_request(_redirect_as_received)
    app.register_error_handler(IntegrityError, _lost_race)


def new_once_key() -> str:
    """The hidden ``once`` field of a form that must act only once: a fresh key per page."""
    return str(uuid.uuid4())


def sent_before(key: str | None, target: str) -> BaseResponse | None:
    """For a page form that adds something: None for its first sending (its ``once`` key is
    taken, see :func:`claim_once`); for a second (a double tap, a resend after a slow answer)
    a redirect to where the first went, saying so, and nothing is added."""
    user_id = current_user.id if current_user.is_authenticated else None
    if claim_once(key, user_id):
        return None
    flash(_("This was saved already."), "info")
    return redirect(target)


def claim_once(key: str | None, user_id: int | None) -> bool:
    """A page form sent twice (a double tap, a resend after a slow answer) acts once: its
    ``once`` key is taken by the first request, in that request's transaction; False for
    every later one. Without a readable key (an old page) there is nothing to compare."""
    try:
        key = str(uuid.UUID(key or ""))
    except ValueError:
        return True
    if earlier_receipt(key) is not None:
        return False
    try:
        with savepoint(db.session):  # two taps at once on PostgreSQL: the second waits, fails
            db.session.add(CaptureReceipt(key=key, path=request.path[:300], user_id=user_id))
            db.session.flush()
    except IntegrityError:
        return False
    return True
