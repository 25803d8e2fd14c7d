"""A strict RFC 7946 checker for GeoJSON exports: what QGIS, GDAL and web maps rely on.

check() returns every problem found (an empty list means the document passes):
  - a FeatureCollection of Features, each with "type", "geometry" and "properties" members (§3.2, §3.3)
  - no "crs" member anywhere (§4: WGS84 lon/lat is implied, a crs member is not allowed)
  - positions of 2 or 3 numbers, longitude in -180..180, latitude in -90..90 (§3.1.1, §4)
  - at most `max_decimals` decimals per coordinate (§11.2: precision beyond ~1 cm is noise)
  - linear rings closed with at least 4 positions; exterior rings counter-clockwise, holes clockwise
    (§3.1.6, the right-hand rule)
  - ids, when present, are strings or numbers (§3.2)
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}


def signed_area(ring: list[list[Decimal]]) -> float:
    """Shoelace formula: positive for counter-clockwise rings (x east, y north)."""
    pairs = zip(ring[:-1], ring[1:], strict=True)
    return sum(float(x1) * float(y2) - float(x2) * float(y1) for (x1, y1, *_), (x2, y2, *_) in pairs)


def check(text: str | bytes, max_decimals: int = 7) -> list[str]:
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return [f"not JSON: {exc}"]
    problems: list[str] = []
    _no_crs(doc, "$", problems)
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return problems + ["not a FeatureCollection with a features array"]
    for n, feature in enumerate(doc["features"]):
        where = f"features[{n}]"
        if feature.get("type") != "Feature":
            problems.append(f"{where}: type is {feature.get('type')!r}, not Feature")
        if "geometry" not in feature or "properties" not in feature:
            problems.append(f"{where}: a Feature needs geometry and properties members")
        if "id" in feature and not isinstance(feature["id"], (str, int, Decimal)):
            problems.append(f"{where}: id must be a string or a number")
        if feature.get("geometry") is not None:
            _geometry(feature["geometry"], where, max_decimals, problems)
    return problems


def _no_crs(node: Any, path: str, problems: list[str]) -> None:
    if isinstance(node, dict):
        if "crs" in node:
            problems.append(f"{path}: has a crs member")
        for key, value in node.items():
            if key not in ("properties", "coordinates"):
                _no_crs(value, f"{path}.{key}", problems)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            _no_crs(value, f"{path}[{n}]", problems)


def _geometry(geom: dict, where: str, max_decimals: int, problems: list[str]) -> None:
    kind = geom.get("type")
    if kind not in GEOMETRY_TYPES:
        problems.append(f"{where}: unknown geometry type {kind!r}")
        return
    if kind == "GeometryCollection":
        for n, part in enumerate(geom.get("geometries", [])):
            _geometry(part, f"{where}.geometries[{n}]", max_decimals, problems)
        return
    coords = geom.get("coordinates")
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
    for position in _positions(coords, depth[kind]):
        _position(position, where, max_decimals, problems)
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    for p, rings in enumerate(polygons):
        for r, ring in enumerate(rings):
            label = f"{where} polygon {p} ring {r}"
            if len(ring) < 4 or ring[0] != ring[-1]:
                problems.append(f"{label}: a linear ring needs at least 4 positions, the last equal to the first")
                continue
            area = signed_area(ring)
            if r == 0 and area <= 0:
                problems.append(f"{label}: exterior ring is clockwise (RFC 7946 wants counter-clockwise)")
            if r > 0 and area >= 0:
                problems.append(f"{label}: hole is counter-clockwise (RFC 7946 wants clockwise)")


def _positions(coords: Any, depth: int):
    if depth == 0:
        yield coords
    else:
        for part in coords:
            yield from _positions(part, depth - 1)


def _position(position: Any, where: str, max_decimals: int, problems: list[str]) -> None:
    if not isinstance(position, list) or len(position) not in (2, 3):
        problems.append(f"{where}: position {position!r} is not 2 or 3 numbers")
        return
    lon, lat = position[0], position[1]
    if not -180 <= lon <= 180:
        problems.append(f"{where}: longitude {lon} out of range")
    if not -90 <= lat <= 90:
        problems.append(f"{where}: latitude {lat} out of range")
    for value in position:
        if isinstance(value, Decimal) and -value.as_tuple().exponent > max_decimals:
            problems.append(f"{where}: {value} has more than {max_decimals} decimals")
