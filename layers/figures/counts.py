"""Every incident figure for any areas, period and filter: the one SQL the readers share.

Tiles (counts on the map, workload polygons), the workload export, /api/stats, the dashboards' cards,
tables, heat map and chart all take their numbers from `counts_sql()`, so they cannot disagree. The
definitions themselves are SQL functions (sql/functions/10_definitions.sql); this module only adds
them up, from the rollup where it can and from the incidents' own rows where it must:

    whole local months of the period   layers_incidentrollup (current status and step times)
      − closed after the moment taken  the cohort's rows with closed_at > at (index incident_closed)
      + open and past due at that time layers_openincident (the open matters only)
    days before the first / after the  layers_incident, through its covering indexes, counted with the
      last whole month                 definitions directly
    a source filter, a day bucket, a   layers_incident throughout (the rollup has no source, no day,
      dedicated grid or a worker       no dedicated grid, no assignee)
    a flag filter (acceptance overdue, layers_openincident + the rows closed after the moment taken:
      due within 24 h)                 a flagged matter is open at that moment, so nothing else counts

Raw SQL because the parts come from four tables and are added up per area in one statement (one
snapshot, so they never disagree); the ORM cannot say that. Values are bound parameters (`%(f_…)s`);
the only text spliced in is built here from constants (levels, column names) or given by the calling
code (the `areas` CTE's name).

Columns of the `counts` CTE: area_code, [bucket,] intake, open, closed, on_time, late, overdue,
close_seconds, rated, satisfied, satisfaction_sum, accept_overdue, due_soon — all sums over the cohort,
so a parent's figures are the sums of its children's. The last two are live, like an open matter's
overdue: never rolled up, counted from the open matters at the moment taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from operator import attrgetter

from django.utils import timezone

from geo import sql
from geo.scope import counties_sql, county_sql

# Levels figures are counted at, and the code length of each: province -1, city 0, county 1 … grid 4.
LEVEL_LENGTH = {-1: 2, 0: 4, 1: 6, 2: 9, 3: 12, 4: 15}
LENGTH_LEVEL = {n: level for level, n in LEVEL_LENGTH.items()}
# The rollup holds counties and below (a row per level of a grid code). A city's or a province's figures
# are its counties' rows added up: a few hundred rows per month for a province's hundred counties, and no
# row shared by every intake of a province (a stored province row would be the one row every report in
# the province locks: intakes in different counties would queue on it).
ROLLUP_TOP = 1
# The expression of the index the as-of correction probes (layers migration 0011): the UTC month of
# report, fixed whatever GRIDMAP_TIME_ZONE says, so the index never depends on a setting.
REPORT_MONTH = "date_trunc('month', i.reported_at AT TIME ZONE 'UTC')"
# The live flags a selection may be narrowed to (filter `flag=`), each the call of its definition with the
# row's columns ({a}: the alias; {closed}: its closed_at, NULL in layers_openincident) at %(f_at)s.
FLAGS = {
    "accept_overdue": "figures_accept_overdue({a}.accepted_at, {a}.accept_due_at, {closed}, %(f_at)s)",
    "due_soon": "figures_due_soon({closed}, {a}.due_at, %(f_at)s)",
}


@dataclass(frozen=True)
class Selection:
    """Which incidents a figure counts: the cohort reported in [since, until) (either end open), narrowed
    by class, status, severity and source, under a grid-code prefix (the caller's scope ∩ the unit)."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    prefix: str = ""
    dedicated: str = ""  # a dedicated grid: its incidents are those placed in it (dedicated_code)
    assignee_id: int | None = None  # a worker: the incidents assigned to them
    flags: tuple[str, ...] = ()  # live flags (FLAGS): only matters with any of them at the moment taken
    supervision: str = ""  # supervised / listed / overdue (layers.incidents.filters.SUPERVISION)
    department: str = ""  # a department's code: its open dispatches (a department account's narrowing)
    subcategories: tuple[str, ...] = ()  # sub-classes (a breakdown's narrowing; counted from the rows)

    @classmethod
    def of(cls, filters, prefix: str | None = None) -> Selection:
        """From the query-string filters (layers.incidents.filters.Filters): local days, until inclusive."""
        return cls(since=local_midnight(filters.since), until=local_midnight(filters.until_exclusive),
                   categories=filters.categories, statuses=filters.statuses, severities=filters.severities,
                   sources=filters.sources, prefix=prefix or "", flags=filters.flags,
                   supervision=filters.supervision, department=filters.department)

    def at(self, now: dt.datetime | None = None) -> dt.datetime:
        """The moment the figures are taken at: the period's end, or now if it has not ended."""
        now = now or timezone.now()
        return self.until if self.until is not None and self.until < now else now

    @property
    def raw_only(self) -> bool:
        """Whether the rollup cannot serve this selection at all."""
        return bool(self.sources or self.subcategories or self.dedicated or self.assignee_id is not None
                    or len(self.prefix) > 15 or self.supervision or self.department)


def zone() -> dt.tzinfo:
    """The zone local days and months are counted in (GRIDMAP_TIME_ZONE)."""
    return timezone.get_default_timezone()


def local_midnight(day: dt.date | None) -> dt.datetime | None:
    """The first instant of a local day (GRIDMAP_TIME_ZONE)."""
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=zone())


