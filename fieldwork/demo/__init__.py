"""Demo data for `make run`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its ``demo`` commands. Receivers connect on the first
    import only, so once per process however many apps are made."""
    from fieldwork.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
