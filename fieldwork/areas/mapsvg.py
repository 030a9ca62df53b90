"""A neighbourhood drawn as SVG from the sub-municipality polygons (no map library: it
works offline on a phone), with pins. x grows east, y grows south; the same linear
projection is handed to the page so that a tap can become a point again. Where tiles are
configured (MAP_TILES_URL) they lie under the outline as SVG images."""

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
MARGIN = 24.0  # around the outline, so its stroke and name are not cut at the edge
MAX_TILES = 16  # the most tiles one map fetches: the highest zoom that stays within it
MAX_ZOOM = 17


@dataclass
class Area:
    neighbourhood_id: int
    name: str
    path: str  # SVG path data
    label_x: float = 0.0  # where the name goes: a point inside the area
    label_y: float = 0.0


@dataclass(frozen=True)
class Tile:
    """One raster tile, placed in the map's own coordinates."""

    href: str
    x: float
    y: float
    width: float
    height: float


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

    @property
    def padded_view_box(self) -> str:
        """The frame with a margin; a tap maps back through the screen matrix all the same."""
        width, height = WIDTH + 2 * MARGIN, self.height + 2 * MARGIN
        return f"{-MARGIN:.0f} {-MARGIN:.0f} {width:.0f} {height:.0f}"

    @property
    def south(self) -> float:
        return self.north - self.height / self.ky

    @property
    def east(self) -> float:
        return self.west + WIDTH / self.kx

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
            inside = geometry.representative_point()
            label_x, label_y = frame.point(inside.y, inside.x)
            path = _path(frame, geometry.simplify(0.0002))
            frame.areas.append(Area(n.id, n.name, path, label_x, label_y))
            frame.shapes[n.id] = geometry
    return frame


def _tile_x(lon: float, zoom: int) -> float:
    return (lon + 180.0) / 360.0 * 2**zoom


def _tile_y(lat: float, zoom: int) -> float:
    phi = math.radians(lat)
    return (1.0 - math.asinh(math.tan(phi)) / math.pi) / 2.0 * 2**zoom


def _tile_lon(x: int, zoom: int) -> float:
    return x / 2**zoom * 360.0 - 180.0


def _tile_lat(y: int, zoom: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / 2**zoom))))


def _tile_range(frame: MapFrame, zoom: int) -> tuple[range, range]:
    xs = range(int(_tile_x(frame.west, zoom)), int(_tile_x(frame.east, zoom)) + 1)
    ys = range(int(_tile_y(frame.north, zoom)), int(_tile_y(frame.south, zoom)) + 1)
    return xs, ys


def tiles_for(frame: MapFrame, url: str) -> list[Tile]:
    """The web-mercator tiles under the frame at the most detailed zoom that needs at most
    MAX_TILES of them. Each tile is stretched between its corners in the frame's linear
    projection; over a village the difference with mercator stays under a pixel."""
    if not url:
        return []
    zoom = MAX_ZOOM
    xs, ys = _tile_range(frame, zoom)
    while zoom > 1 and len(xs) * len(ys) > MAX_TILES:
        zoom -= 1
        xs, ys = _tile_range(frame, zoom)
    tiles = []
    for ty in ys:
        for tx in xs:
            left, top = frame.point(_tile_lat(ty, zoom), _tile_lon(tx, zoom))
            right, bottom = frame.point(_tile_lat(ty + 1, zoom), _tile_lon(tx + 1, zoom))
            href = (
                url.replace("{z}", str(zoom))
                .replace("{x}", str(tx))
                .replace("{y}", str(ty))
                .replace("{s}", "abc"[(tx + ty) % 3])
                .replace("{r}", "")
            )
            tiles.append(Tile(href, left, top, right - left, bottom - top))
    return tiles
