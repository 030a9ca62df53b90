"""A neighbourhood drawn as SVG from the sub-municipality polygons (no tiles, no map
library: it works offline on a phone), with pins. x grows east, y grows south; the same
linear projection is handed to the page so that a tap can become a point again."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood, Sector, SubMunicipality
from fieldwork.extensions import db

WIDTH = 1000.0


@dataclass
class Area:
    neighbourhood_id: int
    name: str
    path: str  # SVG path data


@dataclass
class MapFrame:
    """The projection: x = (lon - west) * kx, y = (north - lat) * ky."""

    west: float
    north: float
    kx: float
    ky: float
    height: float
    areas: list[Area] = field(default_factory=list)
    shapes: dict[int, BaseGeometry] = field(default_factory=dict)  # lon/lat, as stored

    @property
    def view_box(self) -> str:
        return f"0 0 {WIDTH:.0f} {self.height:.0f}"

    def point(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.west) * self.kx, (self.north - lat) * self.ky


def neighbourhood_shapes(neighbourhood_ids: list[int]) -> dict[int, BaseGeometry | None]:
    """Per neighbourhood, the union of the sub-municipality polygons its sectors lie in
    (None without any): one query, each polygon read once."""
    parts: dict[int, list[int]] = {hood: [] for hood in neighbourhood_ids}
    polygons: dict[int, BaseGeometry] = {}
    if neighbourhood_ids:
        for hood, sub_id, text in db.session.execute(
            select(Sector.neighbourhood_id, SubMunicipality.id, SubMunicipality.geometry)
            .join(SubMunicipality, Sector.sub_municipality_id == SubMunicipality.id)
            .where(
                Sector.neighbourhood_id.in_(neighbourhood_ids),
                SubMunicipality.geometry.is_not(None),
            )
            .distinct()
        ):
            if text and sub_id not in parts[hood]:
                parts[hood].append(sub_id)
                if sub_id not in polygons:
                    polygons[sub_id] = shape(json.loads(text))
    return {
        hood: unary_union([polygons[s] for s in subs]) if subs else None
        for hood, subs in parts.items()
    }


def neighbourhood_shape(neighbourhood_id: int) -> BaseGeometry | None:
    """The union of the sub-municipality polygons its sectors lie in."""
    return neighbourhood_shapes([neighbourhood_id])[neighbourhood_id]


def _path(frame: MapFrame, geometry: BaseGeometry) -> str:
    polygons = getattr(geometry, "geoms", [geometry])
    parts = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [frame.point(lat, lon) for lon, lat in ring.coords]
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points) + " Z")
    return " ".join(parts)


def map_of(neighbourhoods: list[Neighbourhood]) -> MapFrame | None:
    """The frame around these neighbourhoods, or None when none has a polygon."""
    shapes = neighbourhood_shapes([n.id for n in neighbourhoods])
    drawn = [s for s in shapes.values() if s is not None and not s.is_empty]
    if not drawn:
        return None
    west, south, east, north = unary_union(drawn).bounds
    squash = math.cos(math.radians((north + south) / 2))  # metres per degree east vs north
    kx = WIDTH / max(east - west, 1e-9)
    ky = kx / squash
    frame = MapFrame(west=west, north=north, kx=kx, ky=ky, height=(north - south) * ky)
    for n in neighbourhoods:
        geometry = shapes[n.id]
        if geometry is not None and not geometry.is_empty:
            frame.areas.append(Area(n.id, n.name, _path(frame, geometry.simplify(0.0002))))
            frame.shapes[n.id] = geometry
    return frame
