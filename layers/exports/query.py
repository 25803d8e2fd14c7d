"""An export request, parsed and checked once, and the WHERE clause every format shares.

The filters are layers.incidents.filters', as the tiles' (parse_filters: class, status, severity, source, since,
until, area) with the same parameter names and messages, so a map and a file filtered alike show the
same rows. To them exports add bbox, level, crs, personal and (CSV) geometry. Every bad value is a 400
naming the parameter; so is a parameter the layer does not take, because an analyst who mistypes a
filter must not receive an unfiltered file believing it filtered.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from django.utils import timezone

from geo.access import Access
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.scope import county_sql
from layers.exports.registry import REGISTRY, ExportLayer
from layers.figures.counts import Selection, row_conditions
from layers.incidents.filters import OPEN, Filters, effective_prefix, for_access, parse_filters

INCIDENT_PARAMS = ("class", "status", "severity", "source", "flag", "since", "until", "supervision", "department")
CRS_CHOICES = {4326: "WGS84 lon/lat", 4490: "CGCS2000 lon/lat", 3857: "Web Mercator metres"}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class Format:
    """An output format: its name in the URL, the file's extension and media type, the OGR driver."""

    id: str
    extension: str
    media_type: str
    driver: str | None = None  # None: rendered by PostgreSQL and streamed (GeoJSON, CSV)
    description: str = ""

    @property
    def streamed(self) -> bool:
        return self.driver is None


FORMATS: dict[str, Format] = {f.id: f for f in [
    Format("geojson", ".geojson", "application/geo+json", description="RFC 7946 GeoJSON, WGS84 lon/lat, streamed"),
    Format("gpkg", ".gpkg", "application/geopackage+sqlite3", "GPKG", "GeoPackage"),
    Format("shp", ".shp.zip", "application/zip", "ESRI Shapefile",
           "zipped Shapefile (field names cut to 10 characters, see the layer's columns)"),
    Format("fgb", ".fgb", "application/flatgeobuf", "FlatGeobuf", "FlatGeobuf with a spatial index"),
    Format("csv", ".csv", "text/csv; charset=utf-8",
           description="CSV (UTF-8 with BOM) with a WKT column, or lon/lat columns with geometry=lonlat; streamed"),
]}
# Other names export_layer accepts for an output file's extension (out.json, out.zip). A URL takes only what
# the catalog lists, a format's id or its extension (incidents.shp.zip): /api/export/incidents.json is a
# 400, so that no client depends on a name the catalog does not promise.
FORMAT_ALIASES = {"shp.zip": "shp", "zip": "shp", "json": "geojson", "flatgeobuf": "fgb"}
BY_EXTENSION = {f.extension.lstrip("."): f for f in FORMATS.values()}


@dataclass(frozen=True)
class Output:
    """How the rows are written: format, output CRS, and for CSV the geometry columns."""

    format: Format
    srid: int = 4326
    geometry: Literal["wkt", "lonlat"] = "wkt"


