"""The tile layers: a declarative registry, and the SQL each layer contributes to a tile.

A tile is one SQL statement: each requested layer is a subquery producing its ST_AsMVT bytes, and
the statement concatenates them (MVT layers concatenate). Raw SQL because ST_AsMVT/ST_AsMVTGeom
and the envelope filter are not expressible in the ORM; every filter is a bound parameter.

Index use (see STYLE.md): each layer filters its geometry with `&&` against the tile envelope
widened by the buffer, in the column's own SRID (3857 for the display tables, 4326 for raw points),
and transforms only inside ST_AsMVTGeom.

Zoom → what is shown:
    z ≤ 5   province, cities, counties  (band 6); counts per county: a province's hundred counties
            are a few hundred rollup rows, where its townships would be thousands
    z 6-9   county + townships          (display band 6 for z ≤ 7, band 8 for z 8-9); counted per county
            to z7 (a city's zooms: a z6 tile holds a province's townships, 131 at bench/province's ten
            counties, each ~40 rollup rows, ~100 ms; its counties are ten), per township from z8
    z 10-11 villages/communities        (band 10)
    z ≥ 12  basic and dedicated grids   (band 12 for z 12-13, band 14 from z 14)
Incidents are counts per area of the same level below RAW_INCIDENTS_MINZOOM, raw points from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from field import tiles as field_tiles
from geo.scope import incident_scope
from layers.figures.counts import Selection, counts_sql, flag_sql, row_conditions
from layers.figures.workload import WORKLOAD_FIELDS, scope_or_above, workers_cte
from layers.incidents.filters import OPEN, Filters
from tiles.points import key_ranges, tile_range

EXTENT = 4096
BUFFER = 64
MARGIN = BUFFER / EXTENT
# From z16 (measured on 1M incidents: dense z15 tiles reach 514 KB of points, z16 stays under 150 KB).
RAW_INCIDENTS_MINZOOM = 16
MAXZOOM = 18

ENV = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
BENV_3857 = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)"
BENV_4326 = f"ST_Transform({BENV_3857}, 4326)"
CODE_LEN = {-1: 2, 0: 4, 1: 6, 2: 9, 3: 12, 4: 15, 5: 16}
# The highest zoom showing a province with its cities and counties (a province spans z5-6 tiles).
PROVINCE_MAXZOOM = 5
# The highest zoom whose figures are counted per county (a city spans a z6-7 tile); townships from the next.
CITY_MAXZOOM = 7


def area_levels(z: int) -> tuple[int, ...]:
    """The area levels drawn at zoom z."""
    if z <= PROVINCE_MAXZOOM:
        return (-1, 0, 1)
    if z <= 9:
        return (1, 2)
    if z <= 11:
        return (3,)
    return (4, 5)


def count_level(z: int) -> int:
    """The level incident counts, workload and the other choropleths are aggregated to at zoom z."""
    if z <= CITY_MAXZOOM:
        return 1
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
    # The ids of the layers the tile's statement holds (the count layers share one `counts` when both are).
    layers: tuple[str, ...] = ()
    # The counties of the areas the count layers draw, when the prefix names none (tile_counties): the
    # incidents' rows are read from their partitions only. None: the prefix's.
    counties: tuple[str, ...] | None = None

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
    personal: bool = False  # personal data (patrol tracks): the personal-data right only, never public, audited
    # The grid workers' patrols (coverage, tracks): not for department accounts (a 403), as /api/coverage and
    # the dashboards' coverage panel (docs/desk.md: a department sees its matters).
    departments: bool = True
    # What a layer without the incident filters reads besides `area` (the catalog lists it).
    params: tuple[str, ...] = ("area",)
    # CTEs the layer's SQL reads, shared by every layer of the tile that names them (service.build writes
    # each once, in a WITH before the layers): {name: definition} and their parameters.
    shared: Callable[[TileQuery], tuple[dict[str, str], dict]] | None = field(default=None, repr=False)

    def tilejson_entry(self) -> dict:
        return {"id": self.id, "description": self.description, "minzoom": self.minzoom, "maxzoom": self.maxzoom,
                "fields": self.fields}


def _mvt(layer: str, inner: str, id_column: str | None = None) -> str:
    feature_id = f", '{id_column}'" if id_column else ""
    return (f"(SELECT coalesce(ST_AsMVT(t, '{layer}', %(extent)s, 'geom'{feature_id}), ''::bytea) "
            f"FROM ({inner}) AS t)")


def _scope(column: str, q: TileQuery) -> str:
    return f" AND {column} LIKE %(prefix)s" if q.prefix else ""


def _incident_scope(alias: str, q: TileQuery) -> str:
    """The scope on the incidents' rows: the prefix and the county it implies, so that a county's tile reads
    only its county's partition (geo/scope.py)."""
    return f" AND {incident_scope(alias, 'prefix', q.prefix)}" if q.prefix else ""


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

