"""Cross-cutting pieces: errors, permissions, audit, outbox, health, tasks, PDF text, QR codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its ``tasks`` commands (``tasks tick``: the outbox,
    then the steps the packages add). Receivers connect on the first import only, so once per
    process however many apps are made."""
    from fieldwork.core.appshell import KeptPageSessions
    from fieldwork.core.cli import tasks_cli
    from fieldwork.core.receipts import init_receipts

    app.cli.add_command(tasks_cli)
    init_receipts(app)
    app.session_interface = KeptPageSessions()
