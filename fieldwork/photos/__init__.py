"""Photo assignments (foto-opdrachten): weekly prompts for residents, uploads without an
account, moderation, galleries and the flyer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its part of the reconciliation sweep."""
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.photos.reconcile import unprocessed_photos

    add_sweep(app, "photos", "photos.process", unprocessed_photos)
