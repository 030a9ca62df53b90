"""Spam resistance for the public form without a third-party captcha: a signed form token
(made when the form was shown, so a bot cannot post straight away) and a honeypot field
that people never see."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import current_app
from flask.wrappers import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many

from fieldwork.extensions import limiter

SALT = "fieldwork.help-form"
MAX_AGE = 24 * 3600
HONEYPOT = "website"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def help_form_limit() -> str:
    """The public form's rate limit (page and API), from the configuration."""
    return str(current_app.config["HELP_FORM_RATE_LIMIT"])


def form_token(now: float | None = None, *, seen: bool = False) -> str:
    """The token of a form shown at ``now``; ``seen`` when the person already had it back
    with their answers and what to fix (a corrected resend is never "too fast")."""
    return _serializer().dumps({"t": now if now is not None else time.time(), "seen": seen})


def _shown(token: str | None) -> dict[str, Any] | None:
    """What a genuine token says (when the form was first shown, seen again or not)."""
    if not token:
        return None
    try:
        found = _serializer().loads(token[:500], max_age=MAX_AGE)
        return {"t": float(found["t"]), "seen": bool(found.get("seen"))}
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def token_again(token: str | None, *, seen: bool) -> str:
    """The token for the form shown again after a refusal: it keeps the time the form was
    first shown (a fresh one would make the corrected resend "too fast"); a forged or
    expired token is replaced by a fresh one, never a seen one."""
    shown = _shown(token)
    if shown is None:
        return form_token()
    return form_token(shown["t"], seen=seen or shown["seen"])


def spam_refusal(token: str | None, honeypot: str | None, now: float | None = None) -> str | None:
    """Why the form looks sent by a bot: "trap" (the honeypot is filled), "expired" (a
    missing, forged or day-old token) or "too_fast" (posted sooner than HELP_FORM_MIN_SECONDS
    after it was first shown, and not a resend); None when it looks sent by a person."""
    if honeypot:
        return "trap"
    shown = _shown(token)
    if shown is None:
        return "expired"
    if shown["seen"]:
        return None
    now = now if now is not None else time.time()
    if now - shown["t"] < float(current_app.config["HELP_FORM_MIN_SECONDS"]):
        return "too_fast"
    return None


def looks_human(token: str | None, honeypot: str | None, now: float | None = None) -> bool:
    """False for a filled honeypot, a missing, forged or day-old token, or a form posted
    too soon after it was shown (see spam_refusal)."""
    return spam_refusal(token, honeypot, now) is None


def accepted(response: Response) -> bool:
    """Only an accepted submission counts against the public form's limit: a refused one
    (a validation error, the spam check, the limit itself) leaves the person's tries alone."""
    return response.status_code < 400


def minutes_until_allowed(now: float | None = None) -> int:
    """In a request refused by the form's limit: the minutes until this address may send
    again, when the last of its exhausted windows ("5 per hour", "20 per day") ends."""
    breached = limiter.current_limit
    if breached is None:
        return 1
    resets = [breached.window.reset_time]
    for item in parse_many(help_form_limit()):
        reset, remaining = limiter.limiter.get_window_stats(item, *breached.request_args)
        if remaining <= 0:
            resets.append(reset)
    now = now if now is not None else time.time()
    return max(1, math.ceil((max(resets) - now) / 60))