def selection(q: TileQuery) -> Selection:
    """The incidents a tile counts: its filters inside the caller's scope (∩ the area filter)."""
    return Selection.of(q.filters, q.prefix)


# The count layers (incidents below RAW_INCIDENTS_MINZOOM, workload) draw the areas of the zoom's count level
# in the tile with the figures of counts_sql. Both in one tile (the map's default) share one `tile_areas` and
# one `counts`: each figure is counted once per tile, not once per layer (PostgreSQL materializes a CTE
# read twice).
COUNT_LAYERS = ("incidents", "workload")


def counted(q: TileQuery) -> bool:
    """Whether the tile holds a layer drawn from counts_sql."""
    return (q.z < RAW_INCIDENTS_MINZOOM and "incidents" in q.layers) or "workload" in q.layers


def _area_column(q: TileQuery) -> str:
    """What places an area in the tile: its outline for the workload polygons, its label point when the tile
    draws the incident counts alone (an area whose outline only grazes the tile has no count to draw)."""
    return "geom" if "workload" in q.layers or not q.layers else "label"


def tile_areas_where(q: TileQuery) -> str:
    """The areas of the count level in the tile, in scope (a grid-scoped user still sees the township's row
    at township zoom, counting only their grid's incidents): the `tile_areas` CTE's condition, and
    tile_counties'."""
    return (f"d.zband = %(band)s AND d.level = %(level)s AND d.{_area_column(q)} && {BENV_3857}"
            f"{scope_or_above('d.area_code', q.prefix)}")


def tile_counties(q: TileQuery, cursor) -> tuple[str, ...] | None:
    """The counties of the areas a count layer draws in the tile (their codes' first six digits), read with
    the `tile_areas` condition itself, so no county with an area drawn is ever left out; None when the
    prefix names the county already or the tile counts nothing. The counts' statement names them as
    literals on the incidents' partition key (counts_sql's `counties`): without it a province-zoom tile's
    correction for matters closed after the moment taken planned and probed every county's partition (11
    partitions × 18 indexes at bench/province's ten counties, ~2-3 ms of planning per count layer)."""
    if not counted(q) or (q.prefix and len(q.prefix) >= 6):
        return None
    level = count_level(q.z)
    cursor.execute(f"SELECT DISTINCT left(d.area_code, 6) FROM tiles_areadisplay d WHERE {tile_areas_where(q)}",
                   {**q.params(), "level": level, "f_prefix": (q.prefix or "") + "%", "f_prefix_code": q.prefix or ""})
    return tuple(sorted(code for (code,) in cursor.fetchall()))


def count_ctes(q: TileQuery) -> tuple[dict[str, str], dict]:
    """The count layers' shared CTEs: `tile_areas` (area_code, label, geom) and counts_sql's (ending in
    `counts`), and their parameters."""
    level = count_level(q.z)
    cte, params = counts_sql(selection(q), level, areas="tile_areas", counties=q.counties)
    areas = f"""tile_areas AS (
            SELECT d.area_code, d.label, d.geom FROM tiles_areadisplay d WHERE {tile_areas_where(q)}
        )"""
    return {"tile_areas": areas, "counts": cte}, {**params, "level": level, "len": CODE_LEN[level]}


