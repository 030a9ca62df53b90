"""Imported indicators (e.g. Provincies in Cijfers downloads) per statistical sector,
sub-municipality or municipality, and their figures per neighbourhood.

Shares are kept as numerator and denominator, so that a neighbourhood's figure is
sum(numerators) / sum(denominators) over its sectors — never the mean of the sectors'
percentages. Services flush, never commit."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood, Sector, SubMunicipality
from fieldwork.areas.statbel import UNLOCATABLE_SUFFIX, canonical_sub_code
from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.csvfiles import match_columns, read_records, record_cells, sniff_delimiter
from fieldwork.core.errors import ServiceError
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.db import savepoint, utcnow
from fieldwork.extensions import db
from fieldwork.reports.models import IndicatorImport, IndicatorValue

SMALL_POPULATION = 100
MAX_NUMBER = 1e12  # more than any population or amount a municipality imports
MAX_IMPORT_BYTES = 10 * 1024 * 1024
REPORT_LIMIT = 1000
DEMO_FILE = "indicatoren_moorslede.csv"
DEMO_SOURCE = "voorbeeldcijfers (illustratief)"

LABELS = {
    "share_65plus": _l("Share of residents aged 65+"),
    "share_80plus": _l("Share of residents aged 80+"),
    "living_alone_75plus": _l("Residents aged 75+ living alone"),
    "increased_reimbursement": _l("Residents with increased reimbursement"),
    "carer_ratio": _l("Carer ratio (40–79 per 80+)"),
    "green_pressure": _l("Green pressure (0–19 per 20–64)"),
    "grey_pressure": _l("Grey pressure (65+ per 20–64)"),
    "internal_ageing": _l("Internal ageing (80+ per 65+)"),
}
# Ratios of two different populations: the numerator may well exceed the denominator.
RATIOS = frozenset({"carer_ratio", "green_pressure", "grey_pressure"})

COLUMNS = {  # our field: the headings people use for it
    "code": ("code", "gebied", "gebiedscode", "area", "area_code", "niscode", "nis"),
    "indicator": ("indicator", "indicatorcode"),
    "year": ("year", "jaar", "periode", "period"),
    "value": ("value", "waarde"),
    "numerator": ("numerator", "teller"),
    "denominator": ("denominator", "noemer"),
}
REQUIRED = ("code", "indicator", "year")
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_YEAR = re.compile(r"[0-9]{4}")
_MUNICIPALITY = re.compile(r"[0-9]{5}")
_SUB_MUNICIPALITY = re.compile(r"[0-9]{5}-?[A-Z]|[0-9]{5}" + UNLOCATABLE_SUFFIX)


class IndicatorImportError(ServiceError):
    def __init__(self, message: str, field: str = "file", status: int = 422) -> None:
        super().__init__(message, field, status)


def indicator_label(indicator: str) -> str:
    """The label of a known indicator; an unknown one is shown as it is."""
    label = LABELS.get(indicator)
    return str(label) if label is not None else indicator


def indicator_unit(indicator: str) -> str:
    return _("per 100") if indicator in RATIOS else "%"


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportReport:
    source: str = ""
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    rejected_count: int = 0

    @property
    def accepted(self) -> int:
        return self.added + self.updated + self.unchanged

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < REPORT_LIMIT:
            self.rejected.append((line, reason))

    def lines(self) -> list[str]:
        out = [f"line {line}: {reason}" for line, reason in self.rejected]
        out.append(
            f"{self.rows} rows: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected_count} rejected."
        )
        return out


@dataclass(frozen=True)
class _Area:
    kind: str
    code: str
    municipality_id: int


class _Areas:
    """Looks area codes up once per import, coping with the quirks of downloads."""

    def __init__(self) -> None:
        self.sectors = {
            code: mid
            for code, mid in db.session.execute(
                select(Sector.code, SubMunicipality.municipality_id).join(
                    SubMunicipality, Sector.sub_municipality_id == SubMunicipality.id
                )
            )
        }
        self.subs: dict[str, tuple[str, int]] = {}
        for code, mid in db.session.execute(
            select(SubMunicipality.code, SubMunicipality.municipality_id)
        ):
            self.subs[canonical_sub_code(code)] = (code, mid)
        self.municipalities = {
            code: mid
            for code, mid in db.session.execute(select(Municipality.code, Municipality.id))
        }

    def find(self, raw: str) -> _Area | None:
        code = "".join(raw.split()).upper()
        if _MUNICIPALITY.fullmatch(code):
            mid = self.municipalities.get(code)
            return _Area("municipality", code, mid) if mid is not None else None
        if _SUB_MUNICIPALITY.fullmatch(code):
            found = self.subs.get(canonical_sub_code(code))
            return _Area("sub_municipality", found[0], found[1]) if found else None
        if len(code) in (8, 9):  # 36012A01- is written 36012A01 by some tools
            for candidate in (code, code + "-"):
                if len(candidate) == 9 and candidate in self.sectors:
                    return _Area("sector", candidate, self.sectors[candidate])
        return None


def parse_number(text: str) -> float | None:
    """'12,5', '12.5', '1.234,5', '1 234' and '12,5%' → a float; '' → None; else ValueError."""
    cleaned = "".join(text.replace("\u00a0", " ").split()).rstrip("%")
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:  # the last one is the decimal separator
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    elif cleaned.count(".") > 1 or cleaned.count(",") > 1:  # 1.234.567: thousands only
        cleaned = cleaned.replace(".", "").replace(",", "")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(text.strip()[:20])
    number = float(cleaned.replace(",", "."))
    if not math.isfinite(number) or number > MAX_NUMBER:  # '9' * 400 is inf for a float
        raise ValueError(text.strip()[:20])
    return number


def _columns(header: list[str]) -> dict[str, int]:
    found = match_columns(header, COLUMNS)
    for ours in REQUIRED:
        if ours not in found:
            raise IndicatorImportError(
                _("The column '%(column)s' is missing from the first line.", column=ours)
            )
    if "value" not in found and not {"numerator", "denominator"} <= found.keys():
        raise IndicatorImportError(
            _("The file needs a column 'value', or 'numerator' and 'denominator'.")
        )
    return found


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    if index is None or index >= len(cells):
        return ""
    return " ".join(cells[index].split())


@dataclass(frozen=True)
class _Row:
    area: _Area
    indicator: str
    year: int
    value: float | None
    numerator: float | None
    denominator: float | None


def _parse(cells: list[str], columns: dict[str, int], areas: _Areas) -> _Row:
    """A checked row, or ValueError with the reason."""
    code = _cell(cells, columns, "code")
    if not code:
        raise ValueError(_("the area code is missing"))
    area = areas.find(code)
    if area is None:
        raise ValueError(_("unknown area code '%(code)s'", code=code[:20]))
    indicator = _cell(cells, columns, "indicator").casefold()
    if not indicator:
        raise ValueError(_("the indicator is missing"))
    if len(indicator) > 80:
        raise ValueError(_("the indicator name is too long"))
    year_text = _cell(cells, columns, "year")
    if not _YEAR.fullmatch(year_text) or not 1900 <= int(year_text) <= 2100:
        raise ValueError(_("year '%(year)s' is not a year", year=year_text[:20]))
    numbers: dict[str, float | None] = {}
    for key, label in (
        ("value", _("value")),
        ("numerator", _("numerator")),
        ("denominator", _("denominator")),
    ):
        text = _cell(cells, columns, key)
        try:
            numbers[key] = parse_number(text)
        except ValueError:
            raise ValueError(
                _("%(column)s '%(text)s' is not a number", column=label, text=text[:20])
            ) from None
    value, numerator, denominator = (numbers["value"], numbers["numerator"], numbers["denominator"])
    if (numerator is None) != (denominator is None):
        raise ValueError(_("give both numerator and denominator, or neither"))
    if value is None and numerator is None:
        raise ValueError(_("no value, nor numerator and denominator"))
    if numerator is not None and denominator is not None:
        if indicator not in RATIOS and numerator > denominator:
            raise ValueError(
                _(
                    "the numerator (%(numerator)s) is larger than the denominator "
                    "(%(denominator)s)",
                    numerator=_fmt(numerator),
                    denominator=_fmt(denominator),
                )
            )
        if denominator == 0 and numerator:
            raise ValueError(_("the denominator is 0"))
        if value is None and denominator:
            value = numerator / denominator * 100
    return _Row(area, indicator, int(year_text), value, numerator, denominator)


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def import_indicators(raw: bytes, source: str, *, all_or_nothing: bool = False) -> ImportReport:
    """Read the CSV and upsert every valid row by (area, indicator, year). Rejected rows are
    reported by line number; the others are stored, unless ``all_or_nothing`` and a row was
    rejected (then nothing is). Flush, never commit."""
    if not raw.strip():
        raise IndicatorImportError(_("The file is empty."))
    if len(raw) > MAX_IMPORT_BYTES:
        raise IndicatorImportError(_("The file is too large (10 MB at most)."))
    source = " ".join(source.split())[:200]
    lines = read_records(raw)
    if not lines:
        raise IndicatorImportError(_("The file is empty."))
    header_line = lines[0][1]
    delimiter = sniff_delimiter(header_line)
    columns = _columns(record_cells(header_line, delimiter) or [])
    areas = _Areas()
    report = ImportReport(source=source)
    parsed: list[_Row] = []
    seen: dict[tuple[str, str, str, int], int] = {}
    for number, line in lines[1:]:
        report.rows += 1
        cells = record_cells(line, delimiter)
        try:
            if cells is None:
                raise ValueError(_("this line cannot be read (a cell is too long)"))
            row = _parse(cells, columns, areas)
        except ValueError as exc:
            report.reject(number, str(exc))
            continue
        key = (row.area.kind, row.area.code, row.indicator, row.year)
        if key in seen:
            report.reject(
                number, _("the same area, indicator and year as line %(line)d", line=seen[key])
            )
            continue
        seen[key] = number
        parsed.append(row)
    if all_or_nothing and report.rejected_count:
        return report
    _store(parsed, source, report)
    return report


def _store(rows: list[_Row], source: str, report: ImportReport) -> None:
    indicators = sorted({row.indicator for row in rows})
    existing: dict[tuple[str, str, str, int], IndicatorValue] = {}
    if indicators:
        for stored in db.session.scalars(
            select(IndicatorValue).where(IndicatorValue.indicator.in_(indicators))
        ):
            existing[(stored.area_kind, stored.area_code, stored.indicator, stored.year)] = stored
    now = utcnow()
    for row in rows:
        key = (row.area.kind, row.area.code, row.indicator, row.year)
        item = existing.get(key)
        values = {
            "value": row.value,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "source": source,
            "municipality_id": row.area.municipality_id,
        }
        if item is None:
            db.session.add(
                IndicatorValue(
                    area_kind=row.area.kind,
                    area_code=row.area.code,
                    indicator=row.indicator,
                    year=row.year,
                    imported_at=now,
                    **values,
                )
            )
            report.added += 1
        elif all(getattr(item, name) == wanted for name, wanted in values.items()):
            report.unchanged += 1
        else:
            for name, wanted in values.items():
                setattr(item, name, wanted)
            item.imported_at = now
            report.updated += 1
    db.session.flush()


def start_indicator_import(
    filename: str, raw: bytes, source: str, all_or_nothing: bool, by: User | None
) -> IndicatorImport:
    """Keep the upload for the worker, which reads it after commit (what can be told at once
    — an empty or too large file — is refused here). Flush, never commit."""
    if not raw.strip():
        raise IndicatorImportError(_("The file is empty."))
    if len(raw) > MAX_IMPORT_BYTES:
        raise IndicatorImportError(_("The file is too large (10 MB at most)."))
    job = IndicatorImport(
        filename=(filename or "indicatoren.csv")[:200],
        source=" ".join((source or filename or "").split())[:200],
        all_or_nothing=all_or_nothing,
        data=raw,
        created_by_id=by.id if by else None,
        report={},
    )
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit("reports.import_indicators", job.id)
    return job


def run_indicator_import(job_id: int) -> IndicatorImport | None:
    """The worker: read one uploaded file, store its rows, keep the report and drop the
    file. Safe to run twice (a job read before is left as it is). Flush, never commit."""
    job = db.session.get(IndicatorImport, job_id, with_for_update=True)
    if job is None or job.status in ("done", "failed") or job.data is None:
        return job
    try:
        with savepoint(db.session):
            report = import_indicators(job.data, job.source, all_or_nothing=job.all_or_nothing)
    except IndicatorImportError as exc:
        job.status, job.error = "failed", str(exc)[:300]
    else:
        job.status, job.report = "done", report_as_json(report)
        if not (job.all_or_nothing and report.rejected_count):
            audit_indicator_import(report, job.filename, job.created_by_id)
    job.data, job.finished_at = None, utcnow()
    db.session.flush()
    return job


def fail_indicator_import(job_id: int, why: str) -> str:
    """Give up on an upload the worker could not read: the file goes, the reason stays."""
    job = db.session.get(IndicatorImport, job_id, with_for_update=True)
    if job is None:
        return "gone"
    job.status, job.error, job.data, job.finished_at = "failed", why[:200], None, utcnow()
    db.session.flush()
    return job.status


def audit_indicator_import(report: ImportReport, filename: str, user_id: int | None = None) -> None:
    record_audit(
        "indicators_imported",
        "indicator_values",
        None,
        user_id=user_id,
        filename=filename[:200],
        source=report.source,
        added=report.added,
        updated=report.updated,
        rejected=report.rejected_count,
    )


def report_as_json(report: ImportReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "rows": report.rows,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": [list(item) for item in report.rejected],
        "rejected_count": report.rejected_count,
    }


def report_from_json(data: dict[str, Any]) -> ImportReport:
    return ImportReport(
        source=data.get("source", ""),
        rows=data.get("rows", 0),
        added=data.get("added", 0),
        updated=data.get("updated", 0),
        unchanged=data.get("unchanged", 0),
        rejected=[(int(line), str(reason)) for line, reason in data.get("rejected", [])],
        rejected_count=data.get("rejected_count", 0),
    )


def load_demo_indicators(path: str | Path | None = None) -> ImportReport:
    """The illustrative figures for Moorslede (data/demo); the areas must be imported."""
    if path is None:
        path = Path(current_app.root_path).parent / "data" / "demo" / DEMO_FILE
    return import_indicators(Path(path).read_bytes(), DEMO_SOURCE)


# --- figures --------------------------------------------------------------------------------


@dataclass
class Figure:
    """An indicator for an area: a share (numerator/denominator*100) when the parts are known,
    else the summed value (counts)."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    level: str = "sector"  # where it came from: sector | sub_municipality | municipality
    sectors_counted: int = 0
    sectors_missing: list[str] = field(default_factory=list)
    small_sectors: list[str] = field(default_factory=list)

    @property
    def small(self) -> bool:
        return self.denominator is not None and self.denominator < SMALL_POPULATION

    @property
    def is_share(self) -> bool:
        return self.denominator is not None


