"""Referral cards with a QR code and a tear-off consent strip (doorverwijskaarten)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its answers to the hooks of cases and its step of
    ``tasks tick``. Receivers connect on the first import only, so once per process however
    many apps are made."""
    import fieldwork.referrals.receivers  # noqa: F401
    from fieldwork.core.cli import add_tick_step
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.referrals.reconcile import unprinted_series
    from fieldwork.referrals.services import strip_photo_tick_step

    add_tick_step(app, strip_photo_tick_step)
    add_sweep(app, "referrals", "referrals.render_series_pdf", unprinted_series)