def incident_ctes(q: TileQuery) -> tuple[dict[str, str], dict]:
    """The incidents layer's shared CTEs: the counts below RAW_INCIDENTS_MINZOOM, none for its points."""
    return count_ctes(q) if q.z < RAW_INCIDENTS_MINZOOM else ({}, {})


def incidents_sql(q: TileQuery) -> tuple[str, dict]:
    if q.z >= RAW_INCIDENTS_MINZOOM:
        return incident_points_sql(q)
    inner = f"""
        SELECT a.area_code AS code, g.name, c.intake AS count, c.open, c.overdue, c.closed, c.on_time,
               c.accept_overdue, c.due_soon,
               ST_AsMVTGeom(a.label, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM tile_areas a JOIN counts c USING (area_code) JOIN grids_area g ON g.code = a.area_code
        WHERE c.intake > 0 AND a.label && {BENV_3857}"""
    return _mvt("incidents", inner), {}


# A tile with more points than this sends cluster cells instead: in the demo's hotspots a z16 tile
# holds ~12,000 incidents (377 KB), points that overlap on screen anyway.
MAX_POINTS = 4000
CLUSTER_CELL = 64  # tile units: a 64 × 64 grid of cells, so at most 4,096 cluster features


def incident_points_sql(q: TileQuery) -> tuple[str, dict]:
    """The raw points of a tile (z ≥ RAW_INCIDENTS_MINZOOM) and its buffer, or its cluster cells when the
    tile itself (the buffer aside) holds more than MAX_POINTS.

    The points are read index-only from incident_tile_points (tiles/points.py: the tile and its buffer as
    ranges of a Z-order key; every column used here and by the filters is in the index), in curve order,
    so a dense tile reads neighbouring leaf pages instead of one heap page per point. Positions are the
    point's EPSG:3857 coordinates (index keys too) put into tile units by ST_AsMVTGeom's own arithmetic
    (x·fx − xmin·fx, y·fy − ymax·fy with fy < 0, rounded half to even as its snap to the grid), and kept
    within the buffer as its clip keeps them: tests/tiles/test_points.py holds the two equal, at the tile
    edges too. No per-point geometry is built before the last step, and none for a dense tile's points.
    """
    conditions, params = row_conditions(selection(q))
    los, his = key_ranges(q.z, q.x, q.y, EXTENT, BUFFER)
    # Personal fields (reporter, parties) are never in a tile, whoever asks.
    frame = f"""SELECT ST_XMin(e) AS x0, ST_YMax(e) AS y1, %(extent)s / (ST_XMax(e) - ST_XMin(e)) AS fx,
                       -(%(extent)s / (ST_YMax(e) - ST_YMin(e))) AS fy FROM {ENV} AS e"""

    def points(columns: str) -> str:
        """The tile's points with `columns` and their tile units px, py, clipped to the buffer. The ranges
        drive the join (LATERAL … OFFSET 0: one index range scan each; left to itself the planner scans the
        whole index, misjudging the clip as very selective)."""
        return f"""
            SELECT i.*, round(i.mx * f.fx + (-f.x0 * f.fx)) AS px, round(i.my * f.fy + (-f.y1 * f.fy)) AS py
            FROM ({frame}) AS f
            CROSS JOIN unnest(%(key_lo)s::bigint[], %(key_hi)s::bigint[]) AS r(lo, hi)
            CROSS JOIN LATERAL (
                SELECT {columns}ST_X(ST_Transform(i.location, 3857)) AS mx, ST_Y(ST_Transform(i.location, 3857)) AS my
                FROM layers_incident i
                WHERE tiles_point_key(i.location) >= r.lo AND tiles_point_key(i.location) < r.hi
                      {_incident_scope('i', q)}{conditions}
                OFFSET 0) AS i
            WHERE round(i.mx * f.fx + (-f.x0 * f.fx)) BETWEEN -%(buffer)s AND %(extent)s + %(buffer)s
              AND round(i.my * f.fy + (-f.y1 * f.fy)) BETWEEN -%(buffer)s AND %(extent)s + %(buffer)s"""

    flags = {flag: flag_sql(flag, "p").replace("%(f_at)s", "now()") for flag in ("accept_overdue", "due_soon")}
    # Each use reads the index itself. The cap counts the points inside the tile proper, one key range
    # read index-only with no arithmetic, and only up to MAX_POINTS + 1; a dense tile's cells are then
    # aggregated as its points are read, from the five columns they count, never held all in memory.
    tile_lo, tile_hi = tile_range(q.z, q.x, q.y)
    count = f"""
        SELECT count(*) FROM (
            SELECT FROM layers_incident i
            WHERE tiles_point_key(i.location) >= %(tile_lo)s AND tiles_point_key(i.location) < %(tile_hi)s
                  {_incident_scope('i', q)}{conditions}
            LIMIT %(max_points)s + 1) AS n"""
    sql = f"""(SELECT CASE
        WHEN ({count}) <= %(max_points)s
            THEN (SELECT coalesce(ST_AsMVT(t, 'incidents', %(extent)s, 'geom', 'id'), ''::bytea) FROM (
                      SELECT p.id, p.category AS class, p.subcategory, p.severity, p.status, p.source,
                             p.grid_code AS grid, to_char(figures_day(p.reported_at), 'YYYY-MM-DD') AS reported,
                             coalesce(figures_overdue(p.closed_at, p.due_at, now()), false) AS overdue,
                             coalesce({flags["accept_overdue"]}, false) AS accept_overdue,
                             coalesce({flags["due_soon"]}, false) AS due_soon,
                             ST_MakePoint(p.px, p.py) AS geom
                      FROM ({points("i.id, i.category, i.subcategory, i.severity, i.status, i.source, "
                                    "i.grid_code, i.reported_at, i.accepted_at, i.accept_due_at, i.closed_at, "
                                    "i.due_at, ")}) AS p) t)
            ELSE (SELECT coalesce(ST_AsMVT(c, 'incidents', %(extent)s, 'geom'), ''::bytea) FROM (
                      SELECT count(*)::int AS count, count(*) FILTER (WHERE p.status = ANY(%(open)s))::int AS open,
                             count(*) FILTER (WHERE figures_overdue(p.closed_at, p.due_at, now()))::int AS overdue,
                             count(*) FILTER (WHERE {flags["accept_overdue"]})::int AS accept_overdue,
                             count(*) FILTER (WHERE {flags["due_soon"]})::int AS due_soon, true AS cluster,
                             ST_MakePoint(round(avg(p.px)), round(avg(p.py))) AS geom
                      FROM ({points("i.status, i.accepted_at, i.accept_due_at, i.closed_at, i.due_at, ")}) AS p
                      GROUP BY floor(p.px / %(cell)s), floor(p.py / %(cell)s)) c)
        END)"""
    return sql, {**params, "max_points": MAX_POINTS, "cell": CLUSTER_CELL, "key_lo": los, "key_hi": his,
                 "tile_lo": tile_lo, "tile_hi": tile_hi}


