"""Coverage (巡查覆盖): has anyone been there? The figures of any unit (county, township, village, basic grid)
or worker over any period, read by every reader: /api/stats/<code> (`coverage`), /api/coverage/<code>, the
area detail, the dashboards' workload page, the coverage tiles, the weekly ranking and the safety index.

Definitions (SQL, field/sql/functions/10_coverage.sql, once):
- track length: the sum of the geodesic lengths of the track pieces in the unit's grids that started in the
  period (a piece counts on the local day it started);
- hours out: the sum of those pieces' durations (first to last fix);
- buildings passed: per basic grid, its buildings that lie within 30 m (`field_passes`) of a piece of track in
  the grid on a day of the period; a unit's is the sum of its grids' (a building lies in one grid: the same
  as its distinct buildings, unless the grid map was redrawn within the period and a building was passed in
  its old grid and its new one, where it counts in each); share = passed ÷ the unit's buildings;
- households visited: the distinct rooms (入户 targets) visited in the period;
- key places: the places whose kind has a check cadence (field_checkcadence); checked = checked in the
  period; overdue = the last check before the period's end (or now) is older than its cadence, or none
  (`field_check_overdue`);
- last seen: the last local day a track or a visit was recorded in the unit (≤ the period's end), which the
  "not visited in N days" filter reads.

Track length, hours and passed buildings are read from the per-grid rollups kept by triggers on every upload:
per day (field_coverageday) and per ISO week (field_coverageweek), each row with the set of the grid's
buildings passed as a bit string (one bit per building slot, field_buildingslot). A period reads its whole weeks
and its edge days (field_coverage_period); its distinct buildings passed per grid are the bit count of the OR
of those rows' sets, exact, over a few rows per grid instead of every pass (bench/coverage).
Patrols counts track pieces and video patrols (a video patrol counts as a patrol, issue 19): `video_patrols`
is the figure of field/videopatrols.py (its one definition), read for the same units and period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from field import videopatrols
from geo import sql

CODE_LEN = {1: 6, 2: 9, 3: 12, 4: 15}
LAST_SEEN_LOOKBACK_DAYS = 366  # "not visited in N days" looks back at most this far (N ≤ 365)
MAX_NOT_VISITED_DAYS = 365


@dataclass
class Coverage:
    """One unit's coverage over a period."""

    length_km: float = 0.0
    hours_out: float = 0.0
    patrols: int = 0  # pieces of track (a walk crossing two grids is a patrol in each) + video patrols
    video_patrols: int = 0  # of which video patrols over the unit's cameras (field/videopatrols.py)
    buildings: int = 0
    buildings_passed: int = 0
    households_visited: int = 0
    visits: int = 0
    key_places: int = 0
    key_places_checked: int = 0
    key_places_overdue: int = 0
    last_seen: dt.date | None = None

    @property
    def share_passed(self) -> float | None:
        return round(self.buildings_passed / self.buildings, 4) if self.buildings else None

    def days_since_seen(self, today: dt.date) -> int | None:
        return None if self.last_seen is None else (today - self.last_seen).days

    def as_api(self, today: dt.date | None = None) -> dict[str, Any]:
        body = asdict(self)
        body.update(length_km=round(self.length_km, 3), hours_out=round(self.hours_out, 2),
                    share_passed=self.share_passed,
                    last_seen=self.last_seen.isoformat() if self.last_seen else None)
        if today is not None:
            body["days_since_seen"] = self.days_since_seen(today)
        return body


def local_days(since: dt.datetime, until: dt.datetime) -> tuple[dt.date, dt.date]:
    """[first day, last day + 1) of local calendar days the period [since, until) touches."""
    first = timezone.localdate(since)
    last = timezone.localdate(until - dt.timedelta(microseconds=1))
    return first, last + dt.timedelta(days=1)