@dataclass(frozen=True)
class ExportQuery:
    """Which rows of which layer: the caller's scope already folded into `prefix`.

    `prefix` is the area-code prefix rows must start with (None: everything; False: the scope and the
    area filter do not overlap, so nothing). `period` is an OGC API `datetime` (inclusive bounds).
    """

    layer: ExportLayer
    filters: Filters = Filters()
    prefix: str | None | Literal[False] = None
    bbox: tuple[float, float, float, float] | None = None
    level: int | None = None
    period: tuple[dt.datetime | None, dt.datetime | None] | None = None
    personal: bool = False
    fid: str | int | None = None
    today: dt.date = field(default_factory=timezone.localdate)
    options: tuple[tuple[str, str], ...] = ()  # the layer's own parameters (ExportLayer.options), checked

    def option(self, name: str, default: str = "") -> str:
        return dict(self.options).get(name, default)

    def where(self, code_col: str | None, geom_col: str, fid_col: str, county_col: str | None = None) -> str:
        """Scope, bbox and single-feature conditions, each starting with AND. `county_col`: the rows are the
        incidents' (partitioned by county), and the scope also names the county it implies (geo/scope.py)."""
        parts = []
        if self.prefix is False:
            parts.append("false")
        elif self.prefix and code_col:
            parts.append(f"{code_col} LIKE %(x_prefix)s{county_sql(county_col, self.prefix) if county_col else ''}")
        if self.bbox:
            parts.append(f"ST_Intersects({geom_col}, ST_MakeEnvelope(%(x_xmin)s, %(x_ymin)s, %(x_xmax)s, %(x_ymax)s,"
                         " 4326))")
        if self.fid is not None:
            parts.append(f"{fid_col} = %(x_fid)s")
        return "".join(f" AND {p}" for p in parts)

    def incident_where(self, alias: str) -> str:
        """Class/status/severity/source and since/until exactly as the tiles apply them, plus `datetime`."""
        sql, _ = row_conditions(Selection.of(self.filters), alias)
        if self.period:
            lower, upper = self.period
            sql += f" AND {alias}.reported_at >= %(x_from)s" if lower else ""
            sql += f" AND {alias}.reported_at <= %(x_to)s" if upper else ""
        return sql

    def params(self) -> dict:
        params = {"open": list(OPEN), "x_today": self.today, "x_level": self.level,
                  "x_prefix": f"{self.prefix}%" if self.prefix else None, "x_fid": self.fid,
                  **row_conditions(Selection.of(self.filters))[1]}
        if self.bbox:
            params.update(zip(("x_xmin", "x_ymin", "x_xmax", "x_ymax"), self.bbox, strict=True))
        if self.period:
            params.update(x_from=self.period[0], x_to=self.period[1])
        return params

    def sql(self) -> tuple[str, dict]:
        """The layer's rows (fid, columns..., geom) and all their parameters."""
        sql, extra = self.layer.source(self)
        return sql, {**self.params(), **extra}


def get_layer(layer_id: str) -> ExportLayer:
    if layer_id not in REGISTRY:
        raise NotFound(f"unknown layer {layer_id!r}; available: {', '.join(REGISTRY)}")
    return REGISTRY[layer_id]


def get_format(fmt: str) -> Format:
    """A listed format, by id or by its file extension (shp.zip)."""
    found = FORMATS.get(fmt) or BY_EXTENSION.get(fmt)
    if found is None:
        raise InvalidInput(f"format: unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")
    return found


def allowed_params(layer: ExportLayer, fmt: Format) -> set[str]:
    allowed = {"area", "bbox", "crs", "personal", "token"}
    if layer.incident_filters:
        allowed |= set(INCIDENT_PARAMS)
    if layer.levels:
        allowed.add("level")
    if fmt.id == "csv":
        allowed.add("geometry")
    return allowed | {o.name for o in layer.options}