# ----------------------------------------------------------------------------------------- workload

def workload_sql(q: TileQuery) -> tuple[str, dict]:
    inner = f"""WITH {workers_cte("tile_areas")}
        SELECT a.area_code AS code, g.name, {WORKLOAD_FIELDS},
               ST_AsMVTGeom(a.geom, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM tile_areas a LEFT JOIN counts c USING (area_code) LEFT JOIN workers w USING (area_code)
        JOIN grids_area g ON g.code = a.area_code"""
    return _mvt("workload", inner), {}


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


# ------------------------------------------------------------------------------------- safety index

SAFETY_INDEX_MAXZOOM = 11  # townships to z9, villages z10-11 (their display outlines); the index has no grids


def safety_index_month(q: TileQuery):
    """The month a choropleth tile shows: the month of `until` (its last day), else of `since`, else this
    month (the index is monthly; docs/analysis.md)."""
    import datetime as dt

    from django.utils import timezone

    day = q.filters.until or q.filters.since or timezone.localdate()
    return dt.date(day.year, day.month, 1)


def safety_index_sql(q: TileQuery) -> tuple[str, dict]:
    """The safety index's choropleth: counties (z ≤ 7), townships (z 8-9) and villages (z 10-11) inside the
    caller's scope,
    each with its score and band for the month (analysis.index, computed once per month and process)."""
    from analysis.index import month_map

    level = count_level(q.z)
    # The index counts every matter of a unit: a selection narrowed to a department's matters (a department
    # account, or ?department=) has none to show.
    scores = {} if q.filters.department else {
        code: v for code, v in month_map(q.prefix or "", safety_index_month(q)).items()
        if len(code) == CODE_LEN[level]}
    inner = f"""
        SELECT d.area_code AS code, g.name, s.score, s.band, %(month)s AS month,
               ST_AsMVTGeom(d.geom, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM tiles_areadisplay d JOIN grids_area g ON g.code = d.area_code
        JOIN unnest(%(codes)s::text[], %(scores)s::float8[], %(bands)s::text[]) AS s(code, score, band)
          ON s.code = d.area_code
        WHERE d.zband = %(band)s AND d.level = %(level)s AND d.geom && {BENV_3857}{_scope('d.area_code', q)}"""
    codes = sorted(scores)
    return _mvt("safety_index", inner), {
        "level": level, "month": f"{safety_index_month(q):%Y-%m}", "codes": codes,
        "scores": [None if scores[c][0] is None else round(scores[c][0], 2) for c in codes],
        "bands": [scores[c][1] for c in codes]}
