"""Call campaigns (belactie) and the good-morning call (goeiemorgen-telefoon)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to the hooks of volunteers and its step of
    ``tasks tick``. Receivers connect on the first import only, so once per process however many
    apps are made."""
    import fieldwork.calls.receivers  # noqa: F401
    from fieldwork.calls.cli import tick_step
    from fieldwork.calls.reconcile import unread_call_lists
    from fieldwork.core.cli import add_tick_step
    from fieldwork.core.reconcile import add_sweep

    add_tick_step(app, tick_step)
    add_sweep(app, "calls", "calls.import_list", unread_call_lists)
