"""Referral cards with a QR code and a tear-off consent strip (doorverwijskaarten)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to the hooks of cases. Receivers connect
    on the first import only, so once per process however many apps are made."""
    import fieldwork.referrals.receivers  # noqa: F401
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.referrals.reconcile import unprinted_series

    add_sweep(app, "referrals", "referrals.render_series_pdf", unprinted_series)