COVERAGE_SQL = """
WITH per AS MATERIALIZED (
    -- The period's rollup rows: whole ISO weeks and the edge days (field_coverage_period).
    SELECT grid_code, length_m, out_seconds, pieces, passed
    FROM field_coverage_period(%(prefix)s, %(first)s, %(end)s)
), track AS (
    SELECT left(grid_code, %(len)s) AS code, sum(length_m) AS length_m, sum(out_seconds) AS out_seconds,
           sum(pieces) AS pieces
    FROM per GROUP BY 1
), passed AS (
    -- Each grid's distinct buildings passed (the OR of its rows' sets), summed over the unit's grids.
    SELECT left(grid_code, %(len)s) AS code, sum(n)::bigint AS passed
    FROM (SELECT grid_code, bit_count(bit_or(passed)) AS n FROM per GROUP BY 1) g
    GROUP BY 1
), buildings AS (
    -- The buildings per grid (field_gridbuildings, kept by triggers on layers_building).
    SELECT left(grid_code, %(len)s) AS code, sum(buildings)::bigint AS buildings
    FROM field_gridbuildings WHERE grid_code LIKE %(prefix)s
    GROUP BY 1
), visits AS (
    SELECT left(grid_code, %(len)s) AS code, count(*) AS visits, count(DISTINCT room_id) AS households
    FROM field_visit
    WHERE grid_code LIKE %(prefix)s AND visited_at >= %(since)s AND visited_at < %(until)s
    GROUP BY 1
), places AS (
    SELECT left(p.grid_code, %(len)s) AS code, count(*) AS key_places,
           count(*) FILTER (WHERE l.last >= %(since)s) AS checked,
           count(*) FILTER (WHERE field_check_overdue(l.last, c.every_days, %(at)s)) AS overdue
    FROM layers_place p JOIN field_checkcadence c ON c.kind = p.kind
    LEFT JOIN LATERAL (SELECT max(v.visited_at) AS last FROM field_visit v
                       WHERE v.place_id = p.id AND v.visited_at < %(at)s) l ON true
    WHERE p.grid_code LIKE %(prefix)s
    GROUP BY 1
), seen AS (
    -- The last day of a track or a visit per grid (field_grid_last_seen: a row per grid), then per unit.
    SELECT left(grid_code, %(len)s) AS code, max(last_seen) AS last_seen
    FROM field_grid_last_seen(%(prefix)s, %(lookback_day)s, %(at_day)s, %(lookback)s, %(at)s)
    GROUP BY 1
)
SELECT c.code, t.length_m, t.out_seconds, t.pieces, b.buildings, p.passed, v.visits, v.households,
       k.key_places, k.checked, k.overdue, s.last_seen
FROM (SELECT code FROM track UNION SELECT code FROM buildings UNION SELECT code FROM visits
      UNION SELECT code FROM places UNION SELECT code FROM seen) c
LEFT JOIN track t USING (code) LEFT JOIN passed p USING (code) LEFT JOIN buildings b USING (code)
LEFT JOIN visits v USING (code) LEFT JOIN places k USING (code) LEFT JOIN seen s USING (code)
"""


def by_area(prefix: str, level: int, since: dt.datetime, until: dt.datetime) -> dict[str, Coverage]:
    """{area code of `level` under `prefix`: Coverage} over [since, until), as of min(until, now)."""
    at = min(until, timezone.now())
    first, end = local_days(since, until)
    at_day = timezone.localdate(at)
    params = {"prefix": prefix + "%", "len": CODE_LEN[level], "first": first, "end": end, "since": since,
              "until": until, "at": at, "at_day": at_day,
              "lookback_day": at_day - dt.timedelta(days=LAST_SEEN_LOOKBACK_DAYS),
              "at_end": at_day + dt.timedelta(days=1),
              "lookback": timezone.make_aware(dt.datetime.combine(
                  at_day - dt.timedelta(days=LAST_SEEN_LOOKBACK_DAYS), dt.time()))}
    out = {}
    for r in sql.rows(COVERAGE_SQL, params):
        out[r["code"]] = Coverage(
            length_km=(r["length_m"] or 0.0) / 1000, hours_out=(r["out_seconds"] or 0.0) / 3600,
            patrols=int(r["pieces"] or 0), buildings=r["buildings"] or 0, buildings_passed=r["passed"] or 0,
            households_visited=r["households"] or 0, visits=r["visits"] or 0,
            key_places=r["key_places"] or 0, key_places_checked=r["checked"] or 0,
            key_places_overdue=r["overdue"] or 0, last_seen=r["last_seen"])
    # A video patrol counts as a patrol: the figure's own definition, for the same units and period.
    for r in sql.rows("SELECT code, video_patrols FROM field_video_patrol_units(%(p)s, %(n)s, %(s)s, %(u)s)",
                      {"p": prefix, "n": CODE_LEN[level], "s": since, "u": until}):
        if r["video_patrols"]:
            unit = out.setdefault(r["code"], Coverage())
            unit.video_patrols = r["video_patrols"]
            unit.patrols += r["video_patrols"]
    return out


def unit_level(code: str) -> int | None:
    return {6: 1, 9: 2, 12: 3, 15: 4}.get(len(code))


def of_unit(code: str, since: dt.datetime, until: dt.datetime) -> Coverage:
    """One unit's coverage (a dedicated grid, which holds no buildings of its own here: empty)."""
    level = unit_level(code)
    if level is None:
        return Coverage()
    return by_area(code, level, since, until).get(code, Coverage())


def of_children(code: str, since: dt.datetime, until: dt.datetime) -> dict[str, Coverage]:
    level = unit_level(code)
    if level is None or level >= 4:
        return {}
    return by_area(code, level + 1, since, until)


# -------------------------------------------------------------------------------------------- workers

WORKER_SQL = """
WITH held AS MATERIALIZED (
    SELECT DISTINCT s.worker_id, s.area_code FROM grids_assignment s JOIN grids_worker w ON w.id = s.worker_id
    WHERE s.area_code LIKE %(prefix)s AND length(s.area_code) = 15 AND w.active
      AND s.valid_from < %(end)s AND (s.valid_to IS NULL OR s.valid_to > %(first)s)
), built AS MATERIALIZED (
    SELECT grid_code, count(*) AS n FROM layers_building WHERE grid_code LIKE %(prefix)s GROUP BY 1
), passed AS MATERIALIZED (
    SELECT worker_id, grid_code, bit_count(bit_or(passed)) AS n
    FROM field_coverage_period(%(prefix)s, %(first)s, %(end)s)
    GROUP BY 1, 2
)
SELECT h.worker_id, sum(b.n)::int AS buildings, coalesce(sum(p.n), 0)::int AS passed
FROM held h JOIN built b ON b.grid_code = h.area_code
LEFT JOIN passed p ON p.worker_id = h.worker_id AND p.grid_code = h.area_code
GROUP BY 1
"""


