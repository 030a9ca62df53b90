"""Import municipalities from the Statbel files: idempotent upserts plus a report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood, Sector, SubMunicipality
from fieldwork.areas.resolve import forget_polygons
from fieldwork.areas.statbel import (
    UNLOCATABLE_SUFFIX,
    SectorRow,
    StatbelData,
    canonical_sub_code,
    load_statbel,
)
from fieldwork.extensions import db


class UnknownMunicipalityError(ValueError):
    pass


@dataclass
class ImportReport:
    municipality_code: str
    municipality_name: str = ""
    sectors: int = 0
    sectors_created: int = 0
    sub_municipalities: int = 0
    neighbourhoods: int = 0
    neighbourhoods_created: int = 0
    unlocatable_sector: str | None = None
    unlocatable_neighbourhood: str | None = None
    updated: int = 0
    normalised_codes: list[tuple[str, str]] = field(default_factory=list)
    csv_without_polygon: list[str] = field(default_factory=list)
    polygon_without_csv: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.sectors_created or self.neighbourhoods_created or self.updated)

    def lines(self) -> list[str]:
        out = [
            f"{self.municipality_code} {self.municipality_name}: "
            f"{self.sectors} located sectors ({self.sectors_created} new), "
            f"{self.neighbourhoods} neighbourhoods ({self.neighbourhoods_created} new), "
            f"{self.sub_municipalities} sub-municipalities",
            f"  niet te lokaliseren: sector {self.unlocatable_sector}, "
            f"bucket '{self.unlocatable_neighbourhood}'",
        ]
        out += [f"  normalised: CSV {csv} = polygon {poly}" for csv, poly in self.normalised_codes]
        if self.csv_without_polygon:
            out.append("  in the CSV, no polygon: " + ", ".join(self.csv_without_polygon))
        if self.polygon_without_csv:
            out.append("  polygon, not in the CSV: " + ", ".join(self.polygon_without_csv))
        out.append(f"  records updated: {self.updated}" if self.changed else "  no changes")
        return out


def _match_polygons(
    sub_codes: list[str], polygons: dict[str, dict]
) -> tuple[dict[str, str], list[tuple[str, str]], list[str], list[str]]:
    """Pair CSV sub-municipality codes with polygon codes: exactly, or by the safe
    normalisation; report the rest."""
    by_canonical = {canonical_sub_code(code): code for code in polygons}
    matched: dict[str, str] = {}
    normalised: list[tuple[str, str]] = []
    for code in sub_codes:
        if code in polygons:
            matched[code] = code
        elif canonical_sub_code(code) in by_canonical:
            matched[code] = by_canonical[canonical_sub_code(code)]
            normalised.append((code, matched[code]))
    missing = [c for c in sub_codes if c not in matched]
    unused = sorted(set(polygons) - set(matched.values()))
    return matched, normalised, missing, unused


def _set(obj: object, attr: str, value: object, report: ImportReport) -> None:
    if getattr(obj, attr) != value:
        setattr(obj, attr, value)
        report.updated += 1


def _unique_name(municipality: Municipality, wanted: str, code: str) -> str:
    taken = {n.name for n in municipality.neighbourhoods}
    return wanted if wanted not in taken else f"{wanted} ({code})"


def _import_one(code: str, rows: list[SectorRow], data: StatbelData) -> ImportReport:
    report = ImportReport(municipality_code=code, municipality_name=rows[0].municipality_name)
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if municipality is None:
        municipality = Municipality(
            code=code, name=rows[0].municipality_name, province_code=rows[0].province_code
        )
        db.session.add(municipality)
    else:
        _set(municipality, "name", rows[0].municipality_name, report)
        _set(municipality, "province_code", rows[0].province_code, report)

    sub_rows: dict[str, SectorRow] = {}
    for row in rows:
        sub_rows.setdefault(row.sub_code, row)
    located_codes = [c for c in sub_rows if not c.endswith(UNLOCATABLE_SUFFIX)]
    polygons = data.polygons_by_municipality.get(code, {})
    matched, report.normalised_codes, report.csv_without_polygon, report.polygon_without_csv = (
        _match_polygons(located_codes, polygons)
    )

    existing_sectors = {
        s.code: s
        for s in db.session.scalars(select(Sector).where(Sector.code.in_([r.code for r in rows])))
    }
    subs_needing_a_home = {r.sub_code for r in rows if r.code not in existing_sectors}
    existing_subs = {
        s.code: s
        for s in db.session.scalars(
            select(SubMunicipality).where(SubMunicipality.code.in_(list(sub_rows)))
        )
    }
    subs: dict[str, SubMunicipality] = {}
    for sub_code, row in sub_rows.items():
        polygon_code = matched.get(sub_code)
        geometry = (
            json.dumps(polygons[polygon_code], separators=(",", ":")) if polygon_code else None
        )
        sub = existing_subs.get(sub_code)
        if sub is None:
            sub = SubMunicipality(
                code=sub_code,
                name=row.sub_name,
                municipality=municipality,
                is_unlocatable=sub_code.endswith(UNLOCATABLE_SUFFIX),
                geometry=geometry,
                polygon_code=polygon_code,
            )
            db.session.add(sub)
        else:
            _set(sub, "name", row.sub_name, report)
            _set(sub, "geometry", geometry, report)
            _set(sub, "polygon_code", polygon_code, report)
        subs[sub_code] = sub
    db.session.flush()

    neighbourhood_for: dict[str, Neighbourhood] = {}  # only for subs with new sectors
    for sub_code, sub in subs.items():
        neighbourhood = db.session.scalar(
            select(Neighbourhood).where(Neighbourhood.origin_sub_municipality_id == sub.id)
        )
        if neighbourhood is None and sub_code in subs_needing_a_home:
            # Only for sectors that are new: a neighbourhood the coordinator deleted
            # stays deleted on re-import.
            neighbourhood = Neighbourhood(
                municipality=municipality,
                name=_unique_name(municipality, sub.name, sub_code),
                is_unlocatable=sub.is_unlocatable,
                origin_sub_municipality_id=sub.id,
            )
            db.session.add(neighbourhood)
            db.session.flush()
            report.neighbourhoods_created += 1
        if neighbourhood is not None:
            neighbourhood_for[sub_code] = neighbourhood

    for row in rows:
        sector = existing_sectors.get(row.code)
        sub = subs[row.sub_code]
        if sector is None:
            # A new sector joins its sub-municipality's neighbourhood; existing sectors keep
            # the neighbourhood the coordinator put them in.
            db.session.add(
                Sector(
                    code=row.code,
                    name=row.name,
                    sub_municipality=sub,
                    neighbourhood=neighbourhood_for[row.sub_code],
                )
            )
            report.sectors_created += 1
        else:
            _set(sector, "name", row.name, report)
            if sector.sub_municipality_id != sub.id:
                sector.sub_municipality = sub
                report.updated += 1
        if sub.is_unlocatable:
            report.unlocatable_sector = row.code
    db.session.flush()

    report.sectors = sum(1 for r in rows if not r.sub_code.endswith(UNLOCATABLE_SUFFIX))
    report.sub_municipalities = len(located_codes)
    neighbourhoods = db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.municipality_id == municipality.id)
    ).all()
    report.neighbourhoods = sum(1 for n in neighbourhoods if not n.is_unlocatable)
    bucket = next((n for n in neighbourhoods if n.is_unlocatable), None)
    report.unlocatable_neighbourhood = bucket.name if bucket else None
    return report


def import_municipalities(codes: list[str], data_dir: str | Path) -> list[ImportReport]:
    """Upsert the given municipalities. Checks every code before writing anything."""
    data = load_statbel(data_dir)
    codes = [c.strip() for c in codes]
    unknown = [c for c in codes if c not in data.sectors_by_municipality]
    if unknown:
        raise UnknownMunicipalityError(
            "Unknown municipality code(s): "
            + ", ".join(unknown)
            + " (expected a NIS5 code from the Statbel file, e.g. 36012 for Moorslede)."
        )
    reports = [
        _import_one(code, data.sectors_by_municipality[code], data) for code in dict.fromkeys(codes)
    ]
    if any(report.changed for report in reports):
        forget_polygons()
    return reports
