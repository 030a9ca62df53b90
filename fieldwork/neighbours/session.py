"""The caring neighbour's light session: who signed in here with a link or a code. The
session holds the neighbour's id and the nonce of that sign-in; every page checks both again
(paused, ended, or a new code made since), so a paused neighbour is refused at once."""

from __future__ import annotations

from flask import session

SESSION_KEY = "caring_neighbour"


def remember(neighbour_id: int, nonce: str) -> None:
    session[SESSION_KEY] = [neighbour_id, nonce]


def forget() -> None:
    session.pop(SESSION_KEY, None)


def remembered() -> tuple[int, str] | None:
    value = session.get(SESSION_KEY)
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        return value[0], value[1]
    return None
