"""The tile layers: a declarative registry, and the SQL each layer contributes to a tile.

A tile is one SQL statement: each requested layer is a subquery producing its ST_AsMVT bytes, and
the statement concatenates them (MVT layers concatenate). Raw SQL because ST_AsMVT/ST_AsMVTGeom
and the envelope filter are not expressible in the ORM; every filter is a bound parameter.

Index use (see STYLE.md): each layer filters its geometry with `&&` against the tile envelope
widened by the buffer, in the column's own SRID (3857 for the display tables, 4326 for raw points),
and transforms only inside ST_AsMVTGeom.

Zoom → what is shown:
    z ≤ 9   county + townships          (display band 6 for z ≤ 7, band 8 for z 8-9)
    z 10-11 villages/communities        (band 10)
    z ≥ 12  basic and dedicated grids   (band 12 for z 12-13, band 14 from z 14)
Incidents are counts per area of the same level below RAW_INCIDENTS_MINZOOM, raw points from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from layers.filters import OPEN, Filters

EXTENT = 4096
BUFFER = 64
MARGIN = BUFFER / EXTENT
# From z16 (measured on 1M incidents: dense z15 tiles reach 514 KB of points, z16 stays under 150 KB).
RAW_INCIDENTS_MINZOOM = 16
MAXZOOM = 18

ENV = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
BENV_3857 = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)"
BENV_4326 = f"ST_Transform({BENV_3857}, 4326)"
CODE_LEN = {1: 6, 2: 9, 3: 12, 4: 15, 5: 16}


def area_levels(z: int) -> tuple[int, ...]:
    """The area levels drawn at zoom z."""
    if z <= 9:
        return (1, 2)
    if z <= 11:
        return (3,)
    return (4, 5)


def count_level(z: int) -> int:
    """The level incident counts and workload are aggregated to at zoom z."""
    return 2 if z <= 9 else 3 if z <= 11 else 4


def zband(z: int) -> int:
    if z <= 7:
        return 6
    if z <= 9:
        return 8
    if z <= 11:
        return 10
    return 12 if z <= 13 else 14


@dataclass(frozen=True)
class TileQuery:
    """Everything a layer needs to write its SQL for one tile."""

    z: int
    x: int
    y: int
    filters: Filters
    prefix: str | None  # area scope ∩ area filter, as a code prefix; None = everything

    def params(self) -> dict:
        return {"z": self.z, "x": self.x, "y": self.y, "margin": MARGIN, "extent": EXTENT, "buffer": BUFFER,
                "prefix": (self.prefix or "") + "%", "prefix_code": self.prefix or "", "band": zband(self.z),
                "open": list(OPEN)}


@dataclass(frozen=True)
class TileLayer:
    """A layer of the registry: what TileJSON says about it, and the SQL that draws it."""

    id: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]
    depends_on: tuple[str, ...]  # the change counters (tiles_layerversion.layer) that make its tiles stale
    sql: Callable[[TileQuery], tuple[str, dict]] = field(repr=False)
    filtered: bool = False  # takes the incident filters

    def tilejson_entry(self) -> dict:
        return {"id": self.id, "description": self.description, "minzoom": self.minzoom, "maxzoom": self.maxzoom,
                "fields": self.fields}


def _mvt(layer: str, inner: str, id_column: str | None = None) -> str:
    feature_id = f", '{id_column}'" if id_column else ""
    return (f"(SELECT coalesce(ST_AsMVT(t, '{layer}', %(extent)s, 'geom'{feature_id}), ''::bytea) "
            f"FROM ({inner}) AS t)")


def _scope(column: str, q: TileQuery) -> str:
    return f" AND {column} LIKE %(prefix)s" if q.prefix else ""


def scope_or_above(column: str, q: TileQuery) -> str:
    """Areas inside the scope, or containing it: at township zoom a grid-scoped user still sees the
    township feature, counting only their grid's incidents."""
    return f" AND ({column} LIKE %(prefix)s OR starts_with(%(prefix_code)s, {column}))" if q.prefix else ""


# ---------------------------------------------------------------------------------------------- grids

def grids_sql(q: TileQuery) -> tuple[str, dict]:
    inner = f"""
        SELECT d.area_code AS code, a.name, d.level, a.kind, a.parent_code AS parent, a.illustrative,
               ST_AsMVTGeom(d.geom, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM tiles_areadisplay d JOIN grids_area a ON a.code = d.area_code
        WHERE d.zband = %(band)s AND d.level = ANY(%(levels)s) AND d.geom && {BENV_3857}{_scope('d.area_code', q)}
    """
    return _mvt("grids", inner), {"levels": list(area_levels(q.z))}


# ---------------------------------------------------------------------------------- incident counts

