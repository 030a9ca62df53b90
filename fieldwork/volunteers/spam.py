"""Spam resistance for the public form without a third-party captcha: a signed form token
(made when the form was shown, so a bot cannot post straight away) and a honeypot field
that people never see."""

from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "fieldwork.help-form"
MAX_AGE = 24 * 3600
HONEYPOT = "website"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def help_form_limit() -> str:
    """The public form's rate limit (page and API), from the configuration."""
    return str(current_app.config["HELP_FORM_RATE_LIMIT"])


def form_token(now: float | None = None) -> str:
    return _serializer().dumps({"t": now if now is not None else time.time()})


def looks_human(token: str | None, honeypot: str | None, now: float | None = None) -> bool:
    """False for a filled honeypot, a missing, forged or day-old token, or a form posted
    sooner than HELP_FORM_MIN_SECONDS after it was shown."""
    if honeypot or not token:
        return False
    try:
        shown = float(_serializer().loads(token[:500], max_age=MAX_AGE)["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return False
    now = now if now is not None else time.time()
    return now - shown >= float(current_app.config["HELP_FORM_MIN_SECONDS"])
