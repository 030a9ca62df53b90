"""Doorstep visit rounds by the visitor team for older residents (bezoekersteam)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to the hooks of areas and volunteers.
    Receivers connect on the first import only, so once per process however many apps are made."""
    import fieldwork.visits.receivers  # noqa: F401
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.visits.reconcile import unread_imports

    add_sweep(app, "visits", "visits.import_targets", unread_imports)
