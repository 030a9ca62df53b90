"""The social map (sociale kaart): partner organisations, the services they offer, for which
themes, target groups and neighbourhoods — kept by the coordinator, searched on a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: the info cards' part of the reconciliation."""
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.partners.reconcile import unmade_menu_cards

    add_sweep(app, "menucards", "partners.render_menu_card", unmade_menu_cards)
