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
    """Nothing to connect yet: the package only calls the services of the layers below."""
    app.config.setdefault("NEIGHBOUR_LINK_DAYS", 30)