def aggregate(
    values: Iterable[IndicatorValue], level: str = "sector", expected: Iterable[str] = ()
) -> Figure | None:
    """Add figures up: numerators and denominators are summed (a share is computed from the
    sums), counts without parts are summed. Areas in ``expected`` without a figure — or,
    for a share, without its parts — are listed as missing."""
    items = list(values)
    if not items:
        return None
    share = any(item.denominator is not None for item in items)
    counted = [
        item
        for item in items
        if (item.denominator is not None if share else item.value is not None)
    ]
    if not counted:
        return None
    have = {item.area_code for item in counted}
    missing = sorted(set(expected) - have)
    small = sorted(
        item.area_code for item in counted if share and (item.denominator or 0) < SMALL_POPULATION
    )
    if share:
        numerator = sum(item.numerator or 0.0 for item in counted)
        denominator = sum(item.denominator or 0.0 for item in counted)
        value = numerator / denominator * 100 if denominator else None
        return Figure(value, numerator, denominator, level, len(counted), missing, small)
    return Figure(
        sum(item.value or 0.0 for item in counted),
        level=level,
        sectors_counted=len(counted),
        sectors_missing=missing,
    )


def _values(kind: str, codes: list[str], indicator: str, year: int) -> list[IndicatorValue]:
    if not codes:
        return []
    return list(
        db.session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.area_kind == kind,
                IndicatorValue.area_code.in_(codes),
                IndicatorValue.indicator == indicator,
                IndicatorValue.year == year,
            )
        )
    )


