"""The field tile layers, registered in tiles/registry.py (tiles draws, field knows the tables):

- `coverage`: area polygons (counties to z7, townships z8-9, villages z10-11, basic grids from z12: the levels
  of tiles.registry.count_level) with the share of their buildings passed within 30 m in the period (the
  choropleth's value), km walked, hours out and the days since anyone was last there (a track or a visit). The
  period is since..until (days, inclusive; default the last 7 days); `not_visited=N` keeps only the areas
  with no track and no visit in the last N days up to until.
  Counts only: the same for every role that may view maps.
- `tracks`: the track pieces themselves from z14, inside the caller's scope, started in the period (default the
  last 7 days). Personal data (where a person was): only for callers with the personal-data right (others get
  a 403 for the layer), never public, and every tile served is audited (tiles/service.py). The worker's employee
  number is the only person field; no name, no username.

The figures are those of field/coverage.py, read from the same rollup with the same SQL definitions.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from field.coverage import LAST_SEEN_LOOKBACK_DAYS

DEFAULT_DAYS = 7
TRACKS_MINZOOM = 14
COVERAGE_MAXZOOM = 16
# The code length of the areas counted at each level: counties to z7 (tiles.registry.count_level; without it a
# province-zoom coverage tile was a KeyError, a 500), townships z8-9, villages z10-11, basic grids.
CODE_LEN = {1: 6, 2: 9, 3: 12, 4: 15}


def period(filters) -> tuple[dt.date, dt.date]:
    """[first day, last day] of a tile's period: the filters' since..until, default the last 7 days."""
    until = filters.until or timezone.localdate()
    since = filters.since or until - dt.timedelta(days=DEFAULT_DAYS - 1)
    return since, until


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def coverage_inner(env: str, benv_3857: str, level: int, scoped: bool) -> str:
    """The SELECT of the coverage layer (the caller wraps it in ST_AsMVT). A basic grid is matched on its code
    (the rollup's index); a village or township reads its grids' rows once and groups them by the first digits."""
    if level == 4:
        key, join = "a.area_code", "JOIN areas a ON x.grid_code = a.area_code"
    else:
        key = "left(x.grid_code, %(cov_len)s)"
        join = "JOIN areas a ON a.area_code = left(x.grid_code, %(cov_len)s) AND x.grid_code LIKE %(cov_prefix)s"
    scope = " AND d.area_code LIKE %(prefix)s" if scoped else ""

    # The period's rows of the grids in the tile: a basic grid's by its code (a LATERAL probe of the rollups'
    # (grid, week/day) indexes), a village's or township's by the first digits of the county's grid codes.
    if level == 4:
        rows = ("(SELECT area_code FROM areas) t CROSS JOIN LATERAL "
                "field_coverage_period_grid(t.area_code, %(cov_first)s, %(cov_end)s) x")
    else:
        rows = ("field_coverage_period(%(cov_prefix)s, %(cov_first)s, %(cov_end)s) x "
                "WHERE left(x.grid_code, %(cov_len)s) IN (SELECT area_code FROM areas)")

    return f"""
        WITH areas AS MATERIALIZED (
            SELECT d.area_code, d.geom FROM tiles_areadisplay d
            WHERE d.zband = %(band)s AND d.level = %(level)s AND d.geom && {benv_3857}{scope}
        ), built AS (
            SELECT {key} AS area_code, sum(x.buildings)::bigint AS buildings FROM field_gridbuildings x {join}
            GROUP BY 1
        ), per AS MATERIALIZED (
            SELECT x.grid_code, sum(x.length_m) AS length_m, sum(x.out_seconds) AS out_seconds,
                   bit_count(bit_or(x.passed)) AS passed
            FROM {rows} GROUP BY 1
        ), passed AS (
            SELECT {key} AS area_code, sum(x.passed)::bigint AS passed FROM per x {join} GROUP BY 1
        ), period AS (
            SELECT {key} AS area_code, sum(x.length_m) AS length_m, sum(x.out_seconds) AS out_seconds
            FROM per x {join} GROUP BY 1
        ), seen AS (
            SELECT {key} AS area_code, max(x.last_seen) AS day
            FROM field_grid_last_seen(%(cov_prefix)s, %(cov_lookback)s, %(cov_last)s, %(cov_lookback_at)s,
                                      %(cov_end_at)s) x {join}
            GROUP BY 1
        )
        SELECT a.area_code AS code, g.name, coalesce(b.buildings, 0) AS buildings, coalesce(p.passed, 0) AS passed,
               round((p.passed::numeric / nullif(b.buildings, 0)), 4)::float8 AS share,
               round((coalesce(t.length_m, 0) / 1000)::numeric, 2)::float8 AS km,
               round((coalesce(t.out_seconds, 0) / 3600)::numeric, 2)::float8 AS hours,
               (%(cov_last)s::date - w.day) AS days_since,
               ST_AsMVTGeom(a.geom, {env}, %(extent)s, %(buffer)s, true) AS geom
        FROM areas a JOIN grids_area g ON g.code = a.area_code
        LEFT JOIN built b USING (area_code) LEFT JOIN passed p USING (area_code)
        LEFT JOIN period t USING (area_code) LEFT JOIN seen w USING (area_code)
        WHERE %(cov_not_visited)s::int IS NULL OR w.day IS NULL
              OR w.day <= %(cov_last)s::date - %(cov_not_visited)s::int"""


def coverage_params(filters, level: int, prefix: str | None) -> dict:
    first, last = period(filters)
    return {"level": level, "cov_len": CODE_LEN[level], "cov_prefix": (prefix or "") + "%",
            "cov_first": first, "cov_last": last, "cov_end": last + dt.timedelta(days=1),
            "cov_lookback": last - dt.timedelta(days=LAST_SEEN_LOOKBACK_DAYS),
            "cov_lookback_at": _moment(last - dt.timedelta(days=LAST_SEEN_LOOKBACK_DAYS)),
            "cov_end_at": _moment(last + dt.timedelta(days=1)), "cov_not_visited": filters.not_visited}


def tracks_inner(env: str, benv_4326: str, scoped: bool) -> str:
    scope = " AND p.grid_code LIKE %(prefix)s" if scoped else ""
    return f"""
        SELECT p.track_id AS track, p.grid_code AS grid, w.employee_no AS worker,
               to_char(p.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started,
               to_char(p.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ended,
               round(p.length_m::numeric, 1)::float8 AS length_m,
               ST_AsMVTGeom(ST_Transform(ST_Simplify(p.path, %(trk_tolerance)s, true), 3857), {env}, %(extent)s,
                            %(buffer)s, true) AS geom
        FROM field_trackpiece p JOIN field_track t ON t.id = p.track_id LEFT JOIN grids_worker w ON w.id = t.worker_id
        WHERE p.path && {benv_4326} AND p.started_at >= %(trk_start)s AND p.started_at < %(trk_end)s{scope}"""


def tracks_params(filters, z: int) -> dict:
    """The period, and the simplification: half a tile unit of the zoom (a 4096 grid over the tile, in degrees of
    longitude), less than the snapping ST_AsMVTGeom does anyway, so the tile is the same picture with fewer
    vertices to transform: a season's walks at z14 are thousands of vertices per tile."""
    first, last = period(filters)
    return {"trk_start": _moment(first), "trk_end": _moment(last + dt.timedelta(days=1)),
            "trk_tolerance": 360.0 / (1 << z) / 4096 / 2}
