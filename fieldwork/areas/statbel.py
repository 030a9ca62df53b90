"""Read the Statbel reference files (data/statbel) and cope with their real quirks."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

CSV_NAME = "statsec_deelgemeente_gemeente_2024.csv"
GEOJSON_NAME = "deelgemeenten_vlaanderen_brussel.geojson"
UNLOCATABLE_SUFFIX = "ONBE"


@dataclass(frozen=True)
class SectorRow:
    code: str
    name: str
    sub_code: str
    sub_name: str
    municipality_code: str
    municipality_name: str
    province_code: str | None


@dataclass
class StatbelData:
    sectors_by_municipality: dict[str, list[SectorRow]] = field(default_factory=dict)
    polygons_by_municipality: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def decode_line(raw: bytes) -> str:
    """UTF-8 where valid, else cp1252 (the file has mis-encoded Walloon names)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def canonical_sub_code(code: str) -> str:
    """``11002-Y`` (CSV) and ``11002Y`` (polygons) are the same sub-municipality."""
    stripped = code.replace("-", "")
    return stripped if len(stripped) == 6 else code


def _read_csv(path: Path) -> dict[str, list[SectorRow]]:
    lines = [decode_line(raw) for raw in path.read_bytes().splitlines()]
    reader = csv.DictReader(lines, delimiter=";")
    grouped: dict[str, list[SectorRow]] = defaultdict(list)
    for row in reader:
        code = (row.get("statsec") or "").strip()
        if not code:
            continue
        grouped[row["gemeente"].strip()].append(
            SectorRow(
                code=code,
                name=(row.get("statsec_naam") or "").strip(),
                sub_code=row["deelgemeente"].strip(),
                sub_name=(row.get("deelgemeente_naam") or "").strip(),
                municipality_code=row["gemeente"].strip(),
                municipality_name=(row.get("gemeente_naam") or "").strip(),
                province_code=(row.get("provincie") or "").strip() or None,
            )
        )
    return dict(grouped)


def _read_geojson(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    data = json.loads(path.read_bytes().decode("utf-8", errors="replace"))
    grouped: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for feature in data.get("features", []):
        props = feature.get("properties") or {}
        code, municipality = props.get("deelgemeente"), props.get("gemeente")
        if code and municipality and feature.get("geometry"):
            grouped[str(municipality)][str(code)] = feature["geometry"]
    return dict(grouped)


@lru_cache(maxsize=4)
def _load_cached(directory: str, csv_mtime: float, geo_mtime: float) -> StatbelData:
    base = Path(directory)
    return StatbelData(
        sectors_by_municipality=_read_csv(base / CSV_NAME),
        polygons_by_municipality=_read_geojson(base / GEOJSON_NAME),
    )


def load_statbel(directory: str | Path) -> StatbelData:
    """Both files, parsed once per process (re-read when they change on disk)."""
    base = Path(directory)
    return _load_cached(
        str(base), (base / CSV_NAME).stat().st_mtime, (base / GEOJSON_NAME).stat().st_mtime
    )
