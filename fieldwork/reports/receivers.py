"""reports' answers to the hooks of routing and visits; connected once per process by
``init_app``."""

from __future__ import annotations

from typing import Any

from fieldwork.cases.models import Case
from fieldwork.reports.rollups import count_routed, uncount_capture
from fieldwork.routing.hooks import signals_routed
from fieldwork.signals.models import Signal
from fieldwork.visits.hooks import visit_undone
from fieldwork.visits.models import Visit


def count_routed_signals(_sender: Any, routed: list[tuple[Signal, Case | None]], **_: Any) -> None:
    count_routed(routed)


def uncount_undone_visit(visit: Visit, **_: Any) -> None:
    uncount_capture("visit", visit.id)


signals_routed.connect(count_routed_signals, weak=False)
visit_undone.connect(uncount_undone_visit, weak=False)
