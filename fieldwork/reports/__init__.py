"""Findings per neighbourhood: imported indicators, figures from the field, small-cell
suppression and exports for the neighbourhood analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to the hooks of routing and its
    ``indicators`` and ``rollups`` commands. Receivers connect on the first import only, so once per
    process however many apps are made."""
    import fieldwork.reports.receivers  # noqa: F401
    from fieldwork.reports.cli import indicators_cli, rollups_cli

    app.cli.add_command(indicators_cli)
    app.cli.add_command(rollups_cli)
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.reports.reconcile import (
        uncounted_captures,
        unread_indicator_imports,
        unrendered_reports,
    )

    add_sweep(app, "indicators", "reports.import_indicators", unread_indicator_imports)
    add_sweep(app, "reports", "reports.render_report", unrendered_reports)
    add_sweep(app, "rollups", "reports.count_capture", uncounted_captures)