# ---------------------------------------------------------------------------------------- three-zero

def threezero_year(q: TileQuery) -> tuple[int, bool]:
    """The year a three-zero tile shows: the year of `until`, else of `since`, else this year; this year's
    is the year to date (docs/analysis.md)."""
    from django.utils import timezone

    this = timezone.localdate().year
    day = q.filters.until or q.filters.since
    year = day.year if day else this
    return year, year == this


def threezero_sql(q: TileQuery) -> tuple[str, dict]:
    """Three-zero (三零) counties (z ≤ 7), townships (z 8-9) and villages (z 10-11) inside the caller's scope
    for a year:
    three_zero true or false, with the first matter that broke each (analysis.threezero, kept per year
    and process)."""
    from analysis.threezero import verdicts

    level = count_level(q.z)
    year, ytd = threezero_year(q)
    # Like the index, the verdicts count every matter of a unit: a department's selection has none.
    units = {} if q.filters.department else {
        code: u for code, u in verdicts(q.prefix or "", year, ytd=ytd).items() if len(code) == CODE_LEN[level]}
    codes = sorted(units)
    firsts = [min(units[c].broken, key=lambda b: (b.reported_at, b.incident)) if units[c].broken else None
              for c in codes]
    inner = f"""
        SELECT d.area_code AS code, g.name, s.three_zero, s.broken, s.first_incident, s.first_at, %(period)s AS period,
               ST_AsMVTGeom(d.geom, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM tiles_areadisplay d JOIN grids_area g ON g.code = d.area_code
        JOIN unnest(%(codes)s::text[], %(flags)s::boolean[], %(broken)s::int[], %(incidents)s::bigint[],
                    %(ats)s::text[]) AS s(code, three_zero, broken, first_incident, first_at)
          ON s.code = d.area_code
        WHERE d.zband = %(band)s AND d.level = %(level)s AND d.geom && {BENV_3857}{_scope('d.area_code', q)}"""
    return _mvt("threezero", inner), {
        "level": level, "period": f"{year} YTD" if ytd else str(year), "codes": codes,
        "flags": [units[c].three_zero for c in codes], "broken": [len(units[c].broken) for c in codes],
        "incidents": [f.incident if f else None for f in firsts], "ats": [f.reported_at if f else None for f in firsts]}