def incident_conditions(f: Filters, alias: str) -> str:
    """Conditions on class/status/severity/source, shared by the rollup and the raw tables."""
    parts = []
    if f.categories:
        parts.append(f"{alias}.category = ANY(%(categories)s)")
    if f.statuses:
        parts.append(f"{alias}.status = ANY(%(statuses)s)")
    if f.severities:
        parts.append(f"{alias}.severity = ANY(%(severities)s)")
    if f.sources:
        parts.append(f"{alias}.source = ANY(%(sources)s)")
    return "".join(f" AND {p}" for p in parts)


def filter_params(f: Filters) -> dict:
    return {"categories": list(f.categories), "statuses": list(f.statuses), "severities": list(f.severities),
            "sources": list(f.sources), "since": f.since, "until_x": f.until_exclusive}


def _ceil_month(day: dt.date) -> dt.date:
    return day if day.day == 1 else (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


LOCAL = "(%({})s::date::timestamp AT TIME ZONE 'Asia/Shanghai')"


def raw_period(lower: str | None, upper: str | None) -> str:
    """reported_at between two date parameters (local days), either end open."""
    sql = f" AND i.reported_at >= {LOCAL.format(lower)}" if lower else ""
    return sql + (f" AND i.reported_at < {LOCAL.format(upper)}" if upper else "")


def counts_cte(q: TileQuery, areas_cte: str, level: int | None = None) -> tuple[str, dict]:
    """CTEs ending in `counts` (area_code, total, open, closed, on_time, overdue) for the areas in `areas`.

    The areas are of `level` (by default the one the tile's zoom counts at); exports pass the level they
    were asked for, so a workload file and a workload tile give the same numbers for the same area.

    Whole months come from tiles_incidentrollup; the days before the first and after the last whole
    month of since..until, and any filter the rollup does not carry (source), from layers_incident.
    Without a period, tiles_incidenttotal replaces the monthly rollup. Overdue is defined as in
    layers.stats: open past its due time, which changes with the clock and so is counted live from
    tiles_openincident, plus closed after its due time (closed − on_time, from the rollup).
    """
    f = q.filters
    level = level or count_level(q.z)
    params = {"level": level, "len": CODE_LEN[level], **filter_params(f)}
    cond_r = incident_conditions(f, "r")
    cond_i = incident_conditions(f, "i") + _scope("i.grid_code", q)
    raw = f"""
        SELECT left(i.grid_code, %(len)s) AS area_code, count(*) AS total,
               count(*) FILTER (WHERE i.status = ANY(%(open)s)) AS open,
               count(*) FILTER (WHERE i.status = 'closed') AS closed,
               count(*) FILTER (WHERE i.status = 'closed' AND NOT coalesce(i.closed_at > i.due_at, false)) AS on_time
        FROM layers_incident i
        WHERE left(i.grid_code, %(len)s) IN (SELECT area_code FROM areas){cond_i}"""
    since, until = ("since" if f.since else None), ("until_x" if f.until else None)
    m0 = _ceil_month(f.since) if f.since else None
    m1 = f.until_exclusive.replace(day=1) if f.until else None
    params.update(m0=m0, m1=m1)
    parts = []
    if f.sources or (m0 and m1 and m0 >= m1):
        # No source in the rollup, or no whole month in the period: count raw rows throughout.
        parts.append(raw + raw_period(since, until) + " GROUP BY 1")
    else:
        months = (" AND r.month >= %(m0)s" if m0 else "") + (" AND r.month < %(m1)s" if m1 else "")
        # Without a period, the totals (no month dimension) hold the same sums in a sixth of the rows.
        table = "tiles_incidentrollup" if (m0 or m1) else "tiles_incidenttotal"
        # A scope finer than the zoom's level (a grid at township zoom) sums that finer level's rows.
        finer = q.prefix is not None and len(q.prefix) > CODE_LEN[level]
        params["rlevel"] = next((lv for lv, n in CODE_LEN.items() if n == len(q.prefix)), 4) if finer else level
        rows = " AND r.area_code LIKE %(prefix)s" if finer else " AND r.area_code IN (SELECT area_code FROM areas)"
        parts.append(f"""
            SELECT left(r.area_code, %(len)s) AS area_code, sum(r.n) AS total,
                   sum(r.n) FILTER (WHERE r.status = ANY(%(open)s)) AS open,
                   sum(r.n) FILTER (WHERE r.status = 'closed') AS closed,
                   sum(r.n - r.n_late) FILTER (WHERE r.status = 'closed') AS on_time
            FROM {table} r
            WHERE r.level = %(rlevel)s{rows}{months}{cond_r}
            GROUP BY 1""")
        if f.since and m0 > f.since:
            parts.append(raw + raw_period("since", "m0") + " GROUP BY 1")
        if f.until and f.until_exclusive > m1:
            parts.append(raw + raw_period("m1", "until_x") + " GROUP BY 1")
    sql = f"""
        {areas_cte},
        summed AS (
            SELECT area_code, sum(total)::int AS total, coalesce(sum(open), 0)::int AS open,
                   coalesce(sum(closed), 0)::int AS closed, coalesce(sum(on_time), 0)::int AS on_time
            FROM ({' UNION ALL '.join(parts)}) AS p GROUP BY area_code
        ),
        overdue AS (
            SELECT left(i.grid_code, %(len)s) AS area_code, count(*)::int AS overdue
            FROM tiles_openincident i
            WHERE i.due_at < now()
              AND left(i.grid_code, %(len)s) IN (SELECT area_code FROM areas){cond_i}{raw_period(since, until)}
            GROUP BY 1
        ),
        counts AS (
            -- Overdue as layers.stats counts it: open past its due time (live), or closed after it.
            SELECT s.*, coalesce(o.overdue, 0) + (s.closed - s.on_time) AS overdue
            FROM summed s LEFT JOIN overdue o USING (area_code)
        )"""
    return sql, params


def displayed_areas(q: TileQuery, column: str) -> str:
    """The `areas` CTE of the count layers: the areas of the zoom's level in the tile, with their label
    point (`column` "label", incident counts) or their display outline ("geom", workload), in scope."""
    return f"""WITH areas AS (
            SELECT d.area_code, d.{column} FROM tiles_areadisplay d
            WHERE d.zband = %(band)s AND d.level = %(level)s AND d.{column} && {BENV_3857}
                  {scope_or_above('d.area_code', q)}
        )"""


def incidents_sql(q: TileQuery) -> tuple[str, dict]:
    if q.z >= RAW_INCIDENTS_MINZOOM:
        return incident_points_sql(q)
    cte, params = counts_cte(q, displayed_areas(q, "label"))
    inner = f"""{cte}
        SELECT a.area_code AS code, g.name, c.total AS count, c.open, c.overdue, c.closed, c.on_time,
               ST_AsMVTGeom(a.label, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM areas a JOIN counts c USING (area_code) JOIN grids_area g ON g.code = a.area_code
        WHERE c.total > 0"""
    return _mvt("incidents", inner), params


# A tile with more points than this sends cluster cells instead: in the demo's hotspots a z16 tile
# holds ~12,000 incidents (377 KB), points that overlap on screen anyway.
MAX_POINTS = 4000
CLUSTER_CELL = 64  # tile units: a 64 × 64 grid of cells, so at most 4,096 cluster features


def incident_points_sql(q: TileQuery) -> tuple[str, dict]:
    f = q.filters
    period = raw_period("since" if f.since else None, "until_x" if f.until else None)
    # Personal fields (reporter, parties) are never in a tile, whoever asks.
    points = f"""
        SELECT i.id, i.category AS class, i.subcategory, i.severity, i.status, i.source, i.grid_code AS grid,
               to_char(i.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS reported,
               (i.status = ANY(%(open)s) AND i.due_at < now()) OR coalesce(i.closed_at > i.due_at, false)
                   AS overdue,
               ST_AsMVTGeom(ST_Transform(i.location, 3857), {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM layers_incident i
        WHERE i.location && {BENV_4326}{_scope('i.grid_code', q)}{incident_conditions(f, 'i')}{period}"""
    sql = f"""(WITH pts AS MATERIALIZED ({points})
        SELECT CASE WHEN (SELECT count(*) FROM pts) <= %(max_points)s
            THEN (SELECT coalesce(ST_AsMVT(t, 'incidents', %(extent)s, 'geom', 'id'), ''::bytea) FROM pts t)
            ELSE (SELECT coalesce(ST_AsMVT(c, 'incidents', %(extent)s, 'geom'), ''::bytea) FROM (
                      SELECT count(*)::int AS count, count(*) FILTER (WHERE status = ANY(%(open)s))::int AS open,
                             count(*) FILTER (WHERE overdue)::int AS overdue, true AS cluster,
                             ST_SnapToGrid(ST_Centroid(ST_Collect(geom)), 1) AS geom
                      FROM pts WHERE geom IS NOT NULL
                      GROUP BY floor(ST_X(geom) / %(cell)s), floor(ST_Y(geom) / %(cell)s)) c)
        END)"""
    return sql, {**filter_params(f), "max_points": MAX_POINTS, "cell": CLUSTER_CELL}


# ----------------------------------------------------------------------------------------- workload

# The workload figures of an area, from the `counts` (c) and `workers` (w) CTEs; shared with exports.
WORKLOAD_FIELDS = """coalesce(c.total, 0) AS intake, coalesce(c.open, 0) AS open,
               coalesce(c.overdue, 0) AS overdue, coalesce(c.closed, 0) AS closed,
               coalesce(c.on_time, 0) AS on_time, coalesce(w.workers, 0) AS workers,
               CASE WHEN coalesce(w.workers, 0) > 0
                    THEN round((coalesce(c.open, 0)::numeric / w.workers), 2)::float8 END AS open_per_worker"""


def workers_cte(q: TileQuery) -> str:
    """The `workers` CTE (area_code, workers): distinct workers currently assigned inside each area of
    `areas`, counted within the scope. Follows counts_cte (it uses its %(len)s); shared with exports."""
    return f"""workers AS (
            SELECT left(s.area_code, %(len)s) AS area_code, count(DISTINCT s.worker_id)::int AS workers
            FROM grids_assignment s
            WHERE s.valid_to IS NULL AND left(s.area_code, %(len)s) IN (SELECT area_code FROM areas)
                  {_scope('s.area_code', q)}
            GROUP BY 1
        )"""


def workload_sql(q: TileQuery) -> tuple[str, dict]:
    cte, params = counts_cte(q, displayed_areas(q, "geom"))
    inner = f"""{cte},
        {workers_cte(q)}
        SELECT a.area_code AS code, g.name, {WORKLOAD_FIELDS},
               ST_AsMVTGeom(a.geom, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM areas a LEFT JOIN counts c USING (area_code) LEFT JOIN workers w USING (area_code)
        JOIN grids_area g ON g.code = a.area_code"""
    return _mvt("workload", inner), params


# ---------------------------------------------------------------------------------- buildings, places

def buildings_sql(q: TileQuery) -> tuple[str, dict]:
    inner = f"""
        SELECT b.address_code, b.name, b.use, b.floors, b.grid_code AS grid,
               ST_AsMVTGeom(ST_Transform(coalesce(b.footprint, b.location), 3857), {ENV},
                            %(extent)s, %(buffer)s, true) AS geom
        FROM layers_building b
        WHERE b.location && {BENV_4326}{_scope('b.grid_code', q)}"""
    return _mvt("buildings", inner), {}


def places_sql(q: TileQuery) -> tuple[str, dict]:
    inner = f"""
        SELECT p.code, p.kind, p.name, p.grid_code AS grid,
               ST_AsMVTGeom(ST_Transform(p.location, 3857), {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM layers_place p
        WHERE p.location && {BENV_4326}{_scope('p.grid_code', q)}"""
    return _mvt("places", inner), {}


# "overdue" is a count on area features and a true/false flag on incident points.
COUNT_FIELDS = {"code": "String", "name": "String", "open": "Number", "overdue": "Number", "closed": "Number",
                "on_time": "Number"}

REGISTRY: dict[str, TileLayer] = {layer.id: layer for layer in [
    TileLayer("grids", "Area boundaries: townships (z≤9), villages/communities (z10-11), grids (z≥12)",
              0, MAXZOOM, {"code": "String", "name": "String", "level": "Number", "kind": "String",
                           "parent": "String", "illustrative": "Boolean"}, ("grids",), grids_sql),
    TileLayer("incidents", f"Incident counts per area below z{RAW_INCIDENTS_MINZOOM}, points from it "
              f"(cluster cells with counts where a tile would hold more than {MAX_POINTS} points)",
              0, MAXZOOM, {**COUNT_FIELDS, "count": "Number", "id": "Number", "class": "String",
                           "subcategory": "String", "severity": "String", "status": "String", "source": "String",
                           "grid": "String", "reported": "String", "cluster": "Boolean"},
              ("incidents", "grids"), incidents_sql, filtered=True),
    TileLayer("workload", "Area polygons with intake, open, overdue, closed and on-time counts and workers",
              0, MAXZOOM, {**COUNT_FIELDS, "intake": "Number", "workers": "Number",
                           "open_per_worker": "Number"},
              ("incidents", "grids"), workload_sql, filtered=True),
    TileLayer("buildings", "Buildings with their unified address code (footprint or point)", 15, MAXZOOM,
              {"address_code": "String", "name": "String", "use": "String", "floors": "Number", "grid": "String"},
              ("buildings",), buildings_sql),
    # From z12: at z10 a tile over the county's centre holds ~7,500 places (483 KB measured).
    TileLayer("places", "Cameras, schools, markets, mediation rooms, service stations", 12, MAXZOOM,
              {"code": "String", "kind": "String", "name": "String", "grid": "String"}, ("places",), places_sql),
]}
