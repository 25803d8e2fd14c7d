"""The weekly ranking of grid workers and the red and black lists (兖州's rule, shared/domain.md).

Score, per worker and ISO week (Monday 00:00 to the next Monday, China Standard Time), over the
incidents assigned to the worker:

    score = closed on time during the week − overdue during the week

where "overdue during the week" is overdue at the week's end (IncidentQuerySet.overdue_q) and not
already closed before the week began: a matter closed late counts once, in the week it was closed;
one left open past its due time counts in every week it stays open.

Order: score descending, then fewer overdue, then more closed on time, then employee number (so
ties always break the same way). A worker belongs to the township of their grid (the lowest code if
they hold grids in several) and to the district (county) of the area asked about.

Lists for week W:
- black list (黑榜): in the bottom 2 of their township in both W and W−1, or in the bottom 10 of the
  district in both weeks;
- red list (红榜): in the top 2 of their township or the top 10 of the district in W.
Only a negative score can be a bottom place and only a positive one a top place, so a quiet week
with nothing late never black-lists anyone, whatever the ties.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from geo.access import Access
from geo.errors import InvalidInput
from grids.models import Assignment, get_area
from layers.models import Incident, IncidentQuerySet
from layers.represent import iso

TOWN_PLACES = 2
DISTRICT_PLACES = 10
WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")


@dataclass
class Standing:
    worker_id: int
    employee_no: str
    name: str
    town: str
    closed_on_time: int = 0
    overdue: int = 0
    rank_town: int = 0
    rank_district: int = 0
    bottom: bool = False
    top: bool = False
    flags: dict[str, bool] = field(default_factory=dict)

    @property
    def score(self) -> int:
        return self.closed_on_time - self.overdue

    def order(self) -> tuple:
        return (-self.score, self.overdue, -self.closed_on_time, self.employee_no)


def parse_week(value: str | None) -> tuple[int, int]:
    """'2025-W07' (ISO week); default the last complete week."""
    if not value:
        year, week, _ = (timezone.localdate() - dt.timedelta(days=7)).isocalendar()
        return year, week
    match = WEEK.match(value.strip())
    if not match:
        raise InvalidInput(f"week: expected an ISO week like 2025-W07, got {value!r}", field="week")
    year, week = int(match[1]), int(match[2])
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise InvalidInput(f"week: {value!r} does not exist ({exc})", field="week") from exc
    return year, week


def week_bounds(year: int, week: int) -> tuple[dt.datetime, dt.datetime]:
    monday = dt.date.fromisocalendar(year, week, 1)
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time()))
    return start, start + dt.timedelta(days=7)


def standings(district: str, start: dt.datetime, end: dt.datetime) -> dict[int, Standing]:
    """Every worker assigned in the district during [start, end), with their week's counts and places."""
    people: dict[int, Standing] = {}
    assignments = (_assigned(district, start, end)
                   .values_list("worker_id", "worker__employee_no", "worker__name", "area_id").order_by("area_id"))
    for worker_id, employee_no, name, area_code in assignments:
        people.setdefault(worker_id, Standing(worker_id, employee_no, name, town=area_code[:9]))
    # Open rows and rows closed since the week began, as two queries: each is an index-only scan (the
    # partial index incident_open, and incident_closed), where one query with an OR read every row.
    base = Incident.objects.within(district).filter(assignee_id__in=people.keys(), reported_at__lt=end)
    tallies = {
        "closed_on_time": Count("reported_at", filter=Q(closed_at__lt=end) & IncidentQuerySet.on_time_q(end)),
        "overdue": Count("reported_at", filter=IncidentQuerySet.overdue_q(end)),
    }
    for rows in (base.filter(closed_at__isnull=True), base.filter(closed_at__gte=start)):
        for row in rows.values("assignee_id").order_by().annotate(**tallies):
            person = people[row["assignee_id"]]
            person.closed_on_time += row["closed_on_time"]
            person.overdue += row["overdue"]
    _place(list(people.values()), district=True)
    by_town: dict[str, list[Standing]] = defaultdict(list)
    for person in people.values():
        by_town[person.town].append(person)
    for members in by_town.values():
        _place(members, district=False)
    return people


def _place(members: list[Standing], *, district: bool) -> None:
    places = DISTRICT_PLACES if district else TOWN_PLACES
    members.sort(key=Standing.order)
    for rank, person in enumerate(members, start=1):
        from_bottom = len(members) - rank + 1
        if district:
            person.rank_district = rank
        else:
            person.rank_town = rank
        person.flags["bottom_district" if district else "bottom_town"] = from_bottom <= places and person.score < 0
        person.flags["top_district" if district else "top_town"] = rank <= places and person.score > 0


def ranking(access: Access, area_code: str | None, week: str | None) -> dict[str, Any]:
    """GET /api/stats/workers?area=&week=: the week's standings of the workers in an area, with lists."""
    code = area_code or access.scope
    if not code:
        raise InvalidInput("area: give the code of the area to rank (a county, township, village or grid)",
                           field="area")
    area = get_area(code, access.scope)
    year, number = parse_week(week)
    start, end = week_bounds(year, number)
    previous = standings(area.code[:6], start - dt.timedelta(days=7), start)
    current = standings(area.code[:6], start, end)
    in_area = set(_assigned(area.code, start, end).values_list("worker_id", flat=True))
    rows = []
    for person in sorted(current.values(), key=lambda p: p.rank_district):
        if person.worker_id not in in_area:
            continue
        before = previous.get(person.worker_id)
        black = before is not None and ((person.flags["bottom_town"] and before.flags["bottom_town"])
                                        or (person.flags["bottom_district"] and before.flags["bottom_district"]))
        rows.append({
            "employee_no": person.employee_no, "name": person.name, "town": person.town,
            "closed_on_time": person.closed_on_time, "overdue": person.overdue, "score": person.score,
            "rank_town": person.rank_town, "rank_district": person.rank_district,
            "previous_week": None if before is None else {"score": before.score, "rank_town": before.rank_town,
                                                          "rank_district": before.rank_district},
            "red": person.flags["top_town"] or person.flags["top_district"],
            "black": black,
        })
    return {"area": {"code": area.code, "name": area.name}, "week": f"{year}-W{number:02d}",
            "since": iso(start), "until": iso(end),
            "score": "closed on time during the week − overdue during the week",
            "workers": rows, "red_list": [r["employee_no"] for r in rows if r["red"]],
            "black_list": [r["employee_no"] for r in rows if r["black"]]}


def _assigned(prefix: str, start: dt.datetime, end: dt.datetime):
    """Assignments of active workers to grids under `prefix` that overlap [start, end)."""
    return (Assignment.objects.filter(area__code__startswith=prefix, worker__active=True,
                                      valid_from__lt=timezone.localdate(end))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=timezone.localdate(start))))
