"""Parse, check and normalise geometries at the edge, before anything is stored.

Every path that accepts a geometry (API bodies, imports, admin, commands) goes through
`parse_geometry`, so the rules and the messages are the same everywhere: a geometry is refused with a
message that says what is wrong and where, never repaired silently, and never stored in another CRS.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon

from geo import crs
from geo.errors import InvalidGeometry

# China's extent, generously: used to recognise coordinates given as lat, lon instead of lon, lat.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def parse_geometry(
    value: Any,
    *,
    srid: int | None = None,
    kinds: tuple[str, ...] | None = None,
    field: str = "geometry",
) -> GEOSGeometry:
    """Turn GeoJSON (text, dict, or a Feature), WKT/EWKT or a GEOSGeometry into a valid WGS84 geometry.

    `srid` is the CRS of the input when the input does not say (GeoJSON is WGS84 by RFC 7946).
    `kinds` limits the geometry types; a Polygon is promoted to MultiPolygon when only that is wanted.
    Raises InvalidGeometry with a message that names the problem.
    """
    geom = _parse(value, srid=srid, field=field)
    source_srid = geom.srid or crs.WGS84
    if not crs.is_supported(source_srid):
        raise InvalidGeometry(
            f"{field}: unsupported CRS EPSG:{source_srid}; use {crs.describe_supported()}", field=field
        )
    if geom.empty:
        raise InvalidGeometry(f"{field}: the geometry is empty", field=field)
    if source_srid in crs.GEOGRAPHIC_SRIDS:
        check_lonlat(geom, field=field)
    if source_srid not in crs.GEOGRAPHIC_SRIDS:
        check_not_degrees(geom, source_srid, field=field)
    if source_srid != crs.WGS84:
        try:
            geom.transform(crs.WGS84)
        except (GDALException, GEOSException) as exc:
            raise InvalidGeometry(
                f"{field}: cannot transform from EPSG:{source_srid}: {exc}", field=field
            ) from exc
        check_lonlat(geom, field=field)
    if kinds:
        geom = _coerce_kind(geom, kinds, field)
    check_valid(geom, field=field)
    return geom


def _parse(value: Any, *, srid: int | None, field: str) -> GEOSGeometry:
    if isinstance(value, GEOSGeometry):
        geom = value.clone()
        if geom.srid is None:
            geom.srid = srid or crs.WGS84
        return geom
    if isinstance(value, dict):
        return _from_geojson(value, srid=srid, field=field)
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str) or not value.strip():
        raise InvalidGeometry(f"{field}: expected GeoJSON or WKT, got {type(value).__name__}", field=field)
    text = value.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidGeometry(f"{field}: not valid JSON ({exc.msg} at char {exc.pos})", field=field) from exc
        return _from_geojson(data, srid=srid, field=field)
    try:
        geom = GEOSGeometry(text)
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise InvalidGeometry(f"{field}: cannot read geometry: {_short(text)}", field=field) from exc
    if geom.srid is None:
        geom.srid = srid or crs.WGS84
    return geom


def _from_geojson(data: dict, *, srid: int | None, field: str) -> GEOSGeometry:
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    if "crs" in data:
        raise InvalidGeometry(
            f"{field}: GeoJSON 'crs' members are not accepted (RFC 7946 is always WGS84 lon/lat); "
            "send lon/lat, or pass the CRS as the srid parameter", field=field,
        )
    if not isinstance(data.get("type"), str) or "coordinates" not in data:
        raise InvalidGeometry(f"{field}: GeoJSON geometry needs 'type' and 'coordinates'", field=field)
    try:
        geom = GEOSGeometry(json.dumps(data))
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise InvalidGeometry(f"{field}: cannot read GeoJSON {data.get('type')}: {exc}", field=field) from exc
    geom.srid = srid or crs.WGS84
    return geom


def check_lonlat(geom: GEOSGeometry, *, field: str = "geometry") -> None:
    """Refuse coordinates outside lon/lat range, and say so when they look swapped.

    Gridmap serves Chinese counties, so x in China's latitudes together with y in China's longitudes
    is (almost surely) lat, lon given where lon, lat was meant.
    """
    xmin, ymin, xmax, ymax = geom.extent
    if (CHINA_LAT[0] <= xmin and xmax <= CHINA_LAT[1]) and (CHINA_LON[0] <= ymin and ymax <= CHINA_LON[1]):
        raise InvalidGeometry(
            f"{field}: coordinates look like lat, lon (x {xmin:.6f}..{xmax:.6f}, y {ymin:.6f}..{ymax:.6f}); "
            "GeoJSON, WKT and lon/lat parameters take longitude first",
            field=field,
        )
    if not (-180 <= xmin and xmax <= 180):
        raise InvalidGeometry(f"{field}: longitude {xmin:.6f}..{xmax:.6f} is out of range -180..180", field=field)
    if not (-90 <= ymin and ymax <= 90):
        raise InvalidGeometry(f"{field}: latitude {ymin:.6f}..{ymax:.6f} is out of range -90..90", field=field)


def check_not_degrees(geom: GEOSGeometry, srid: int, *, field: str = "geometry") -> None:
    """Refuse lon/lat degrees declared as a projected CRS (metres). Transformed, they would land a few
    metres from the projection's origin, off the coast of Africa or far from the zone's meridian: no
    Chinese county's data lies within 180 m of those origins, and the preview of such a boundary once
    took 4 s to answer 200 about a grid moved to the Gulf of Guinea."""
    xmin, ymin, xmax, ymax = geom.extent
    if -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90:
        raise InvalidGeometry(
            f"{field}: the coordinates (x {xmin:g}..{xmax:g}, y {ymin:g}..{ymax:g}) are degrees of longitude and "
            f"latitude, but srid says EPSG:{srid}, whose units are metres; drop srid (GeoJSON is lon/lat), or "
            f"send the coordinates in EPSG:{srid}", field="srid")


def check_valid(geom: GEOSGeometry, *, field: str = "geometry") -> None:
    """Refuse an OGC-invalid geometry, quoting GEOS's reason (e.g. 'Self-intersection[112.5 35.1]')."""
    if not geom.valid:
        raise InvalidGeometry(f"{field}: invalid geometry: {geom.valid_reason}", field=field)


def _coerce_kind(geom: GEOSGeometry, kinds: tuple[str, ...], field: str) -> GEOSGeometry:
    if geom.geom_type in kinds:
        return geom
    if geom.geom_type == "Polygon" and "MultiPolygon" in kinds:
        return MultiPolygon(geom, srid=geom.srid)
    raise InvalidGeometry(f"{field}: expected {' or '.join(kinds)}, got {geom.geom_type}", field=field)


def to_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    raise InvalidGeometry(f"expected a polygon, got {geom.geom_type}")


def point_from_lonlat(lon: Any, lat: Any, *, field: str = "location") -> Point:
    """A WGS84 point from request parameters, with the range and swap checks of parse_geometry."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise InvalidGeometry(f"{field}: lon and lat must be numbers, got {lon!r}, {lat!r}", field=field) from exc
    if x != x or y != y:  # NaN
        raise InvalidGeometry(f"{field}: lon and lat must be numbers, got NaN", field=field)
    point = Point(x, y, srid=crs.WGS84)
    check_lonlat(point, field=field)
    return point


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
