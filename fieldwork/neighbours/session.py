"""The caring neighbour's light session: who signed in here with a link or a code. The
session holds the neighbour's id and the nonce of that sign-in; every page checks both again
(paused, ended, or a new code made since), so a paused neighbour is refused at once."""

from __future__ import annotations

import time

from flask import current_app, session

SESSION_KEY = "caring_neighbour"


def remember(neighbour_id: int, nonce: str) -> None:
    session[SESSION_KEY] = [neighbour_id, nonce, int(time.time())]


def forget() -> None:
    session.pop(SESSION_KEY, None)


def remembered() -> tuple[int, str] | None:
    """The neighbour signed in here, for as long as a sign-in link lasts
    (NEIGHBOUR_LINK_DAYS): after that they sign in again."""
    value = session.get(SESSION_KEY)
    if not (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], int)
        and isinstance(value[1], str)
        and isinstance(value[2], int)
    ):
        return None
    lasts = link_days() * 86400
    return (value[0], value[1]) if time.time() - value[2] < lasts else None


def link_days() -> int:
    """How long a sign-in link, and a session it started, lasts (NEIGHBOUR_LINK_DAYS)."""
    return int(current_app.config["NEIGHBOUR_LINK_DAYS"])
