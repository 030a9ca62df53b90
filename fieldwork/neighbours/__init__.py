"""Caring neighbours (zorgzame buren): residents who keep an eye on their street. They join
from a public page or through the coordinator (a light account: a sign-in link by e-mail or a
short code on paper, no password), file signals about a neighbour from their phone (routed
like every capture, source "neighbour") and see only the status of what they filed. The
coordinator sees them per neighbourhood and street, pauses or ends their role, invites them to
trainings and sends them a message."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The link's lifetime, and the neighbour's light session as the owner of what is kept
    on the phone (drafts, the queue): "n<id>", never mixed with another neighbour's."""
    from fieldwork.core.drafts import add_light_session
    from fieldwork.neighbours.session import SESSION_KEY

    app.config.setdefault("NEIGHBOUR_LINK_DAYS", 30)
    add_light_session(app, SESSION_KEY, "n")
