"""The neighbourhood plan (buurtplan): objectives from the analysis's attention points, actions
with partners, owners, timing and progress notes, outcome indicators followed per period from
the same figures as the dashboard, the printable plan (PDF by the worker) and a residents'
summary per neighbourhood published at a public link without personal data."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Its answer to reports' question for the neighbourhood page (a link to the plans), and
    the printed plans' part of the reconciliation."""
    import fieldwork.plans.receivers  # noqa: F401
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.plans.reconcile import unprinted_documents

    add_sweep(app, "plans", "plans.render_document", unprinted_documents)
