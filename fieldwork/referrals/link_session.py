"""The one-time link a visitor without an account opened in this browser. The card's QR code
holds /k/<code> (the same code for every referrer); with the link remembered, scanning it goes
on through the link instead of to the login page.

The session only holds the token: it grants nothing by itself. Every page reached through it
checks the link again (revoked, expired, already used for another card), and a link found no
longer valid is forgotten."""

from __future__ import annotations

from flask import session

SESSION_KEY = "referral_link"


def remember_link(token: str) -> None:
    session[SESSION_KEY] = token


def forget_link(token: str) -> None:
    if session.get(SESSION_KEY) == token:
        session.pop(SESSION_KEY)


def remembered_link() -> str | None:
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) and token else None
