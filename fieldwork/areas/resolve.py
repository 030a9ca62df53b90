"""Resolve an address to sector / sub-municipality / neighbourhood.

Order: (1) an explicit sector code, (2) a point inside a sub-municipality polygon,
(3) the street table. What cannot be resolved inside a known municipality goes to its
'niet te lokaliseren' bucket and onto the coordinator's fix-up list."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from shapely import STRtree
from shapely.geometry import Point, shape
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from fieldwork.areas.models import (
    AddressFixup,
    Municipality,
    Neighbourhood,
    Sector,
    Street,
    SubMunicipality,
)
from fieldwork.areas.streets import street_key
from fieldwork.extensions import db


@dataclass(frozen=True)
class Resolution:
    municipality: Municipality
    sub_municipality: SubMunicipality
    neighbourhood: Neighbourhood
    sector: Sector | None
    resolved_by: str  # statsec | point | street | unlocatable
    fixup: AddressFixup | None = None
    ambiguous: bool = False  # a point in a sub-municipality split over neighbourhoods

    @property
    def flagged(self) -> bool:
        """True when the coordinator should look: the bucket, a fix-up, or a guess."""
        return self.fixup is not None or self.ambiguous or self.neighbourhood.is_unlocatable

    def as_dict(self) -> dict[str, Any]:
        return {
            "gemeente": self.municipality.code,
            "deelgemeente": self.sub_municipality.code,
            "statsec": self.sector.code if self.sector else None,
            "neighbourhood": {"id": self.neighbourhood.id, "name": self.neighbourhood.name},
            "resolved_by": self.resolved_by,
            "flagged": self.flagged,
        }


def normalise_statsec(code: str) -> str:
    return code.strip().upper()


def _from_sector(sector: Sector, resolved_by: str) -> Resolution:
    sub = sector.sub_municipality
    return Resolution(sub.municipality, sub, sector.neighbourhood, sector, resolved_by)


def _sector_with_areas() -> Select[Sector]:
    """A sector with its sub-municipality, municipality and neighbourhood, in one query."""
    return select(Sector).options(
        joinedload(Sector.sub_municipality).joinedload(SubMunicipality.municipality),
        joinedload(Sector.neighbourhood),
    )


def resolve_statsec(code: str) -> Resolution | None:
    sector = db.session.scalar(_sector_with_areas().where(Sector.code == normalise_statsec(code)))
    return _from_sector(sector, "statsec") if sector else None


class _PolygonIndex:
    def __init__(self, rows: list[tuple[int, str]]) -> None:
        self.ids = [row_id for row_id, _ in rows]
        self.geometries = [shape(json.loads(geometry)) for _, geometry in rows]
        self.tree = STRtree(self.geometries)

    def find(self, lon: float, lat: float) -> int | None:
        point = Point(lon, lat)
        hits = sorted(int(i) for i in self.tree.query(point, predicate="intersects"))
        return self.ids[hits[0]] if hits else None


POLYGON_RECHECK_SECONDS = 60.0


def forget_polygons() -> None:
    """Drop this process's polygon index (the importer calls it after a change)."""
    current_app.extensions.pop("fieldwork_polygons", None)


def _polygon_index() -> _PolygonIndex:
    """Built once per process. Polygons change only on import: this process's importer drops
    the index, other processes notice the change within a minute — without a version query on
    every lookup."""
    cache = current_app.extensions.setdefault("fieldwork_polygons", {})
    if "index" in cache and time.monotonic() - cache["checked"] < POLYGON_RECHECK_SECONDS:
        return cache["index"]
    version = db.session.execute(
        select(
            func.count(SubMunicipality.id),
            func.max(SubMunicipality.id),
            func.sum(func.length(SubMunicipality.geometry)),
        ).where(SubMunicipality.geometry.is_not(None))
    ).one()
    key = tuple(version)
    cache["checked"] = time.monotonic()
    if cache.get("key") != key:
        rows = db.session.execute(
            select(SubMunicipality.id, SubMunicipality.geometry)
            .where(SubMunicipality.geometry.is_not(None))
            .order_by(SubMunicipality.code)
        ).all()
        cache["key"], cache["index"] = (
            key,
            _PolygonIndex([(r[0], r[1]) for r in rows if r[1] is not None]),
        )
    return cache["index"]


def neighbourhood_for_sub(sub: SubMunicipality) -> tuple[Neighbourhood, bool]:
    """The neighbourhood holding most of this sub-municipality's sectors (a point has no
    sector, and the coordinator may have regrouped them), and whether that is a guess."""
    rows = db.session.execute(
        select(Sector.neighbourhood_id, func.count())
        .where(Sector.sub_municipality_id == sub.id)
        .group_by(Sector.neighbourhood_id)
        .order_by(func.count().desc(), Sector.neighbourhood_id)
    ).all()
    if rows:
        return db.session.get_one(Neighbourhood, rows[0][0]), len(rows) > 1
    return db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.origin_sub_municipality_id == sub.id)
    ).one(), False