def _whole_sub_municipality(neighbourhood: Neighbourhood) -> SubMunicipality | None:
    sectors = neighbourhood.sectors
    subs = {sector.sub_municipality_id for sector in sectors}
    if len(subs) != 1:
        return None
    sub = sectors[0].sub_municipality
    return sub if {s.id for s in sub.sectors} == {s.id for s in sectors} else None


def neighbourhood_indicator(
    neighbourhood: Neighbourhood, indicator: str, year: int
) -> Figure | None:
    """Sum over the neighbourhood's sectors; a neighbourhood that is exactly one whole
    sub-municipality without sector figures takes the sub-municipality's figure."""
    codes = [sector.code for sector in neighbourhood.sectors]
    figure = aggregate(_values("sector", codes, indicator, year), expected=codes)
    if figure is not None:
        return figure
    sub = _whole_sub_municipality(neighbourhood)
    if sub is not None:
        return aggregate(
            _values("sub_municipality", [sub.code], indicator, year), level="sub_municipality"
        )
    return None


def municipality_indicator(municipality: Municipality, indicator: str, year: int) -> Figure | None:
    """The municipality's own figure if imported, else the sum over its sectors (or, without
    those, over its sub-municipalities)."""
    own = aggregate(
        _values("municipality", [municipality.code], indicator, year), level="municipality"
    )
    if own is not None:
        return own
    subs = municipality.sub_municipalities
    codes = [sector.code for sub in subs for sector in sub.sectors]
    figure = aggregate(_values("sector", codes, indicator, year), expected=codes)
    if figure is not None:
        return figure
    sub_codes = [sub.code for sub in subs if not sub.is_unlocatable]
    return aggregate(
        _values("sub_municipality", sub_codes, indicator, year),
        level="sub_municipality",
        expected=sub_codes,
    )


