"""Drafts kept on the phone (static/js/drafts.js): the server only tells the page which to drop.

A capture form marked ``data-draft`` keeps what is typed in the browser's localStorage,
keyed by the user and the form's path. When the server has saved the form, the view calls
``draft_saved()``; the next page rendered carries the path in ``data-drafts-clear`` on its
body and drafts.js removes that draft. On logout ``all_drafts_cleared()`` marks every draft.
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

SESSION_KEY = "drafts_clear"
EVERY_DRAFT = "*"
LIGHT_SESSIONS = "fieldwork.light_sessions"


def add_light_session(app: Flask, session_key: str, prefix: str) -> None:
    """A sign-in without an account (a caring neighbour's link or code) whose session holds
    ``[id, …]`` under ``session_key``: its drafts and queued records are that person's."""
    app.extensions.setdefault(LIGHT_SESSIONS, {})[session_key] = prefix


def phone_owner() -> str:
    """Whose drafts and queued records are made on this phone now: the logged-in user's id,
    a light session's ("n12" for caring neighbour 12), or "0" (nobody: the public forms).
    The queue never sends one person's records in another's session."""
    if current_user and current_user.is_authenticated:
        return str(current_user.id)
    for key, prefix in current_app.extensions.get(LIGHT_SESSIONS, {}).items():
        value = session.get(key)
        if isinstance(value, list) and value and isinstance(value[0], int):
            return f"{prefix}{value[0]}"
    return "0"


def draft_saved(path: str | None = None) -> None:
    """The form at ``path`` (default: this request's) is saved: its draft can go."""
    paths = [p for p in session.get(SESSION_KEY, []) if p != (path or request.path)]
    session[SESSION_KEY] = [*paths, path or request.path][-20:]


def all_drafts_cleared() -> None:
    """Logging out: every draft on this phone goes."""
    session[SESSION_KEY] = [EVERY_DRAFT]


# The service worker's request for a page it keeps on the phone (appshell.KeptPageSessions)
KEEP_HEADER = "X-Fieldwork-Keep"


def kept_copy() -> bool:
    """This page is rendered for the phone to keep and show offline, maybe days later: it
    carries nothing meant for one moment (what was just saved, which drafts to remove)."""
    return has_request_context() and request.headers.get(KEEP_HEADER) == "1"


def drafts_to_clear() -> str:
    """For the page being rendered: the paths whose drafts to remove, once (not in a kept
    copy: shown offline later, it would remove a draft typed since)."""
    if kept_copy() or SESSION_KEY not in session:
        return ""
    paths = session.pop(SESSION_KEY, None) or []
    return " ".join(str(p) for p in paths)
