"""Small-cell suppression for the analyst role and for everything leaving the municipality.

The rule itself lives in :mod:`fieldwork.core.suppression` (re-exported here);
:func:`suppress_figures` applies it to :func:`fieldwork.reports.figures.neighbourhood_figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fieldwork.core.suppression import (
    HIDDEN,
    SMALL,
    THRESHOLD,
    Shown,
    ShownTable,
    is_small,
    protect,
    show,
    suppress_counts,
    suppress_table,
    suppress_value,
)

__all__ = [
    "HIDDEN",
    "SMALL",
    "THRESHOLD",
    "Shown",
    "ShownTable",
    "is_small",
    "protect",
    "show",
    "suppress_counts",
    "suppress_figures",
    "suppress_table",
    "suppress_value",
]


def _mapping_table(
    rows: Mapping[str, Mapping[str, int]], columns: Sequence[str]
) -> tuple[list[str], ShownTable]:
    names = list(rows)
    return names, suppress_table([[int(rows[r].get(c, 0)) for c in columns] for r in names])


def suppress_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures of one neighbourhood as the analyst sees them (see the module doc)."""
    out: dict[str, Any] = {
        key: figures[key] for key in ("neighbourhood_id", "period") if key in figures
    }
    out["suppressed"] = True

    visits = figures["visits"]
    outcomes, attempts = suppress_counts(visits["outcomes"])
    target, done, spoken = (suppress_value(visits[k]) for k in ("target", "done", "spoken"))
    out["visits"] = {
        "target": target,
        "done": done,
        "spoken": spoken,
        "attempts": attempts,
        "outcomes": outcomes,
        "reach_rate": visits["reach_rate"]
        if isinstance(target, int) and isinstance(spoken, int)
        else None,
    }

    calls = figures["calls"]
    call_attempts, total_attempts = suppress_counts(calls["attempts"])
    targets, reached = suppress_value(calls["targets"]), suppress_value(calls["reached"])
    out["calls"] = {
        "targets": targets,
        "reached": reached,
        "attempts": call_attempts,
        "attempts_total": total_attempts,
        "reach_rate": calls["reach_rate"]
        if isinstance(targets, int) and isinstance(reached, int)
        else None,
    }

    out["referrals"] = {"filed": suppress_value(figures["referrals"]["filed"])}

    signals = figures["signals"]
    themes = list(signals["by_theme"])
    domains, table = _mapping_table(signals["by_domain_theme"], themes)
    polarity, _ = suppress_counts(signals["by_polarity"])
    source, _ = suppress_counts(signals["by_source"])
    out["signals"] = {
        "total": table.total,
        "by_theme": dict(zip(themes, table.column_totals, strict=True)),
        "by_domain": dict(zip(domains, table.row_totals, strict=True)),
        "by_domain_theme": {
            d: dict(zip(themes, row, strict=True))
            for d, row in zip(domains, table.cells, strict=True)
        },
        "by_polarity": polarity,
        "by_source": source,
    }

    cases = figures["cases"]
    case_outcomes, closed = suppress_counts(cases["outcomes"], cases["closed"])
    contacted = suppress_value(cases["contacted"])
    out["cases"] = {
        "opened": suppress_value(cases["opened"]),
        "contacted": contacted,
        "first_contact_days": cases["first_contact_days"]
        if cases["contacted"] >= THRESHOLD
        else {"median": None, "p90": None},
        "closed": closed,
        "outcomes": case_outcomes,
    }

    out["volunteers"] = {"active": suppress_value(figures["volunteers"]["active"])}
    by_prompt, approved = suppress_counts(figures["photos"]["by_prompt"])
    out["photos"] = {"approved": approved, "by_prompt": by_prompt}
    return out
