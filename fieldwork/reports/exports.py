"""Exports of the figures: signals per neighbourhood x theme x month (CSV, XLSX) and the
neighbourhoods with their measures (GeoJSON). Each is a generator of chunks, so a large export
is streamed, and each holds counts only — no names, addresses or notes."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import orient
from sqlalchemy import select

from fieldwork.areas.mapsvg import neighbourhood_shape
from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.core.csvfiles import formula_safe
from fieldwork.extensions import db
from fieldwork.reports.figures import figures_for, signal_counts_by_period, signal_date_range
from fieldwork.reports.rates import per_100, rates, residents_by_age
from fieldwork.reports.social_map import facilities_by_hood, facility_properties
from fieldwork.reports.theme_table import shown_table, suppressed_figures, theme_columns
from fieldwork.signals.vocabulary import THEMES

SIGNAL_COLUMNS = (
    "gemeente",
    "neighbourhood_id",
    "neighbourhood",
    "period",
    "theme",
    "count",
    "per_100_65plus",
    "per_100_80plus",
)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Hood:
    id: int
    name: str
    gemeente: str
    municipality_id: int
    unlocatable: bool


def hoods_of(municipality: Municipality | None) -> list[Hood]:
    """The neighbourhoods of one municipality (or of all), in a stable order."""
    query = (
        select(
            Neighbourhood.id,
            Neighbourhood.name,
            Municipality.code,
            Municipality.id,
            Neighbourhood.is_unlocatable,
        )
        .join(Municipality, Municipality.id == Neighbourhood.municipality_id)
        .order_by(
            Municipality.code, Neighbourhood.is_unlocatable, Neighbourhood.name, Neighbourhood.id
        )
    )
    if municipality is not None:
        query = query.where(Neighbourhood.municipality_id == municipality.id)
    return [Hood(*row) for row in db.session.execute(query)]


def signal_rows(
    hoods: list[Hood], start: date | None, end: date | None, suppress: bool
) -> Iterator[tuple[Any, ...]]:
    """(gemeente, neighbourhood id, name, period, theme, count, per 100 residents 65+,
    per 100 residents 80+) for every non-zero cell, month by month (YYYY-MM). Suppressed:
    quarter by quarter (YYYY-Qn, completed quarters; see :mod:`fieldwork.reports.periods`),
    and per municipality and quarter the neighbourhood x theme table goes through
    :func:`suppress_table` (rows and columns add up to totals); a hidden count has no rate."""
    ids = [h.id for h in hoods]
    if not ids:
        return
    residents = residents_by_age(ids)
    if start is None or end is None:
        seen = signal_date_range(ids)
        if seen is None:
            return
        start, end = start or seen[0], end or seen[1]
        if start > end:
            return
    by_municipality: dict[int, list[Hood]] = {}
    for hood in hoods:
        by_municipality.setdefault(hood.municipality_id, []).append(hood)
    kind = "quarter" if suppress else "month"
    for first, counts in signal_counts_by_period(ids, start, end, kind):
        label = (
            f"{first.year}-Q{(first.month - 1) // 3 + 1}" if suppress else first.strftime("%Y-%m")
        )
        for group in by_municipality.values():
            members = [h.id for h in group]  # the shared table: the same as on the pages
            own = {key: value for key, value in counts.items() if key[0] in set(members)}
            table = shown_table(members, own) if suppress else None
            for hood in group:
                for theme in theme_columns(t for _h, t in own):
                    true = own.get((hood.id, theme), 0)
                    cell = table.cells[hood.id][theme] if table is not None else true
                    if true or not isinstance(cell, int):
                        people = residents[hood.id]
                        yield (
                            hood.gemeente,
                            hood.id,
                            hood.name,
                            label,
                            theme,
                            cell,
                            per_100(cell, people["65plus"]),
                            per_100(cell, people["80plus"]),
                        )


def safe_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (see
    :func:`fieldwork.core.csvfiles.formula_safe`); other values pass unchanged."""
    return formula_safe(value) if isinstance(value, str) else value


