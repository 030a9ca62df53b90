"""The neighbourhood plan (buurtplan): objectives from the analysis's attention points, actions
with partners, owners, timing and progress notes, outcome indicators followed per period from
the same figures as the dashboard, the printable plan (PDF by the worker) and a residents'
summary per neighbourhood published at a public link without personal data."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Its answer to reports' question for the neighbourhood page (a link to the plans)."""
    import fieldwork.plans.receivers  # noqa: F401
