"""The audit trail read back: who read or changed which resident's data, and its hash chain.
(Break the glass lives in fieldwork.cases.glass: cases may not import this package.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: ``flask audit seal|verify`` and the seal step of
    ``tasks tick``."""
    from fieldwork.audittrail.cli import audit_cli, tick_step
    from fieldwork.core.cli import add_tick_step

    app.cli.add_command(audit_cli)
    add_tick_step(app, tick_step)