def worker_shares(district: str, since: dt.datetime, until: dt.datetime) -> dict[int, float] | None:
    """{worker id: share of the buildings of the basic grids they hold that they passed themselves in the
    period}; None when nobody in the district uploaded a track in the period (the county does not use the
    patrol app: coverage says nothing about any worker then). Workers holding no buildings are absent."""
    first, end = local_days(since, until)
    used = sql.rows("SELECT EXISTS (SELECT 1 FROM field_coverageday WHERE grid_code LIKE %(prefix)s "
                    "AND day >= %(first)s AND day < %(end)s) AS used",
                    {"prefix": district + "%", "first": first, "end": end})[0]["used"]
    if not used:
        return None
    rows = sql.rows(WORKER_SQL, {"prefix": district + "%", "first": first, "end": end})
    return {r["worker_id"]: r["passed"] / r["buildings"] for r in rows if r["buildings"]}


def ranking_points(share: float | None) -> int:
    """What a week's coverage adds to a worker's ranking score (layers/figures/ranking.py):
    round(POINTS × (share − TARGET)); with the defaults (10, 0.3) a worker who never walks loses 3, one who
    passes every building of their grid gains 7. No share (no patrol data): 0."""
    if share is None:
        return 0
    points = float(getattr(settings, "GRIDMAP_RANKING_COVERAGE_POINTS", 10))
    target = float(getattr(settings, "GRIDMAP_RANKING_COVERAGE_TARGET", 0.3))
    return round(points * (share - target))


def worker_video_patrols(district: str, since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    """{worker id: the video patrols they made in [since, until) over cameras in the district}: the figure's
    per-worker definition (field/videopatrols.py), for the ranking's video patrol points."""
    return {worker: row["video_patrols"]
            for worker, row in videopatrols.worker_figures(district, since, until).items() if row["video_patrols"]}


def video_points(patrols: int) -> int:
    """What a week's video patrols add to a worker's ranking score (layers/figures/ranking.py): POINTS for each,
    at most MAX a week (GRIDMAP_RANKING_VIDEO_PATROL_POINTS 1, _MAX 2)."""
    points = int(getattr(settings, "GRIDMAP_RANKING_VIDEO_PATROL_POINTS", 1))
    most = int(getattr(settings, "GRIDMAP_RANKING_VIDEO_PATROL_MAX", 2))
    return points * min(max(patrols, 0), most)


# ------------------------------------------------------------------------------------ the safety index

def village_months(prefix: str, first: dt.date, end: dt.date) -> dict[tuple[str, dt.date], tuple[int, int]]:
    """{(village code, first day of the local month): (buildings passed in the month, buildings)} for the
    months in [first, end) in which anyone in the village's county uploaded a track (a county that does not use
    the patrol app has no coverage value: the index leaves the input out rather than scoring it 0; under a
    city's or province's prefix each county is judged on its own tracks, so a county's value is the same
    whichever prefix asked). The index's
    `patrol_coverage` input (analysis/inputs.py); each village's buildings belong to it alone, so the sums of
    a township or the county are the same distinct counts."""
    rows = sql.rows("""
        WITH used AS (
            SELECT DISTINCT left(grid_code, 6) AS county, date_trunc('month', day)::date AS month
            FROM field_coverageday
            WHERE grid_code LIKE %(district)s AND day >= %(first)s AND day < %(end)s
        ), built AS (
            SELECT left(grid_code, 12) AS code, count(*) AS buildings FROM layers_building
            WHERE grid_code LIKE %(prefix)s GROUP BY 1
        ), passed AS (
            -- Each month (clipped to [first, end)) read as its weeks and edge days, like any period; once per
            -- month, not per county that used it (a province's prefix would count every village once per county).
            SELECT left(x.grid_code, 12) AS code, u.month, sum(x.n) AS passed
            FROM (SELECT DISTINCT month FROM used) u CROSS JOIN LATERAL (
                SELECT grid_code, bit_count(bit_or(passed)) AS n
                FROM field_coverage_period(%(prefix)s, greatest(u.month, %(first)s::date),
                                           least((u.month + interval '1 month')::date, %(end)s::date))
                GROUP BY 1) x
            GROUP BY 1, 2
        )
        SELECT b.code, u.month, coalesce(p.passed, 0) AS passed, b.buildings
        FROM built b JOIN used u ON u.county = left(b.code, 6)
             LEFT JOIN passed p ON p.code = b.code AND p.month = u.month""",
                    {"district": prefix[:6] + "%", "prefix": prefix + "%", "first": first, "end": end})
    return {(r["code"], r["month"]): (r["passed"], r["buildings"]) for r in rows}