def _month_start(moment: dt.datetime, *, up: bool) -> dt.date:
    """The first day of the local month starting at or after (up) / at or before `moment`."""
    local = moment.astimezone(zone())
    first = local.date().replace(day=1)
    if up and local_midnight(first) < moment:
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return first


def flag_sql(flag: str, alias: str, *, open_table: bool = False) -> str:
    """A live flag's definition on a row of `alias` (layers_openincident when open_table: no closed_at)."""
    return FLAGS[flag].format(a=alias, closed="NULL::timestamptz" if open_table else f"{alias}.closed_at")


def _flags(sel: Selection, alias: str, *, open_table: bool = False) -> str:
    """Any of the selection's flags, as " AND (…)" (empty without flags)."""
    if not sel.flags:
        return ""
    return " AND (" + " OR ".join(flag_sql(f, alias, open_table=open_table) for f in sel.flags) + ")"


def _utc_months(first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    """The UTC months (as naive first instants, as the index stores them) from `first` to `last`."""
    month = first.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    end = last.astimezone(dt.UTC).replace(tzinfo=None)
    months = []
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _conditions(sel: Selection, alias: str, *, source: bool = True) -> str:
    parts = []
    if sel.categories:
        parts.append(f"{alias}.category = ANY(%(f_categories)s)")
    if sel.statuses:
        parts.append(f"{alias}.status = ANY(%(f_statuses)s)")
    if sel.severities:
        parts.append(f"{alias}.severity = ANY(%(f_severities)s)")
    if sel.sources and source:
        parts.append(f"{alias}.source = ANY(%(f_sources)s)")
    if sel.subcategories:
        parts.append(f"{alias}.subcategory = ANY(%(f_subcategories)s)")
    # The desk's narrowings (never on the rollup: a selection with them is raw_only). `alias.id` is the
    # incident's id in layers_incident and layers_openincident alike.
    if sel.department:
        parts.append(f"{alias}.id IN (SELECT d.incident_id FROM layers_dispatch d "
                     f"WHERE d.department_code = %(f_department)s AND d.ended_at IS NULL)")
    if sel.supervision:
        kind = " AND s.kind = 'listed'" if sel.supervision == "listed" else ""
        overdue = (f" AND desk_supervision_overdue({alias}.closed_at, s.deadline, %(f_at)s)"
                   if sel.supervision == "overdue" else "")
        if overdue and alias == "o":  # open matters: closed_at is NULL by definition
            overdue = " AND desk_supervision_overdue(NULL, s.deadline, %(f_at)s)"
        parts.append(f"EXISTS (SELECT 1 FROM layers_supervision s WHERE s.incident_id = {alias}.id{kind}{overdue})")
    return "".join(f" AND {p}" for p in parts)


def _reported(alias: str, lower: str | None, upper: str | None) -> str:
    sql_ = f" AND {alias}.reported_at >= %({lower})s" if lower else ""
    return sql_ + (f" AND {alias}.reported_at < %({upper})s" if upper else "")


def _raw(sel: Selection, group: str, bucket: str | None, where: str, lower: str | None, upper: str | None,
         light: bool = False) -> str:
    """The figures counted from the incidents' rows with the definitions (taken at %(f_at)s); `light`:
    intake and closed only (a chart's buckets), the other sums zero."""
    key = f"{group} AS area_code" + (f", figures_{bucket}(i.reported_at) AS bucket" if bucket else "")
    if light:
        return f"""
        SELECT {key}, count(*) AS intake, count(*) FILTER (WHERE figures_closed(i.closed_at, %(f_at)s)) AS closed,
               0 AS late, 0 AS close_seconds, 0 AS rated, 0 AS satisfied, 0 AS satisfaction_sum, 0 AS overdue_open,
               0 AS accept_overdue, 0 AS due_soon
        FROM layers_incident i
        WHERE {where}{_conditions(sel, 'i')}{_reported('i', lower, upper)}
        GROUP BY {'1, 2' if bucket else '1'}"""
    return f"""
        SELECT {key}, count(*) AS intake,
               count(*) FILTER (WHERE figures_closed(i.closed_at, %(f_at)s)) AS closed,
               count(*) FILTER (WHERE figures_closed(i.closed_at, %(f_at)s) AND figures_late(i.closed_at, i.due_at))
                   AS late,
               sum(figures_close_seconds(i.reported_at, i.closed_at))
                   FILTER (WHERE figures_closed(i.closed_at, %(f_at)s)) AS close_seconds,
               count(i.satisfaction) AS rated, count(*) FILTER (WHERE figures_satisfied(i.satisfaction)) AS satisfied,
               sum(i.satisfaction) AS satisfaction_sum,
               count(*) FILTER (WHERE figures_overdue(i.closed_at, i.due_at, %(f_at)s)
                                  AND (i.closed_at IS NULL OR i.closed_at > %(f_at)s)) AS overdue_open,
               count(*) FILTER (WHERE {flag_sql('accept_overdue', 'i')}) AS accept_overdue,
               count(*) FILTER (WHERE {flag_sql('due_soon', 'i')}) AS due_soon
        FROM layers_incident i
        WHERE {where}{_conditions(sel, 'i')}{_flags(sel, 'i')}{_reported('i', lower, upper)}
        GROUP BY {'1, 2' if bucket else '1'}"""


@dataclass(frozen=True)
class _Frame:
    """What the parts count per (the area expression) and over (the scope), written for a table alias:
    the incidents (i) and the open matters (o) name grid_code, dedicated_code and assignee_id alike, so the
    one definition serves both, instead of one text re-aliased by string replacement."""

    level: int | None
    areas: str | None = None
    dedicated: bool = False
    assignee: bool = False

    def group(self, alias: str) -> str:
        if self.level is None:
            return "''::text"
        # The length is written into the text (an int from LEVEL_LENGTH): the open matters' expression
        # indexes on left(grid_code, n) match only a literal n.
        return f"left({alias}.grid_code, {int(LEVEL_LENGTH[self.level])})"

    def scope(self, alias: str) -> str:
        sql_ = f"{alias}.grid_code LIKE %(f_prefix)s"
        if self.level is not None and self.areas:
            sql_ += f" AND {self.group(alias)} = ANY(ARRAY(SELECT area_code FROM {self.areas}))"
        if self.dedicated:
            sql_ += f" AND {alias}.dedicated_code = %(f_dedicated)s"
        if self.assignee:
            sql_ += f" AND {alias}.assignee_id = %(f_assignee)s"
        return sql_


def _months(alias: str, lower: bool, upper: bool, bucket: str | None, *, all_time: bool = True) -> str:
    """A rollup's months [f_m0, f_m1). Unbounded, a rollup with all-time rows (month NULL; `all_time`) reads
    only those, or, per bucket, only the monthly ones; layers_openrollup has none, so it reads every row."""
    sql_ = (f" AND {alias}.month >= %(f_m0)s" if lower else "") + (f" AND {alias}.month < %(f_m1)s" if upper else "")
    if not (lower or upper) and all_time:
        sql_ = f" AND {alias}.month IS NOT NULL" if bucket else f" AND {alias}.month IS NULL"
    return sql_


def row_conditions(sel: Selection, alias: str = "i", *, now: dt.datetime | None = None) -> tuple[str, dict]:
    """The selection as conditions on incident rows (class, status, severity, source, period, flags), for
    the readers that list rows rather than count them (tile points, exports, OGC): " AND …" and its
    parameters. The same text counts_sql applies, so a listed row is a counted row (flags are taken at
    the same moment, sel.at(now))."""
    since, until = ("f_since" if sel.since else None), ("f_until" if sel.until else None)
    return _conditions(sel, alias) + _flags(sel, alias) + _reported(alias, since, until), _params(sel, sel.at(now))


def _params(sel: Selection, at: dt.datetime) -> dict:
    """The selection's values, and the one moment its live conditions (flags, supervision) are taken at."""
    return {"f_categories": list(sel.categories), "f_statuses": list(sel.statuses),
            "f_severities": list(sel.severities), "f_sources": list(sel.sources),
            "f_subcategories": list(sel.subcategories), "f_since": sel.since,
            "f_until": sel.until, "f_department": sel.department, "f_at": at}


def counts_sql(sel: Selection, level: int | None, *, areas: str | None = None, bucket: str | None = None,
               now: dt.datetime | None = None, light: bool = False,
               counties: Iterable[str] | None = None) -> tuple[str, dict]:
    """CTE definitions ending in `counts` (to follow WITH or a comma), and their parameters.

    level   the level to count per (1-4: county, township, village, basic grid); None counts all the
            selection's rows as one area_code '' (a dedicated grid, a worker)
    areas   the name of a CTE with an `area_code` column listing the areas wanted (tiles, exports);
            None: every area of the level under the prefix
    bucket  None, "month" or "day": also group by the local month / day of report
    light   only intake and closed are wanted (the rows counted directly skip the other sums)
    counties  the counties `areas` lie in, when the prefix does not say (a map tile over a province: the
            tile's few counties); the incidents' rows are read from their partitions only, the others'
            never planned (geo.scope.counties_sql). None: the prefix's counties
    """
    now = now or timezone.now()
    at = sel.at(now)
    params: dict = {"f_prefix": sel.prefix + "%", "f_prefix_code": sel.prefix, **_params(sel, at)}
    frame = _Frame(level, areas if level is not None else None, bool(sel.dedicated), sel.assignee_id is not None)
    if sel.dedicated:
        params["f_dedicated"] = sel.dedicated
    if sel.assignee_id is not None:
        params["f_assignee"] = sel.assignee_id
    group = frame.group("i")

    # The incidents' own rows: also on the county the prefix implies, so that PostgreSQL reads only those
    # counties' partitions (geo/scope.py); layers_openincident and the rollup are not partitioned.
    # A dedicated grid's code starts with its village's, so it names the county as well as the prefix does.
    # A tile's counties are those of its areas inside the prefix: they replace the prefix's (no second look-up).
    rows_scope = frame.scope("i") + (counties_sql("i.county_code", counties) if counties is not None
                                     else county_sql("i.county_code", sel.dedicated or sel.prefix))
    since, until = ("f_since" if sel.since else None), ("f_until" if sel.until else None)
    plan = None if sel.raw_only or level is None or bucket == "day" else _month_plan(sel.since, sel.until, now)
    if sel.flags and not (sel.dedicated or sel.assignee_id is not None):
        parts = _flagged_parts(sel, bucket, frame, rows_scope, since, until)
    elif plan is None:
        parts = [_raw(sel, group, bucket, rows_scope, since, until, light)]
    else:
        m0, m1, edges = plan
        params.update(f_m0=m0, f_m1=m1, f_m0_at=local_midnight(m0), f_m1_at=local_midnight(m1))
        # The matters closed after the moment taken are corrected back to open. For a period running to
        # now there are none (closing times are set when closing), and the probe finds nothing at once;
        # it stays, so that a closing time after now (imported, or a clock ahead) is still counted right.
        if m0 is not None:  # without a first month the closing-time index alone finds them (after now: none)
            params["f_utc_months"] = _utc_months(local_midnight(m0), local_midnight(m1) if m1 else at)
        running = at == now
        if running:  # the open matters' month boundary (OpenRollup: whole due months before it are overdue)
            month = _month_start(at, up=False)
            params.update(f_at_month=month, f_at_month_at=local_midnight(month))
        parts = _rollup_parts(sel, frame, bucket, rows_scope, m0 is not None, m1 is not None, running)
        for n, (sign, lower, upper) in enumerate(edges):
            params[f"f_edge{n}_lo"], params[f"f_edge{n}_hi"] = lower, upper
            raw = _raw(sel, group, bucket, rows_scope, f"f_edge{n}_lo", f"f_edge{n}_hi", light)
            parts.append(raw if sign > 0 else _negated(raw, bucket))
    key = "area_code, bucket" if bucket else "area_code"
    sql_ = f"""f_parts AS ({' UNION ALL '.join(parts)}
        ),
        counts AS (
            SELECT {key}, sum(intake)::int AS intake, (sum(intake) - coalesce(sum(closed), 0))::int AS open,
                   coalesce(sum(closed), 0)::int AS closed,
                   (coalesce(sum(closed), 0) - coalesce(sum(late), 0))::int AS on_time,
                   coalesce(sum(late), 0)::int AS late,
                   (coalesce(sum(late), 0) + coalesce(sum(overdue_open), 0))::int AS overdue,
                   coalesce(sum(close_seconds), 0)::float8 AS close_seconds, coalesce(sum(rated), 0)::int AS rated,
                   coalesce(sum(satisfied), 0)::int AS satisfied,
                   coalesce(sum(satisfaction_sum), 0)::int AS satisfaction_sum,
                   coalesce(sum(accept_overdue), 0)::int AS accept_overdue, coalesce(sum(due_soon), 0)::int AS due_soon
            FROM f_parts GROUP BY {key}
        )"""
    return sql_, params


def _month_plan(since: dt.datetime | None, until: dt.datetime | None, now: dt.datetime
                ) -> tuple[dt.date | None, dt.date | None, list[tuple[int, dt.datetime, dt.datetime]]] | None:
    """Which rollup months [m0, m1) to add up, and which rows to add (+1) or take away (-1) at either end,
    so that together they count exactly [since, until); None when counting the rows is cheaper.

    Each end takes the cheaper side: a period from the 3rd reads its first month from the rollup less the
    rows of the 1st and 2nd, one from the 28th reads the rows of the 28th onwards; nothing is reported
    after now, so a period running to today takes its last month whole (a "last 30 days" is then a few
    days of rows, not thirty).
    """
    edges: list[tuple[int, dt.datetime, dt.datetime]] = []
    raw = dt.timedelta(0)
    m0 = m1 = None
    if since is not None:
        floor, ceil = _month_start(since, up=False), _month_start(since, up=True)
        add = min(local_midnight(ceil), now) - since
        take = since - local_midnight(floor)
        if add <= take:
            m0 = ceil
            if local_midnight(ceil) > since:
                edges.append((1, since, local_midnight(ceil)))
            raw += max(add, dt.timedelta(0))
        else:
            m0 = floor
            edges.append((-1, local_midnight(floor), since))
            raw += take
    if until is not None:
        floor, ceil = _month_start(until, up=False), _month_start(until, up=True)
        add = until - local_midnight(floor)
        take = max(min(local_midnight(ceil), now) - until, dt.timedelta(0))
        if take < add:
            m1 = ceil
            if take > dt.timedelta(0):
                edges.append((-1, until, local_midnight(ceil)))
            raw += take
        else:
            m1 = floor
            if add > dt.timedelta(0):
                edges.append((1, local_midnight(floor), until))
            raw += add
    if m0 is not None and m1 is not None and m0 >= m1:
        return None  # no whole month between the ends
    if since is not None and raw >= min(until or now, now) - since:
        return None  # the rows of the period are no more than the edges' rows
    return m0, m1, edges


def _negated(raw: str, bucket: str | None) -> str:
    """A raw part's sums with the sign turned: the rows an end takes away from a whole month."""
    key = "area_code, bucket" if bucket else "area_code"
    return f"""
        SELECT {key}, -intake, -closed, -late, -close_seconds, -rated, -satisfied, -satisfaction_sum, -overdue_open,
               -accept_overdue, -due_soon
        FROM ({raw}) AS taken"""


def _rollup_parts(sel: Selection, frame: _Frame, bucket: str | None, rows_scope: str, lower: bool, upper: bool,
                  running: bool = False) -> list[str]:
    """The whole months: the rollup's sums, corrected to the moment taken, plus the open overdue ones.
    `rows_scope` is the frame's scope on the incidents' rows, with their county (partition pruning)."""
    level, areas, group = frame.level, frame.areas, frame.group("i")
    # A prefix finer than the level (a grid-scoped user at township zoom) sums that finer level's rows;
    # a city or province sums its counties' rows.
    rlevel = LENGTH_LEVEL.get(len(sel.prefix), level) if len(sel.prefix) > LEVEL_LENGTH[level] else level
    rlevel = max(rlevel, ROLLUP_TOP)
    length = LEVEL_LENGTH[level]
    period_bounds = ("f_m0_at" if lower else None), ("f_m1_at" if upper else None)
    period = _reported("i", *period_bounds)
    r_bucket = ", r.month AS bucket" if bucket else ""
    i_bucket = ", figures_month(i.reported_at) AS bucket" if bucket else ""
    groups = "1, 2" if bucket else "1"
    rollup = f"""
        SELECT left(r.area_code, {int(length)}) AS area_code{r_bucket}, sum(r.n) AS intake,
               sum(r.n) FILTER (WHERE r.status = 'closed') AS closed, sum(r.late) AS late,
               sum(r.close_seconds) AS close_seconds, sum(r.rated) AS rated, sum(r.satisfied) AS satisfied,
               sum(r.satisfaction_sum) AS satisfaction_sum, 0 AS overdue_open, 0 AS accept_overdue, 0 AS due_soon
        FROM layers_incidentrollup r
        WHERE r.level = {int(rlevel)} AND r.area_code LIKE %(f_prefix)s{_in_areas('r', areas, rlevel, level)}
              {_months('r', lower, upper, bucket)}{_conditions(sel, 'r')}
        GROUP BY {groups}"""
    # Closed after the moment taken: still open then, so not closed, not late, perhaps overdue. Probed
    # month by month of report (index incident_report_month_closed), so a past period reads only its
    # rows closed after its end, not every matter closed since.
    probe = f" AND {REPORT_MONTH} = ANY(%(f_utc_months)s)" if lower else ""
    # The probe alone finds them (OFFSET 0 keeps the rest outside): left to itself, the planner ANDed it
    # with a scan of the period's whole range of the report-time index (a county's year: 220,000 entries,
    # 60-110 ms at full scale, per compared period) to skip a few thousand heap visits it overestimated.
    reopened = f"""
        SELECT {group} AS area_code{i_bucket}, 0, -count(*),
               -count(*) FILTER (WHERE figures_late(i.closed_at, i.due_at)),
               -sum(figures_close_seconds(i.reported_at, i.closed_at)), 0, 0, 0,
               count(*) FILTER (WHERE figures_overdue(i.closed_at, i.due_at, %(f_at)s)),
               count(*) FILTER (WHERE {flag_sql('accept_overdue', 'i')}),
               count(*) FILTER (WHERE {flag_sql('due_soon', 'i')})
        FROM (SELECT * FROM layers_incident i WHERE i.closed_at > %(f_at)s{probe} AND {rows_scope} OFFSET 0) AS i
        WHERE true{_conditions(sel, 'i')}{period}
        GROUP BY {groups}"""
    if running and rlevel in OPEN_ROLLUP_LEVELS and not (sel.statuses or sel.severities):
        return [rollup, reopened, *_open_rolled(sel, frame, rlevel, bucket, lower, upper, period_bounds)]
    return [rollup, reopened, _open_now(sel, bucket, frame, period_bounds, flagged=False)]


def _in_areas(alias: str, areas: str | None, rlevel: int, level: int) -> str:
    """A rollup's rows of the areas wanted (a CTE's area_code), read at rollup level `rlevel` for `level`.
    = ANY(ARRAY(…)): the planner probes the rollup's key index once per area, where an IN (SELECT …) of a
    CTE it cannot count made it read every row of the level."""
    if not areas:
        return ""
    if rlevel == level:
        return f" AND {alias}.area_code = ANY(ARRAY(SELECT area_code FROM {areas}))"
    return f" AND left({alias}.area_code, {int(LEVEL_LENGTH[level])}) = ANY(ARRAY(SELECT area_code FROM {areas}))"


# The levels layers_openrollup holds (county, township, village): what the map counts per area at z ≤ 11.
OPEN_ROLLUP_LEVELS = (1, 2, 3)


def _open_rolled(sel: Selection, frame: _Frame, rlevel: int, bucket: str | None, lower: bool, upper: bool,
                 period_bounds: tuple[str | None, str | None]) -> list[str]:
    """The open matters' live figures at the moment taken, now (a period running to now), for counties,
    townships and villages: the same figures _open_now counts, read from layers_openrollup where they are
    whole.

    overdue (figures_overdue: due_at < at)   the rollup's rows due in a month before the moment's month,
                                             + the rows due from that month's first instant on
                                               (index openincident_left<n>_due), with the definition
    due within 24 h (figures_due_soon)       the same rows (due from the month's start to at + 24 h)
    acceptance overdue                       the open matters not accepted (index openincident_unaccepted:
                                             a few per county), with the definition
    A matter accepted after the moment taken (a few milliseconds ago: the moment is now) is read as accepted.
    """
    o_group, o_scope, o_period = frame.group("o"), frame.scope("o"), _reported("o", *period_bounds)
    groups = "1, 2" if bucket else "1"
    in_areas = _in_areas("q", frame.areas, rlevel, frame.level)
    q_months = _months("q", lower, upper, bucket, all_time=False)
    q_bucket = ", q.month AS bucket" if bucket else ""
    zeros = "0 AS intake, 0 AS closed, 0 AS late, 0 AS close_seconds, 0 AS rated, 0 AS satisfied, 0 AS satisfaction_sum"
    rolled = f"""
        SELECT left(q.area_code, {int(LEVEL_LENGTH[frame.level])}) AS area_code{q_bucket}, {zeros},
               sum(q.n) AS overdue_open, 0 AS accept_overdue, 0 AS due_soon
        FROM layers_openrollup q
        WHERE q.level = {int(rlevel)} AND q.area_code LIKE %(f_prefix)s{in_areas}{q_months}
              AND q.due_month < %(f_at_month)s{_conditions(sel, 'q')}
        GROUP BY {groups}"""
    o_bucket = ", figures_month(o.reported_at) AS bucket" if bucket else ""
    due = f"""
        SELECT {o_group} AS area_code{o_bucket}, {zeros},
               count(*) FILTER (WHERE figures_overdue(NULL, o.due_at, %(f_at)s)) AS overdue_open, 0 AS accept_overdue,
               count(*) FILTER (WHERE {flag_sql('due_soon', 'o', open_table=True)}) AS due_soon
        FROM layers_openincident o
        WHERE {o_scope} AND o.due_at >= %(f_at_month_at)s AND o.due_at < %(f_at)s + interval '24 hours'
              {_conditions(sel, 'o')}{o_period}
        GROUP BY {groups}"""
    unaccepted = f"""
        SELECT {o_group} AS area_code{o_bucket}, {zeros}, 0 AS overdue_open,
               count(*) FILTER (WHERE {flag_sql('accept_overdue', 'o', open_table=True)}) AS accept_overdue,
               0 AS due_soon
        FROM layers_openincident o
        WHERE o.accepted_at IS NULL AND {o_scope}{_conditions(sel, 'o')}{o_period}
        GROUP BY {groups}"""
    return [rolled, due, unaccepted]


def _open_now(sel: Selection, bucket: str | None, frame: _Frame, period_bounds: tuple[str | None, str | None], *,
              flagged: bool) -> str:
    """The open matters (layers_openincident) reported within `period_bounds` (parameter names): their live
    figures at the moment taken; `flagged`: they are the selection itself (a flag filter), so they count as
    intake and open too."""
    o_bucket = ", figures_month(o.reported_at) AS bucket" if bucket else ""
    intake = "count(*)" if flagged else "0"
    where = frame.scope("o") + _conditions(sel, "o") + _flags(sel, "o", open_table=True)
    where += _reported("o", *period_bounds)
    group = frame.group("o")
    return f"""
        SELECT {group} AS area_code{o_bucket}, {intake} AS intake, 0 AS closed, 0 AS late, 0 AS close_seconds,
               0 AS rated, 0 AS satisfied, 0 AS satisfaction_sum,
               count(*) FILTER (WHERE figures_overdue(NULL, o.due_at, %(f_at)s)) AS overdue_open,
               count(*) FILTER (WHERE {flag_sql('accept_overdue', 'o', open_table=True)}) AS accept_overdue,
               count(*) FILTER (WHERE {flag_sql('due_soon', 'o', open_table=True)}) AS due_soon
        FROM layers_openincident o
        WHERE {where}
        GROUP BY {'1, 2' if bucket else '1'}"""


def _flagged_parts(sel: Selection, bucket: str | None, frame: _Frame, rows_scope: str, since: str | None,
                   until: str | None) -> list[str]:
    """A selection narrowed to live flags holds only matters open at the moment taken: those open now
    (layers_openincident, a few thousand rows) and those closed since (index incident_closed). Nothing
    closed by then, so closed, late and the closing times are 0; ratings are counted as _raw counts them."""
    period = _reported("i", since, until)
    groups = "1, 2" if bucket else "1"
    i_bucket = ", figures_month(i.reported_at) AS bucket" if bucket else ""
    closed_since = f"""
        SELECT {frame.group('i')} AS area_code{i_bucket}, count(*), 0, 0, 0, count(i.satisfaction),
               count(*) FILTER (WHERE figures_satisfied(i.satisfaction)), coalesce(sum(i.satisfaction), 0),
               count(*) FILTER (WHERE figures_overdue(i.closed_at, i.due_at, %(f_at)s)),
               count(*) FILTER (WHERE {flag_sql('accept_overdue', 'i')}),
               count(*) FILTER (WHERE {flag_sql('due_soon', 'i')})
        FROM layers_incident i
        WHERE i.closed_at > %(f_at)s AND {rows_scope}{_conditions(sel, 'i')}{_flags(sel, 'i')}{period}
        GROUP BY {groups}"""
    return [_open_now(sel, bucket, frame, (since, until), flagged=True), closed_since]


# ------------------------------------------------------------------------------------------ values

def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    """A unit's figures for one period. Every field adds up across units, so a parent's figures are the
    sum of its children's; rates and means are derived (None when there is nothing to divide)."""

    intake: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    satisfaction_sum: float = 0.0
    hours_sum: float = 0.0  # hours from report to closure, summed over the closed
    accept_overdue: int = 0  # open, not accepted, past the acceptance limit (受理超期), at the moment taken
    due_soon: int = 0  # open, due within the next 24 hours (临期), at the moment taken

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple:
        return _values(self)

    @property
    def late(self) -> int:
        return self.closed - self.on_time

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.intake)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.closed)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def satisfaction_mean(self) -> float | None:
        return _rate(self.satisfaction_sum, self.rated)

    @property
    def hours_to_close(self) -> float | None:
        """Mean time from report to closure, in hours."""
        return _rate(self.hours_sum, self.closed)

    @classmethod
    def from_row(cls, row: dict) -> Figures:
        """From a row of the `counts` CTE."""
        return cls(intake=row["intake"], open=row["open"], overdue=row["overdue"], closed=row["closed"],
                   on_time=row["on_time"], rated=row["rated"], satisfied=row["satisfied"],
                   satisfaction_sum=float(row["satisfaction_sum"]), hours_sum=row["close_seconds"] / 3600,
                   accept_overdue=row["accept_overdue"], due_soon=row["due_soon"])

    def as_api(self) -> dict:
        """The figures as /api/stats writes them (rates to 4 places, hours to 2)."""
        def rounded(value: float | None, places: int) -> float | None:
            return None if value is None else round(value, places)
        return {"intake": self.intake, "open": self.open, "overdue": self.overdue, "closed": self.closed,
                "closed_on_time": self.on_time, "closure_rate": rounded(self.closure_rate, 4),
                "on_time_rate": rounded(self.on_time_rate, 4),
                "mean_hours_to_close": rounded(self.hours_to_close, 2), "rated": self.rated,
                "satisfaction_rate": rounded(self.satisfaction_rate, 4),
                "satisfaction_mean": rounded(self.satisfaction_mean, 2), "accept_overdue": self.accept_overdue,
                "due_soon": self.due_soon}


