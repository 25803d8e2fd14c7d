"""The per-format SELECT around a layer's rows: PostGIS renders each row for its format.

Raw SQL for the reason given in registry.py. Times are rendered in the display zone (GRIDMAP_TIME_ZONE,
the zone the figures count days in): the writers run these statements under `SET LOCAL TIME ZONE`, so
text formats read 2026-11-22T11:10:00.123456+08:00, and file formats store true instants.

Coordinates: GeoJSON keeps 7 decimals of a degree (about 1 cm) and winds polygons by RFC 7946's
right-hand rule (exterior rings counter-clockwise, holes clockwise); WKT keeps 7 decimals of a degree
or 3 of a metre; GeoPackage, Shapefile and FlatGeobuf get WKB at full precision.
"""

from __future__ import annotations

from layers.exports.query import ExportQuery, Output
from layers.exports.registry import BOOL, DATETIME, JSON, Column

# set_config(…, true) is SET LOCAL with the zone as a bound value.
SET_ZONE = "SELECT set_config('TimeZone', %(zone)s, true)"


def _geom(query: ExportQuery, srid: int) -> str:
    return "x.geom" if srid == 4326 else f"ST_Transform(x.geom, {int(srid)})"


def _digits(srid: int) -> int:
    return 3 if srid == 3857 else 7


def feature_sql(query: ExportQuery, *, order: bool = False, limit: int | None = None,
                offset: int = 0) -> tuple[str, dict]:
    """One text column, one RFC 7946 Feature per row (properties in the registry's column order)."""
    inner, params = query.sql()
    if order or limit is not None:
        # Page the plain rows first, so that only the page's features are rendered (a deep OFFSET skips
        # rows, not JSON), in the stable order OGC API paging needs.
        inner = f"SELECT * FROM ({inner}) AS r" + (" ORDER BY r.fid" if order else "")
        inner += f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    columns = query.layer.visible_columns(query.personal)
    props = ", ".join(f"x.{c.name}" for c in columns)
    geom = "ST_ForcePolygonCCW(x.geom)" if query.layer.polygons else "x.geom"
    sql = f"""
        SELECT '{{"type":"Feature","id":' || to_json(x.fid)::text || ',"geometry":' || ST_AsGeoJSON({geom}, 7, 0)
               || ',"properties":' || row_to_json(p)::text || '}}'
        FROM ({inner}) AS x, LATERAL (SELECT {props}) AS p"""
    return sql + (" ORDER BY x.fid" if order else ""), params


def count_sql(query: ExportQuery) -> tuple[str, dict]:
    inner, params = query.sql()
    return f"SELECT count(*) FROM ({inner}) AS x", params


def _csv_value(c: Column) -> str:
    if c.kind == DATETIME:
        return f"to_json(x.{c.name}) #>> '{{}}' AS {c.name}"  # ISO 8601 with the offset, as in GeoJSON
    if c.kind in (BOOL, JSON):
        return f"x.{c.name}::text AS {c.name}"
    return f"x.{c.name}"


def csv_sql(query: ExportQuery, output: Output) -> tuple[str, dict]:
    """Columns for COPY ... CSV: the attributes, then WKT, or lon/lat (x/y in metres for 3857).

    Polygons in lon/lat mode give a point inside each polygon (ST_PointOnSurface), not a centroid
    that may fall outside.
    """
    inner, params = query.sql()
    columns = [_csv_value(c) for c in query.layer.visible_columns(query.personal)]
    geom, digits = _geom(query, output.srid), _digits(output.srid)
    if output.geometry == "lonlat":
        point = f"ST_PointOnSurface({geom})" if query.layer.polygons else geom
        x, y = ("x", "y") if output.srid == 3857 else ("lon", "lat")
        columns += [f"round(ST_X({point})::numeric, {digits})::float8 AS {x}",
                    f"round(ST_Y({point})::numeric, {digits})::float8 AS {y}"]
    else:
        columns.append(f"ST_AsText({geom}, {digits}) AS wkt")
    return f"SELECT {', '.join(columns)} FROM ({inner}) AS x", params


def _arrow_value(c: Column, shapefile: bool) -> str:
    if c.kind == DATETIME and shapefile:  # a Shapefile has dates but no times: ISO 8601 text
        return f"to_json(x.{c.name}) #>> '{{}}'"
    if c.kind == DATETIME:
        # UTC wall time, read as such whatever the session zone (Django's loader takes any time for UTC).
        return f"x.{c.name} AT TIME ZONE 'UTC'"
    if c.kind == JSON:
        return f"x.{c.name}::text"
    return f"x.{c.name}"


def arrow_sql(query: ExportQuery, output: Output) -> tuple[str, dict]:
    """The attributes in registry order, then the geometry as WKB in the output CRS."""
    inner, params = query.sql()
    shapefile = output.format.id == "shp"
    columns = [_arrow_value(c, shapefile) for c in query.layer.visible_columns(query.personal)]
    columns.append(f"ST_AsBinary({_geom(query, output.srid)})")
    return f"SELECT {', '.join(columns)} FROM ({inner}) AS x", params
