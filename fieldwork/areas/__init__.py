"""Municipalities, sub-municipalities, statistical sectors, neighbourhoods and resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to core's hooks and its ``areas``
    commands. Receivers connect on the first import only, so once per process however many apps are
    made."""
    import fieldwork.areas.receivers  # noqa: F401
    from fieldwork.areas.cli import areas_cli

    app.cli.add_command(areas_cli)
