"""Drafts kept on the phone (static/js/drafts.js): the server only tells the page which to drop.

A capture form marked ``data-draft`` keeps what is typed in the browser's localStorage,
keyed by the user and the form's path. When the server has saved the form, the view calls
``draft_saved()``; the next page rendered carries the path in ``data-drafts-clear`` on its
body and drafts.js removes that draft. On logout ``all_drafts_cleared()`` marks every draft.
"""

from __future__ import annotations

from flask import request, session

SESSION_KEY = "drafts_clear"
EVERY_DRAFT = "*"


def draft_saved(path: str | None = None) -> None:
    """The form at ``path`` (default: this request's) is saved: its draft can go."""
    paths = [p for p in session.get(SESSION_KEY, []) if p != (path or request.path)]
    session[SESSION_KEY] = [*paths, path or request.path][-20:]


def all_drafts_cleared() -> None:
    """Logging out: every draft on this phone goes."""
    session[SESSION_KEY] = [EVERY_DRAFT]


def drafts_to_clear() -> str:
    """For the page being rendered: the paths whose drafts to remove, once."""
    if SESSION_KEY not in session:
        return ""
    paths = session.pop(SESSION_KEY, None) or []
    return " ".join(str(p) for p in paths)