# ------------------------------------------------------------------------------------------- people

# The people figures (people/counts.py defines them; the rollup people_unitcount holds the counts):
# population, households and enterprises per area, residents per km² (the choropleth's value) and per
# grid worker. Counts only: no person, and no key-group count (a small one could reveal a person), so
# the layer is the same for every caller; areas outside the caller's scope are not drawn.
PEOPLE_MEASURES = ("population", "households", "enterprises")


def people_sql(q: TileQuery) -> tuple[str, dict]:
    level = count_level(q.z)
    inner = f"""
        WITH areas AS (
            SELECT d.area_code, d.geom FROM tiles_areadisplay d
            WHERE d.zband = %(band)s AND d.level = %(level)s AND d.geom && {BENV_3857}{_scope('d.area_code', q)}
        ), counts AS (
            SELECT u.area_code, sum(u.n) FILTER (WHERE u.measure = 'population')::int AS population,
                   sum(u.n) FILTER (WHERE u.measure = 'households')::int AS households,
                   sum(u.n) FILTER (WHERE u.measure = 'enterprises')::int AS enterprises
            FROM people_unitcount u
            WHERE u.area_code IN (SELECT area_code FROM areas) AND u.measure = ANY(%(people_measures)s)
            GROUP BY 1
        ), workers AS (
            SELECT left(s.area_code, %(len)s) AS area_code, count(DISTINCT s.worker_id)::int AS workers
            FROM grids_assignment s
            WHERE s.valid_to IS NULL AND left(s.area_code, %(len)s) IN (SELECT area_code FROM areas)
            GROUP BY 1
        )
        SELECT a.area_code AS code, g.name, coalesce(c.population, 0) AS population,
               coalesce(c.households, 0) AS households, coalesce(c.enterprises, 0) AS enterprises,
               round((coalesce(c.population, 0) / nullif(g.area_km2, 0))::numeric,
                     2)::float8 AS per_km2,
               coalesce(w.workers, 0) AS workers,
               round((c.population::numeric / nullif(w.workers, 0)), 1)::float8 AS per_worker,
               ST_AsMVTGeom(a.geom, {ENV}, %(extent)s, %(buffer)s, true) AS geom
        FROM areas a JOIN grids_area g ON g.code = a.area_code LEFT JOIN counts c USING (area_code)
             LEFT JOIN workers w USING (area_code)"""
    return _mvt("people", inner), {"level": level, "len": CODE_LEN[level], "people_measures": list(PEOPLE_MEASURES)}


# ------------------------------------------------------------------------------------ field coverage

def coverage_sql(q: TileQuery) -> tuple[str, dict]:
    """Share of buildings passed per area for the period (field/tiles.py; the figures of field/coverage.py)."""
    level = count_level(q.z)
    inner = field_tiles.coverage_inner(ENV, BENV_3857, level, bool(q.prefix))
    return _mvt("coverage", inner), field_tiles.coverage_params(q.filters, level, q.prefix)


def tracks_sql(q: TileQuery) -> tuple[str, dict]:
    """The patrol track pieces (personal data; the service lets only the personal-data right ask)."""
    inner = field_tiles.tracks_inner(ENV, BENV_4326, bool(q.prefix))
    return _mvt("tracks", inner), field_tiles.tracks_params(q.filters, q.z)


# "overdue", "accept_overdue" and "due_soon" are counts on area features and true/false flags on incident points.
COUNT_FIELDS = {"code": "String", "name": "String", "open": "Number", "overdue": "Number", "closed": "Number",
                "on_time": "Number", "accept_overdue": "Number", "due_soon": "Number"}

