"""Rates per 100 residents aged 65+ and 80+: field counts set against the population,
once the shares of 65- and 80-plussers are imported with their numerators (the residents
of that age). A suppressed count gives no rate — the rate would give the count away."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.extensions import db
from fieldwork.reports.indicators import indicators_for, neighbourhood_indicator

AGE_INDICATORS = {"65plus": "share_65plus", "80plus": "share_80plus"}
AGE_GROUP_OF = {indicator: group for group, indicator in AGE_INDICATORS.items()}
Residents = dict[str, float | None]  # age group -> residents of that age


def residents_by_age(neighbourhood_ids: Iterable[int]) -> dict[int, Residents]:
    """For each neighbourhood: its residents 65+ and 80+ at the latest imported year of its
    municipality (None where not imported or without numerators)."""
    out: dict[int, Residents] = {}
    latest: dict[int, dict[str, int]] = {}
    ids = list(neighbourhood_ids)
    hoods: Iterable[Neighbourhood] = (
        db.session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(ids))) if ids else []
    )
    for hood in hoods:
        if hood.municipality_id not in latest:
            latest[hood.municipality_id] = {
                name: years[-1] for name, years in indicators_for(hood.municipality) if years
            }
        years = latest[hood.municipality_id]
        out[hood.id] = {}
        for group, indicator in AGE_INDICATORS.items():
            figure = (
                neighbourhood_indicator(hood, indicator, years[indicator])
                if indicator in years
                else None
            )
            out[hood.id][group] = figure.numerator if figure is not None else None
    for hood_id in ids:
        out.setdefault(hood_id, dict.fromkeys(AGE_INDICATORS))
    return out


def per_100(count: Any, residents: float | None) -> float | None:
    """``count`` per 100 residents; None for a suppressed count or an unknown population."""
    if isinstance(count, bool) or not isinstance(count, int) or not residents:
        return None
    return round(count / residents * 100, 2)


def rates(figures: dict[str, Any], residents: Residents) -> dict[str, float | None]:
    """Signals, needs and opened cases per 100 residents 65+ and 80+, from the figures as
    shown (so suppressed figures give no rate), with the populations used."""
    counts = {
        "signals": figures["signals"]["total"],
        "needs": figures["signals"].get("by_polarity", {}).get("need"),
        "cases": figures["cases"]["opened"],
    }
    out: dict[str, float | None] = {
        f"residents_{group}": residents.get(group) for group in AGE_INDICATORS
    }
    for name, count in counts.items():
        for group in AGE_INDICATORS:
            out[f"{name}_per_100_{group}"] = per_100(count, residents.get(group))
    return out
