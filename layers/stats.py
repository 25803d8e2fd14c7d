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

One aggregate query per unit (FILTER clauses, from Django's `Count(filter=...)`), over the covering
indexes of migration 0003: a county's year is an index-only scan. A unit is a prefix of grid_code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from geo.access import Access
from geo.errors import InvalidInput, NotFound
from grids.codes import CODE_LENGTH, Level
from grids.models import Area, Worker, get_area
from layers import inputs
from layers.models import Incident, IncidentQuerySet
from layers.represent import iso

SATISFIED = 4  # ratings of 4 and 5 count as satisfied (满意), as in the 济源 satisfaction rate


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


def shape(row: Mapping[str, Any]) -> dict[str, Any]:
    """Counts and rates from one aggregate row (rates are None when there is nothing to divide)."""
    intake, closed, on_time, rated = row["intake"], row["closed"], row["closed_on_time"], row["rated"]
    close_time = row["close_time"]
    mean = row["satisfaction_avg"]
    return {
        "intake": intake,
        "open": intake - closed,
        "overdue": row["overdue"],
        "closed": closed,
        "closed_on_time": on_time,
        "closure_rate": _rate(closed, intake),
        "on_time_rate": _rate(on_time, closed),
        "mean_hours_to_close": round(close_time.total_seconds() / 3600, 2) if close_time is not None else None,
        "rated": rated,
        "satisfaction_rate": _rate(row["satisfied"], rated),
        "satisfaction_mean": round(float(mean), 2) if mean is not None else None,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(incidents: QuerySet, period: Period) -> dict[str, Any]:
    """The figures of a queryset of incidents (a unit, a worker...) over a period: one query."""
    row = incidents.reported_between(period.since, period.until).aggregate(**aggregates(period.as_of))
    return shape(row)


def unit_figures(access: Access, code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /api/stats/<code>: the unit's figures, and with ?children=1 each child unit's."""
    area = get_area(code, access.scope)
    period = parse_period(params)
    incidents = Incident.objects.within(area.code)
    body: dict[str, Any] = {"area": {"code": area.code, "name": area.name, "level": area.level},
                            "period": period.as_dict(), "figures": figures(incidents, period)}
    if params.get("children") in {"1", "true", "yes"}:
        body["children"] = child_figures(area, incidents, period)
    return body


def child_figures(area: Area, incidents: QuerySet, period: Period) -> list[dict[str, Any]]:
    """Each child unit's figures from one GROUP BY on the grid-code prefix (dedicated grids are not
    children here: their incidents are counted in the basic grid that also holds them)."""
    child_level = {Level.COUNTY: Level.TOWNSHIP, Level.TOWNSHIP: Level.VILLAGE, Level.VILLAGE: Level.GRID}.get(
        Level(area.level))
    if child_level is None:
        return []
    length = CODE_LENGTH[child_level]
    rows = {row["unit"]: row for row in (
        incidents.reported_between(period.since, period.until).annotate(unit=Substr("grid_id", 1, length))
        .values("unit").annotate(**aggregates(period.as_of)).order_by())}
    empty = dict.fromkeys(("intake", "closed", "closed_on_time", "overdue", "rated", "satisfied"), 0) | {
        "close_time": None, "satisfaction_avg": None}
    return [{"code": child.code, "name": child.name, "figures": shape(rows.get(child.code, empty))}
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
