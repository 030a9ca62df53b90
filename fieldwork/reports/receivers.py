"""reports' answers to the hooks of routing; connected once per process by ``init_app``."""

from __future__ import annotations

from typing import Any

from fieldwork.cases.models import Case
from fieldwork.reports.rollups import count_routed
from fieldwork.routing.hooks import signals_routed
from fieldwork.signals.models import Signal


def count_routed_signals(_sender: Any, routed: list[tuple[Signal, Case | None]], **_: Any) -> None:
    count_routed(routed)


signals_routed.connect(count_routed_signals, weak=False)