def previous_year(municipality: Municipality, indicator: str, year: int) -> int | None:
    """year-1, or the latest earlier year imported for the municipality."""
    return db.session.scalar(
        select(IndicatorValue.year)
        .where(
            IndicatorValue.municipality_id == municipality.id,
            IndicatorValue.indicator == indicator,
            IndicatorValue.year < year,
        )
        .order_by(IndicatorValue.year.desc())
        .limit(1)
    )


@dataclass
class Comparison:
    indicator: str
    year: int
    neighbourhood: Figure | None
    municipality: Figure | None
    previous_year: int | None
    previous: Figure | None

    @property
    def label(self) -> str:
        return indicator_label(self.indicator)

    @property
    def vs_municipality(self) -> float | None:
        """Difference in percentage points (neighbourhood minus municipality)."""
        return _difference(self.neighbourhood, self.municipality)

    @property
    def vs_previous(self) -> float | None:
        """Difference in percentage points (this year minus the previous year)."""
        return _difference(self.neighbourhood, self.previous)


def _difference(a: Figure | None, b: Figure | None) -> float | None:
    if a is None or b is None or a.value is None or b.value is None:
        return None
    return a.value - b.value


def compare(neighbourhood: Neighbourhood, indicator: str, year: int) -> Comparison:
    municipality = neighbourhood.municipality
    earlier = previous_year(municipality, indicator, year)
    return Comparison(
        indicator=indicator,
        year=year,
        neighbourhood=neighbourhood_indicator(neighbourhood, indicator, year),
        municipality=municipality_indicator(municipality, indicator, year),
        previous_year=earlier,
        previous=neighbourhood_indicator(neighbourhood, indicator, earlier)
        if earlier is not None
        else None,
    )


def latest_comparisons(neighbourhood: Neighbourhood) -> list[Comparison]:
    """Each indicator imported for the neighbourhood's municipality, at its latest year."""
    return [
        compare(neighbourhood, name, years[-1])
        for name, years in indicators_for(neighbourhood.municipality)
        if years
    ]


def indicators_for(municipality: Municipality) -> list[tuple[str, list[int]]]:
    """The indicators imported for the municipality, each with its years (known indicators
    first, in their usual order)."""
    years: dict[str, set[int]] = {}
    for indicator, year in db.session.execute(
        select(IndicatorValue.indicator, IndicatorValue.year)
        .where(IndicatorValue.municipality_id == municipality.id)
        .distinct()
    ):
        years.setdefault(indicator, set()).add(year)
    order = list(LABELS)
    return [
        (name, sorted(years[name]))
        for name in sorted(years, key=lambda n: (order.index(n) if n in order else len(order), n))
    ]