_FIELDS = tuple(f.name for f in fields(Figures))
# One C call per Figures: a county's pages sum ~1,600 grids several times (a getattr loop was ~25 ms of it).
_values = attrgetter(*_FIELDS)


def total(figures: Iterable[Figures]) -> Figures:
    """Field-wise sum (thousands of grids: summed as columns, not one Figures per step)."""
    columns = list(zip(*(f.values() for f in figures), strict=True))
    return Figures(*(sum(column) for column in columns)) if columns else Figures()


def by_area(sel: Selection, level: int | None, *, now: dt.datetime | None = None) -> dict[str, Figures]:
    """{area code: figures} for every area of `level` under the selection's prefix that has incidents
    (level None: the whole selection as one entry, keyed '')."""
    cte, params = counts_sql(sel, level, now=now)
    return {row["area_code"]: Figures.from_row(row)
            for row in sql.rows(f"WITH {cte} SELECT * FROM counts", params, prepare=True)}


def by_bucket(sel: Selection, level: int | None, bucket: str, *, now: dt.datetime | None = None
              ) -> dict[dt.date, Figures]:
    """{first day of the local month/day: intake and closed} of the selection, as one unit of `level`."""
    cte, params = counts_sql(sel, level, bucket=bucket, now=now, light=True)
    result: dict[dt.date, Figures] = {}
    for row in sql.rows(f"WITH {cte} SELECT * FROM counts", params, prepare=True):
        result[row["bucket"]] = result.get(row["bucket"], Figures()) + Figures.from_row(row)
    return result


def unit_level(code: str) -> int | None:
    """The rollup level a unit code counts at (None for a dedicated grid, 16 digits)."""
    return LENGTH_LEVEL.get(len(code))


def child_level(code: str) -> int | None:
    """The level of a unit's children that tile it (dedicated grids overlap basic grids: never children)."""
    return {2: 0, 4: 1, 6: 2, 9: 3, 12: 4}.get(len(code))

