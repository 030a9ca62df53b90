"""Volunteers: inclusive intake, the pool, trainings, and buurtgezellen matching."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to the hooks of cases, its step of ``tasks
    tick`` and its ``volunteers`` commands. Receivers connect on the first import only, so once per
    process however many apps are made."""
    import fieldwork.volunteers.receivers  # noqa: F401
    from fieldwork.core.cli import add_tick_step
    from fieldwork.volunteers.cli import tick_step, volunteers_cli

    add_tick_step(app, tick_step)
    app.cli.add_command(volunteers_cli)
