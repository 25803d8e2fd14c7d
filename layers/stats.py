"""Workload figures (the numbers leaders read) for any unit or worker over any period.

Definitions, one place for all of them (the map's rollups and the dashboards must say the same):

- the period is [since, until); its *cohort* is the incidents reported in it;
- every figure is the cohort's state *as of* the period's end (or now, if the period has not ended),
  computed from the loop's step times, so last March reads the same today as it did in April;
- intake: the cohort's size; closed: closed by as-of; open: intake − closed;
- overdue: IncidentQuerySet.overdue_q(as-of), open past its due time or closed after it;
- closure rate: closed / intake; on-time rate: closed on time / closed (closing exactly at the due
  time is on time); mean time to close: over the closed, in hours;
- satisfaction: the mean of the 1-5 ratings, and the share of ratings that are 4 or 5.

How they are computed (a unit is a prefix of grid_code):

- counties, townships and villages: from the daily rollup layers_incidentday (township and village
  rows, kept by triggers) for the whole UTC days of the period, plus the rows of the partial days at either
  end, minus the cohort's rows that were still open at as-of (open now, or closed after as-of), read
  through a partial index; those rows also give the open-and-past-due part of "overdue". Closed
  late = closed − closed on time. One statement, layers/sql/stats_units.sql; a county's year costs a
  few thousand rollup rows and the open rows, not a million incidents.
- grids and workers: one aggregate query over their rows (FILTER clauses built from the queryset's
  overdue_q / closed_q / on_time_q), which are few.

The tests hold both paths to the same numbers as plain counts in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from geo.access import Access
from geo.errors import InvalidInput, NotFound
from grids.codes import CODE_LENGTH, Level
from grids.models import Area, Worker, get_area
from layers import inputs
from layers.models import Incident, IncidentDay, IncidentQuerySet
from layers.represent import iso
from layers.sql import run

SATISFIED = 4  # ratings of 4 and 5 count as satisfied (满意), as in the 济源 satisfaction rate
# Code lengths the daily rollup (township and village rows) can add up: county, township, village.
ROLLUP_LENGTHS = (6, 9, 12)
UTC_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    since: dt.datetime
    until: dt.datetime

    @property
    def as_of(self) -> dt.datetime:
        return min(self.until, timezone.now())

    def as_dict(self) -> dict[str, str | None]:
        return {"since": iso(self.since), "until": iso(self.until), "as_of": iso(self.as_of)}


def parse_period(params: Mapping[str, Any]) -> Period:
    """?since=&until= as dates or date-times; until is exclusive, and a date as until includes that day.

    Defaults: since the start of this calendar year, until now.
    """
    now = timezone.now()
    since = inputs.moment(params.get("since"), "since")
    until = inputs.moment(params.get("until"), "until", end_of_day=True) or now
    if since is None:
        since = timezone.make_aware(dt.datetime(timezone.localtime(until).year, 1, 1))
    if since >= until:
        raise InvalidInput(f"since ({iso(since)}) must be before until ({iso(until)})", field="since")
    return Period(since, until)


def aggregates(at: dt.datetime) -> dict[str, Any]:
    """The figures as aggregate expressions; counted over reported_at (never null, in every index)."""
    closed = IncidentQuerySet.closed_q(at)
    return {
        "intake": Count("reported_at"),
        "closed": Count("reported_at", filter=closed),
        "closed_on_time": Count("reported_at", filter=IncidentQuerySet.on_time_q(at)),
        "overdue": Count("reported_at", filter=IncidentQuerySet.overdue_q(at)),
        "close_time": Avg(F("closed_at") - F("reported_at"), filter=closed),
        "rated": Count("satisfaction"),
        "satisfied": Count("satisfaction", filter=Q(satisfaction__gte=SATISFIED)),
        "satisfaction_avg": Avg("satisfaction"),
    }


def shape(intake: int, closed: int, on_time: int, overdue: int, close_seconds: float | None, rated: int,
          satisfied: int, satisfaction: float | None) -> dict[str, Any]:
    """Counts and rates (None when there is nothing to divide); close_seconds and satisfaction are means."""
    return {
        "intake": intake,
        "open": intake - closed,
        "overdue": overdue,
        "closed": closed,
        "closed_on_time": on_time,
        "closure_rate": _rate(closed, intake),
        "on_time_rate": _rate(on_time, closed),
        "mean_hours_to_close": round(close_seconds / 3600, 2) if close_seconds is not None else None,
        "rated": rated,
        "satisfaction_rate": _rate(satisfied, rated),
        "satisfaction_mean": round(satisfaction, 2) if satisfaction is not None else None,
    }


def _from_aggregates(row: Mapping[str, Any]) -> dict[str, Any]:
    close_time, mean = row["close_time"], row["satisfaction_avg"]
    return shape(row["intake"], row["closed"], row["closed_on_time"], row["overdue"],
                 close_time.total_seconds() if close_time is not None else None, row["rated"], row["satisfied"],
                 float(mean) if mean is not None else None)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


EMPTY = shape(0, 0, 0, 0, None, 0, 0, None)


def figures(incidents: QuerySet, period: Period) -> dict[str, Any]:
    """The figures of a queryset of incidents (a grid, a worker...) over a period: one query."""
    cohort = incidents.reported_between(period.since, period.until)
    return _from_aggregates(cohort.aggregate(**aggregates(period.as_of)))


def rollup_figures(prefix: str, group_length: int, period: Period) -> dict[str, dict[str, Any]]:
    """{unit code: figures} for the units of `group_length` under `prefix`, from the daily rollup."""
    since, until = period.since, period.until
    first = _utc_midnight(since, up=True)
    last = _utc_midnight(until, up=False)
    if first >= last:  # no whole UTC day inside: the rows of [since, until) are all "partial day"
        first = last = until
    level = IncidentDay.Level.TOWNSHIP if group_length <= CODE_LENGTH[Level.TOWNSHIP] else IncidentDay.Level.VILLAGE
    params = {"prefix": prefix + "%", "len": group_length, "level": level, "since": since, "until": until,
              "as_of": period.as_of, "first_day": first.date(), "last_day": last.date(), "head_end": first,
              "tail_start": last}
    result = {}
    for row in run("stats_units", params):
        closed, rated = row["closed"], row["rated"]
        result[row["unit"]] = shape(row["intake"], closed, row["closed_on_time"], row["overdue"],
                                    float(Decimal(row["close_seconds"]) / closed) if closed else None,
                                    rated, row["satisfied"], row["satisfaction_sum"] / rated if rated else None)
    return result


def _utc_midnight(moment: dt.datetime, *, up: bool) -> dt.datetime:
    """The UTC midnight at or after (up) / at or before `moment`: the rollup's day boundaries."""
    utc = moment.astimezone(dt.UTC)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + UTC_DAY if up and midnight < utc else midnight


