"""Routing rules and teams: which contact person gets a signal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to the hooks of areas, auth and cases.
    Receivers connect on the first import only, so once per process however many apps are made."""
    import fieldwork.routing.receivers  # noqa: F401
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.routing.reconcile import unrouted_signals

    add_sweep(app, "routing", "routing.route_signal", unrouted_signals)