REGISTRY: dict[str, TileLayer] = {layer.id: layer for layer in [
    TileLayer("grids", "Area boundaries: provinces, cities and counties (z≤5), counties and townships (z6-9), "
              "villages/communities (z10-11), grids (z≥12)",
              0, MAXZOOM, {"code": "String", "name": "String", "level": "Number", "kind": "String",
                           "parent": "String", "illustrative": "Boolean"}, ("grids",), grids_sql),
    TileLayer("incidents", f"Incident counts per area below z{RAW_INCIDENTS_MINZOOM}, points from it "
              f"(cluster cells with counts where a tile would hold more than {MAX_POINTS} points)",
              0, MAXZOOM, {**COUNT_FIELDS, "count": "Number", "id": "Number", "class": "String",
                           "subcategory": "String", "severity": "String", "status": "String", "source": "String",
                           "grid": "String", "reported": "String", "cluster": "Boolean"},
              ("incidents", "grids"), incidents_sql, filtered=True, shared=incident_ctes),
    TileLayer("workload", "Area polygons with intake, open, overdue, closed and on-time counts and workers",
              0, MAXZOOM, {**COUNT_FIELDS, "intake": "Number", "workers": "Number",
                           "open_per_worker": "Number"},
              ("incidents", "grids"), workload_sql, filtered=True, shared=count_ctes),
    TileLayer("buildings", "Buildings with their unified address code (footprint or point)", 15, MAXZOOM,
              {"address_code": "String", "name": "String", "use": "String", "floors": "Number", "grid": "String"},
              ("buildings",), buildings_sql),
    TileLayer("people", "Area polygons with population, households, enterprises, residents per km² (the "
              "choropleth) and per grid worker; counts only", 0, MAXZOOM,
              {"code": "String", "name": "String", "population": "Number", "households": "Number",
               "enterprises": "Number", "per_km2": "Number", "workers": "Number", "per_worker": "Number"},
              ("people", "grids"), people_sql),
    # From z12: at z10 a tile over the county's centre holds ~7,500 places (483 KB measured).
    TileLayer("places", "Cameras, schools, markets, mediation rooms, service stations", 12, MAXZOOM,
              {"code": "String", "kind": "String", "name": "String", "grid": "String"}, ("places",), places_sql),
    TileLayer("safety_index", "The safety index (平安指数) of the month of `until` (or `since`, or this month): "
              "counties to z7, townships z8-9, villages z10-11, with score 0-100 and band green/amber/red", 0,
              SAFETY_INDEX_MAXZOOM, {"code": "String", "name": "String", "score": "Number", "band": "String",
                                     "month": "String"}, ("incidents", "grids"), safety_index_sql, filtered=True),
    TileLayer("threezero", "Three-zero (三零) units of the year of `until` (or `since`, or this year to date): "
              "counties to z7, townships z8-9, villages z10-11, three_zero true/false, how many criteria were "
              "broken, the first matter that broke it and when", 0, SAFETY_INDEX_MAXZOOM,
              {"code": "String", "name": "String", "three_zero": "Boolean", "broken": "Number",
               "first_incident": "Number", "first_at": "String", "period": "String"}, ("incidents", "grids"),
              threezero_sql, filtered=True),
    TileLayer("coverage", "Patrol coverage per area for since..until (default the last 7 days): share of the "
              "buildings passed within 30 m (the choropleth), km walked, hours out, days since a track or visit; "
              "not_visited=N keeps the areas not visited in the last N days", 0, field_tiles.COVERAGE_MAXZOOM,
              {"code": "String", "name": "String", "buildings": "Number", "passed": "Number", "share": "Number",
               "km": "Number", "hours": "Number", "days_since": "Number"},
              ("coverage", "grids", "buildings"), coverage_sql, params=("since", "until", "not_visited", "area"),
              departments=False),
    TileLayer("tracks", "Patrol track pieces started in since..until (default the last 7 days), from "
              f"z{field_tiles.TRACKS_MINZOOM}; personal data: the personal-data right only, every tile audited",
              field_tiles.TRACKS_MINZOOM, MAXZOOM,
              {"track": "Number", "grid": "String", "worker": "String", "started": "String", "ended": "String",
               "length_m": "Number"}, ("tracks",), tracks_sql, personal=True, params=("since", "until", "area"),
              departments=False),
]}
