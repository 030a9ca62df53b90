"""The one neighbourhood x theme table of signals that every suppressed output shares.

A count suppressed in two tables with two different patterns can be worked out: what one
table hides, the other may show, and its totals do the rest (the dashboard's theme totals
minus a neighbourhood page's exact cells). So for a municipality and a period, the signals
per neighbourhood and theme are suppressed once, as one table with its totals — by the
dashboard, the neighbourhood page, the summary API, the GeoJSON, the CSV/XLSX and the
report alike — and the other breakdowns of the same signals (by domain, polarity, source)
are left out of suppressed figures, as their lines would cross this table's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.extensions import db
from fieldwork.reports.figures import neighbourhood_figures, signal_counts
from fieldwork.reports.rates import Residents, rates
from fieldwork.reports.suppression import Shown, suppress_table
from fieldwork.signals.vocabulary import THEMES

Counts = Mapping[tuple[int, str], int]  # (neighbourhood, theme) -> signals


@dataclass(frozen=True)
class ThemeTable:
    themes: list[str]
    cells: dict[int, dict[str, Shown]]  # neighbourhood -> theme -> shown
    row_totals: dict[int, Shown]
    column_totals: dict[str, Shown]


def ordered_neighbourhoods(municipality_id: int) -> list[int]:
    """A municipality's neighbourhoods in the one order every table uses."""
    return list(
        db.session.scalars(
            select(Neighbourhood.id)
            .where(Neighbourhood.municipality_id == municipality_id)
            .order_by(Neighbourhood.is_unlocatable, Neighbourhood.name, Neighbourhood.id)
        )
    )


def theme_columns(themes: Iterable[str]) -> list[str]:
    return list(THEMES) + sorted(set(themes) - set(THEMES))


def shown_table(hood_ids: list[int], counts: Counts) -> ThemeTable:
    """Suppress the table of these neighbourhoods (rows, in this order) and every theme."""
    themes = theme_columns(theme for _hood, theme in counts)
    table = suppress_table(
        [[int(counts.get((hood, theme), 0)) for theme in themes] for hood in hood_ids]
    )
    return ThemeTable(
        themes=themes,
        cells={
            hood: dict(zip(themes, row, strict=True))
            for hood, row in zip(hood_ids, table.cells, strict=True)
        },
        row_totals=dict(zip(hood_ids, table.row_totals, strict=True)),
        column_totals=dict(zip(themes, table.column_totals, strict=True)),
    )


def municipality_table(municipality_id: int, start: date | None, end: date | None) -> ThemeTable:
    hood_ids = ordered_neighbourhoods(municipality_id)
    return shown_table(hood_ids, signal_counts(hood_ids, start, end))


def share_signals(shown: dict[str, Any], table: ThemeTable, hood_id: int) -> dict[str, Any]:
    """Suppressed figures of one neighbourhood with their signals from the shared table."""
    shown["signals"] = {"total": table.row_totals[hood_id], "by_theme": table.cells[hood_id]}
    return shown


def suppressed_figures(
    figures: dict[int, dict[str, Any]], municipality_id: int, start: date | None, end: date | None
) -> dict[int, dict[str, Any]]:
    """These neighbourhoods' figures (of one municipality) as suppressed outputs show them."""
    from fieldwork.reports.suppression import suppress_figures

    table = municipality_table(municipality_id, start, end)
    return {hood: share_signals(suppress_figures(f), table, hood) for hood, f in figures.items()}


def summary_figures(
    neighbourhood: Neighbourhood,
    start: date | None,
    end: date | None,
    suppressed: bool,
    residents: Residents,
) -> dict[str, Any]:
    """One neighbourhood's figures in a period as ``GET /api/v1/neighbourhoods/<id>/summary``
    answers them: the counts (suppressed for the analyst) and their rates per 100 of
    ``residents`` (:func:`fieldwork.reports.rates.residents_by_age`)."""
    figures = neighbourhood_figures(neighbourhood.id, start, end)
    if suppressed:
        figures = suppressed_figures(
            {neighbourhood.id: figures}, neighbourhood.municipality_id, start, end
        )[neighbourhood.id]
    else:
        figures["suppressed"] = False
    figures["rates"] = rates(figures, residents)
    return figures