def unit_figures(access: Access, code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /api/stats/<code>: the unit's figures, and with ?children=1 each child unit's."""
    area = get_area(code, access.scope)
    period = parse_period(params)
    if len(area.code) in ROLLUP_LENGTHS:
        own = rollup_figures(area.code, len(area.code), period).get(area.code, EMPTY)
    elif area.level == Level.DEDICATED:  # its incidents are those placed in it (they also count in a basic grid)
        own = figures(Incident.objects.within(access.scope).filter(dedicated_grid=area.code), period)
    else:
        own = figures(Incident.objects.within(area.code), period)
    body: dict[str, Any] = {"area": {"code": area.code, "name": area.name, "level": area.level},
                            "period": period.as_dict(), "figures": own}
    if params.get("children") in {"1", "true", "yes"}:
        body["children"] = child_figures(area, period)
    return body


def child_figures(area: Area, period: Period) -> list[dict[str, Any]]:
    """Each child unit's figures from one grouped query (dedicated grids are not children here: their
    incidents are counted in the basic grid that also holds them)."""
    child_level = {Level.COUNTY: Level.TOWNSHIP, Level.TOWNSHIP: Level.VILLAGE, Level.VILLAGE: Level.GRID}.get(
        Level(area.level))
    if child_level is None:
        return []
    length = CODE_LENGTH[child_level]
    if length in ROLLUP_LENGTHS:
        by_unit = rollup_figures(area.code, length, period)
    else:
        rows = (Incident.objects.within(area.code).reported_between(period.since, period.until)
                .annotate(unit=Substr("grid_id", 1, length)).values("unit")
                .annotate(**aggregates(period.as_of)).order_by())
        by_unit = {row["unit"]: _from_aggregates(row) for row in rows}
    return [{"code": child.code, "name": child.name, "figures": by_unit.get(child.code, EMPTY)}
            for child in Area.objects.current().filter(parent=area, level=child_level).order_by("code")]


def worker_figures(access: Access, employee_no: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /api/stats/workers/<employee_no>: the figures of the incidents assigned to a worker."""
    worker = Worker.objects.within(access.scope).filter(employee_no=employee_no).first()
    if worker is None:
        raise NotFound(f"no worker {employee_no}")
    period = parse_period(params)
    incidents = Incident.objects.within(access.scope).filter(assignee=worker)
    return {"worker": {"employee_no": worker.employee_no, "name": worker.name, "role": worker.role},
            "period": period.as_dict(), "figures": figures(incidents, period)}
