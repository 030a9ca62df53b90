"""E-mail and the in-app inbox; who was told and when."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its part of the reconciliation sweep."""
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.notifications.reconcile import unsent_emails

    add_sweep(app, "notifications", "notifications.send_email", unsent_emails)