def decimal_comma(value: object) -> object:
    """A rate as Excel in Belgium reads a number ("1.5" would be text, or a date)."""
    return str(value).replace(".", ",") if isinstance(value, float) else value


def signals_csv(
    hoods: list[Hood], start: date | None, end: date | None, suppress: bool
) -> Iterator[str]:
    """UTF-8 with a BOM and semicolons, as Excel in Belgium opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(SIGNAL_COLUMNS)
    for row in signal_rows(hoods, start, end, suppress):
        writer.writerow([decimal_comma(safe_cell(cell)) for cell in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def signals_xlsx(
    hoods: list[Hood], start: date | None, end: date | None, suppress: bool
) -> Iterator[bytes]:
    """A write-only workbook (rows go to disk as they come), then streamed from the file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("signalen")
    sheet.append(list(SIGNAL_COLUMNS))
    for row in signal_rows(hoods, start, end, suppress):
        sheet.append([safe_cell(cell) for cell in row])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def flat_measures(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures as flat properties (a GIS table has no nested columns)."""
    visits, calls, signals = figures["visits"], figures["calls"], figures["signals"]
    cases = figures["cases"]
    flat: dict[str, Any] = {
        "visits_target": visits["target"],
        "visits_done": visits["done"],
        "visits_spoken": visits["spoken"],
        "visits_reach_rate": visits["reach_rate"],
        "calls_targets": calls["targets"],
        "calls_reached": calls["reached"],
        "calls_reach_rate": calls["reach_rate"],
        "referrals_filed": figures["referrals"]["filed"],
        "signals_total": signals["total"],
        "signals_need": signals.get("by_polarity", {}).get("need"),  # not when suppressed
        "signals_strength": signals.get("by_polarity", {}).get("strength"),
        "cases_opened": cases["opened"],
        "cases_closed": cases["closed"],
        "first_contact_median_days": cases["first_contact_days"]["median"],
        "first_contact_p90_days": cases["first_contact_days"]["p90"],
        "volunteers_active": figures["volunteers"]["active"],
        "photos_approved": figures["photos"]["approved"],
        **figures.get("rates", {}),
    }
    for theme in THEMES:
        flat[f"signals_{theme}"] = signals["by_theme"].get(theme, 0)
    # one column type per property for GIS tools: suppressed counts become text everywhere
    if figures.get("suppressed"):
        flat = {
            k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
            for k, v in flat.items()
        }
    return flat


def geojson_geometry(shape: BaseGeometry | None) -> dict[str, Any] | None:
    """RFC 7946: lon/lat (as stored), exterior rings counter-clockwise."""
    if shape is None or shape.is_empty:
        return None
    if isinstance(shape, Polygon):
        shape = orient(shape, 1.0)
    elif isinstance(shape, MultiPolygon):
        shape = MultiPolygon([orient(p, 1.0) for p in shape.geoms])
    return mapping(shape)


def neighbourhoods_geojson(
    hoods: list[Hood], start: date | None, end: date | None, suppress: bool
) -> Iterator[str]:
    """A FeatureCollection, one feature (neighbourhood) at a time. The unlocatable bucket has
    no polygon: its geometry is null, as RFC 7946 allows."""
    figures = figures_for([h.id for h in hoods], start, end)
    if suppress:
        for municipality_id in {h.municipality_id for h in hoods}:
            figures.update(
                suppressed_figures(
                    {h.id: figures[h.id] for h in hoods if h.municipality_id == municipality_id},
                    municipality_id,
                    start,
                    end,
                )
            )
    residents = residents_by_age([h.id for h in hoods])
    answers = answer_properties(hoods, start, end)
    places = facilities_by_hood({h.municipality_id for h in hoods})
    yield '{"type": "FeatureCollection", "features": ['
    for index, hood in enumerate(hoods):
        measures = figures[hood.id]
        measures["rates"] = rates(measures, residents[hood.id])
        properties = {
            "neighbourhood_id": hood.id,
            "name": hood.name,
            "gemeente": hood.gemeente,
            "unlocatable": hood.unlocatable,
            "from": start.isoformat() if start else None,
            "until": end.isoformat() if end else None,
            "suppressed": suppress,
            **flat_measures(measures),
            **answers[hood.id],
            **facility_properties(places.get(hood.id)),
        }
        feature = {
            "type": "Feature",
            "id": hood.id,
            "geometry": geojson_geometry(neighbourhood_shape(hood.id)),
            "properties": properties,
        }
        yield ("," if index else "") + json.dumps(feature, ensure_ascii=False)
    yield "]}"


def answer_properties(
    hoods: list[Hood], start: date | None, end: date | None
) -> dict[int, dict[str, Any]]:
    """Per neighbourhood its respondents and per theme the ok / concern / not discussed
    counts (always suppressed, so always text: one column type for GIS tools) and the
    share of concern (a number, or null when its count is not shown)."""
    from fieldwork.reports.answer_table import compared_answers, heard_in

    flat: dict[int, dict[str, Any]] = {}
    for gemeente in dict.fromkeys(h.gemeente for h in hoods):
        ids = [h.id for h in hoods if h.gemeente == gemeente]
        answers = compared_answers(heard_in(ids, start, end))
        themes = next(s for s in answers.sections if s.code == "themes")
        for hood in ids:
            properties: dict[str, Any] = {"answers_respondents": str(answers.respondents[hood])}
            for line in themes.lines:
                for cell in line.hoods[hood]:
                    properties[f"answers_{line.code}_{cell.code}"] = str(cell.count)
                    if cell.code == "concern":
                        properties[f"answers_{line.code}_concern_pct"] = cell.share
            flat[hood] = properties
    return flat


ANSWER_COLUMNS = (
    "gemeente",
    "neighbourhood_id",
    "neighbourhood",
    "from",
    "until",
    "section",
    "question_code",
    "question",
    "answer_code",
    "answer",
    "count",
    "share_pct",
)
WHOLE = "alle buurten"  # the municipality's line: its neighbourhoods together


def answer_rows(
    hoods: list[Hood],
    start: date | None,
    end: date | None,
    scope: dict[str, int | None] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Every answer counted (see :mod:`fieldwork.reports.answer_table`), per neighbourhood
    and for each municipality's neighbourhoods together: the respondents, then one row per
    shown cell. Always suppressed, whoever asks: these are answers about people."""
    from fieldwork.reports.answer_table import compared_answers, heard_in

    by_municipality: dict[str, list[Hood]] = {}
    for hood in hoods:
        by_municipality.setdefault(hood.gemeente, []).append(hood)
    days = (start.isoformat() if start else "", end.isoformat() if end else "")
    for gemeente, group in by_municipality.items():
        answers = compared_answers(heard_in([h.id for h in group], start, end, **(scope or {})))
        places = [(None, WHOLE), *((h.id, h.name) for h in group)]
        for hood_id, name in places:
            respondents = answers.whole if hood_id is None else answers.respondents[hood_id]
            yield (gemeente, hood_id, name, *days, "respondents", "", "", "", "", respondents, "")
        for section in answers.sections:
            for line in section.lines:
                for hood_id, name in places:
                    cells = line.whole if hood_id is None else line.hoods[hood_id]
                    for cell in cells:
                        yield (
                            gemeente,
                            hood_id,
                            name,
                            *days,
                            section.code,
                            line.code,
                            line.label,
                            cell.code,
                            cell.label,
                            cell.count,
                            cell.share,
                        )


def answers_csv(
    hoods: list[Hood],
    start: date | None,
    end: date | None,
    suppress: bool = True,
    scope: dict[str, int | None] | None = None,
) -> Iterator[str]:
    """UTF-8 with a BOM and semicolons, as Excel in Belgium opens it; suppressed whatever
    ``suppress`` says (the exports' common signature)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(ANSWER_COLUMNS)
    for row in answer_rows(hoods, start, end, scope):
        writer.writerow([decimal_comma(safe_cell(cell)) for cell in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