def parse_options(layer: ExportLayer, params: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The layer's own parameters, checked by the layer (a 400 naming a bad one)."""
    given = {o.name: params[o.name] for o in layer.options if params.get(o.name)}
    if layer.check_options:
        layer.check_options(given)
    return tuple(sorted(given.items()))


def parse_export(layer_id: str, fmt: str, params: Mapping[str, str], access: Access) -> tuple[ExportQuery, Output]:
    """Check every parameter of an export and fold the caller's scope in; raises a 4xx naming the problem."""
    layer = get_layer(layer_id)
    output_format = get_format(fmt)
    allowed = allowed_params(layer, output_format)
    for name in params:
        if name not in allowed:
            raise InvalidInput(f"{name}: not a parameter of the {layer.id} export; it takes "
                               f"{', '.join(sorted(allowed - {'token'}))}", field=name)
    filters = for_access(parse_filters(params), access)
    personal = parse_bool(params.get("personal"), "personal")
    if personal and not access.personal_data:
        raise Forbidden(f"personal: {access.username} may not export personal fields (names, phones); "
                        "ask an administrator for the personal-data permission", field="personal")
    query = ExportQuery(layer=layer, filters=filters, prefix=effective_prefix(access.scope, filters.area),
                        bbox=parse_bbox(params["bbox"]) if params.get("bbox") else None,
                        level=parse_level(layer, params.get("level")), personal=personal,
                        options=parse_options(layer, params))
    srid = parse_crs(params.get("crs"))
    if output_format.id == "geojson" and srid != 4326:
        raise InvalidInput(f"crs: GeoJSON is always WGS84 lon/lat (RFC 7946); crs={srid} is available for "
                           "gpkg, shp, fgb and csv", field="crs")
    geometry = params.get("geometry") or "wkt"
    if geometry not in ("wkt", "lonlat"):
        raise InvalidInput(f"geometry: {geometry!r} is not a CSV geometry; use wkt or lonlat", field="geometry")
    return query, Output(output_format, srid, geometry)


def parse_bool(raw: str | None, name: str) -> bool:
    value = (raw or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InvalidInput(f"{name}: {raw!r} is not a yes/no value; use 1 or 0", field=name)


def parse_level(layer: ExportLayer, raw: str | None) -> int | None:
    if raw is None or raw == "":
        return layer.default_level
    if not layer.levels:
        raise InvalidInput(f"level: the {layer.id} layer has no levels", field="level")
    if raw not in {str(level) for level in layer.levels}:
        choices = ", ".join(str(level) for level in layer.levels)
        raise InvalidInput(f"level: {raw!r} is not a level of the {layer.id} layer; use one of {choices} "
                           "(-1 province, 0 city, 1 county, 2 township, 3 village, 4 grid, 5 dedicated grid)",
                           field="level")
    return int(raw)


CRS_RE = re.compile(r"^(?:EPSG:)?([0-9]{4,5})$", re.IGNORECASE)


def parse_crs(raw: str | None) -> int:
    if raw is None or raw == "":
        return 4326
    match = CRS_RE.fullmatch(raw.strip())
    if not match or int(match.group(1)) not in CRS_CHOICES:
        choices = ", ".join(f"{srid} ({name})" for srid, name in CRS_CHOICES.items())
        raise InvalidInput(f"crs: {raw!r} is not an output CRS; use one of {choices}", field="crs")
    return int(match.group(1))


def parse_bbox(raw: str, *, name: str = "bbox", allow_3d: bool = False) -> tuple[float, float, float, float]:
    """minx,miny,maxx,maxy in WGS84 lon/lat (OGC API also allows 6 numbers, with heights, ignored here)."""
    parts = [p.strip() for p in raw.split(",")]
    counts = (4, 6) if allow_3d else (4,)
    shape = "minx,miny,maxx,maxy" + (" (or 6 numbers with heights)" if allow_3d else "")
    if len(parts) not in counts:
        raise InvalidInput(f"{name}: expected {shape} in lon/lat, got {len(parts)} value(s)", field=name)
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise InvalidInput(f"{name}: expected numbers {shape}, got {raw!r}", field=name) from exc
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput(f"{name}: expected finite numbers, got {raw!r}", field=name)
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise InvalidInput(f"{name}: longitude {minx}..{maxx} is out of range -180..180", field=name)
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidInput(f"{name}: latitude {miny}..{maxy} is out of range -90..90 (lon comes first)",
                           field=name)
    if minx > maxx or miny > maxy:  # equal is a line or a point: what touches it
        raise InvalidInput(f"{name}: min must not be more than max (minx {minx}, maxx {maxx}; miny {miny}, "
                           f"maxy {maxy})", field=name)
    return minx, miny, maxx, maxy


def filename(query: ExportQuery, output: Output, at: dt.datetime | None = None) -> str:
    """What and when: gridmap-<layer>[-l<level>]-<area or all>[-<since>-<until>]-<local time>.<ext>."""
    at = timezone.localtime(at or timezone.now())
    parts = ["gridmap", query.layer.id]
    if query.level and len(query.layer.levels) > 1:
        parts.append(f"l{query.level}")
    parts.append(query.prefix if query.prefix else "none" if query.prefix is False else "all")
    f = query.filters
    if f.since or f.until:
        parts.append(f"{f.since:%Y%m%d}" if f.since else "start")
        parts.append(f"{f.until:%Y%m%d}" if f.until else "now")
    if output.srid != 4326:
        parts.append(f"epsg{output.srid}")
    parts.append(f"{at:%Y%m%dT%H%M}")
    return "-".join(parts) + output.format.extension