def resolve_point(lat: float, lon: float) -> Resolution | None:
    sub_id = _polygon_index().find(lon, lat)
    if sub_id is None:
        return None
    sub = db.session.get_one(SubMunicipality, sub_id)
    neighbourhood, ambiguous = neighbourhood_for_sub(sub)
    return Resolution(sub.municipality, sub, neighbourhood, None, "point", ambiguous=ambiguous)


def resolve_village(code: str) -> Resolution | None:
    """Only the village (deelgemeente) is known — "I don't know the exact number": its
    neighbourhood, flagged as a guess when the village is split over several."""
    sub = db.session.scalar(
        select(SubMunicipality).where(
            SubMunicipality.code == code.strip().upper(), SubMunicipality.is_unlocatable.is_(False)
        )
    )
    if sub is None:
        return None
    neighbourhood, ambiguous = neighbourhood_for_sub(sub)
    return Resolution(sub.municipality, sub, neighbourhood, None, "village", ambiguous=ambiguous)


def resolve_street(street: str, postcode: str) -> Resolution | None:
    sector = db.session.scalar(
        _sector_with_areas()
        .join(Street, Street.sector_id == Sector.id)
        .where(Street.street_key == street_key(street), Street.postcode == postcode.strip())
    )
    return _from_sector(sector, "street") if sector else None


def municipality_for_postcode(postcode: str) -> Municipality | None:
    """Known from the street table: the municipality most of that postcode's streets are in."""
    row = db.session.execute(
        select(SubMunicipality.municipality_id, func.count())
        .join(Sector, Sector.sub_municipality_id == SubMunicipality.id)
        .join(Street, Street.sector_id == Sector.id)
        .where(Street.postcode == postcode.strip())
        .group_by(SubMunicipality.municipality_id)
        .order_by(func.count().desc())
    ).first()
    return db.session.get(Municipality, row[0]) if row else None


def unlocatable_bucket(municipality: Municipality) -> Resolution:
    neighbourhood = db.session.scalars(
        select(Neighbourhood).where(
            Neighbourhood.municipality_id == municipality.id, Neighbourhood.is_unlocatable.is_(True)
        )
    ).one()
    sector = neighbourhood.sectors[0] if neighbourhood.sectors else None
    sub = (
        sector.sub_municipality
        if sector
        else db.session.scalars(
            select(SubMunicipality).where(
                SubMunicipality.municipality_id == municipality.id,
                SubMunicipality.is_unlocatable.is_(True),
            )
        ).one()
    )
    return Resolution(municipality, sub, neighbourhood, sector, "unlocatable")


def resolve(
    *,
    statsec: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    street: str | None = None,
    postcode: str | None = None,
) -> Resolution | None:
    """First method that succeeds, in the order of product.md; None when none does."""
    if statsec and (found := resolve_statsec(statsec)):
        return found
    if lat is not None and lon is not None and (found := resolve_point(lat, lon)):
        return found
    if street and postcode and (found := resolve_street(street, postcode)):
        return found
    return None


def resolve_address(
    municipality: Municipality,
    *,
    statsec: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    street: str | None = None,
    house_number: str | None = None,
    postcode: str | None = None,
    source_type: str | None = None,
    source_id: object = None,
) -> Resolution:
    """Resolve an address known to lie in ``municipality``. Never fails: an address that does
    not resolve there lands in the bucket and on the fix-up list."""
    found = resolve(statsec=statsec, lat=lat, lon=lon, street=street, postcode=postcode)
    return place_in_municipality(
        municipality,
        found,
        statsec=statsec,
        lat=lat,
        lon=lon,
        street=street,
        house_number=house_number,
        postcode=postcode,
        source_type=source_type,
        source_id=source_id,
    )


def place_in_municipality(
    municipality: Municipality,
    found: Resolution | None,
    *,
    statsec: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    street: str | None = None,
    house_number: str | None = None,
    postcode: str | None = None,
    source_type: str | None = None,
    source_id: object = None,
) -> Resolution:
    """``found`` (what :func:`resolve` gave) if it is a sure place in ``municipality``;
    otherwise a fix-up, with the majority guess or the bucket."""
    inside = found if found is not None and found.municipality.id == municipality.id else None
    if inside is not None and not inside.ambiguous:
        return inside
    if inside is not None:
        reason = "point in a sub-municipality split over neighbourhoods: check the guess"
    elif found is not None:
        reason = "resolved outside this municipality"
    else:
        reason = "no sector, point or street match"
    fixup = AddressFixup(
        municipality=municipality,
        street=street,
        house_number=house_number,
        postcode=postcode,
        statsec=statsec,
        lat=lat,
        lon=lon,
        reason=reason,
        source_type=source_type,
        source_id=None if source_id is None else str(source_id),
    )
    db.session.add(fixup)
    db.session.flush()
    if inside is not None:  # keep the majority guess, but on the coordinator's list
        return Resolution(
            inside.municipality,
            inside.sub_municipality,
            inside.neighbourhood,
            None,
            inside.resolved_by,
            fixup,
            ambiguous=True,
        )
    bucket = unlocatable_bucket(municipality)
    return Resolution(
        bucket.municipality,
        bucket.sub_municipality,
        bucket.neighbourhood,
        bucket.sector,
        "unlocatable",
        fixup,
    )
