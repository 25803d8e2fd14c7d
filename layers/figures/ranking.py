"""The weekly ranking of grid workers and the red and black lists (兖州's rule, shared/domain.md).

Score, per worker and ISO week (Monday 00:00 to the next Monday, China Standard Time), over the
incidents assigned to the worker and the worker's patrols:

    score = closed on time during the week − overdue during the week + coverage points + video patrol points

where coverage points = round(10 × (share − 0.3)) and share is the part of the buildings of the worker's
basic grids that the worker's own tracks passed within 30 m during the week (field/coverage.py,
`ranking_points`; GRIDMAP_RANKING_COVERAGE_POINTS and _TARGET): a worker who never walks their grid loses 3
points a week, so reporting nothing because one never goes out does not rank well; one who passes every
building gains 7. Coverage counts only in a week when someone in the district uploaded a track (a county
that does not use the patrol app is ranked on its incidents alone), and only for workers who hold buildings.
Video patrol points: a video patrol (视频巡查 over the cameras, field/videopatrols.py) counts as a patrol, for the
worker who made it: POINTS (1) for each of the worker's own video patrols started in the week, at most MAX (2) a
week (GRIDMAP_RANKING_VIDEO_PATROL_POINTS and _MAX): a weekly midnight patrol is worth a point, and clicking
through cameras all week cannot outweigh walking one's grid. The count is the figure's per-worker definition
(field_video_patrol_workers), over the cameras of the district, whoever's unit the cameras lie in.
The app that knows coverage and video patrols (field) hands its functions over with `provide_coverage()`
(layers may not import it).

where "overdue during the week" is overdue at the week's end (IncidentQuerySet.overdue_q) and not
already closed before the week began: a matter closed late counts once, in the week it was closed;
one left open past its due time counts in every week it stays open.

Order: score descending, then fewer overdue, then more closed on time, then employee number (so
ties always break the same way). A worker belongs to the township of their grid (the lowest code if
they hold grids in several) and to the district (county) of the area asked about.

Lists for week W:
- black list (黑榜): in the bottom 2 of their township in both W and W−1, or in the bottom 10 of the
  district in both weeks;
- warning (预警): at the bottom (either list) in W, not black-listed;
- red list (红榜): in the top 2 of their township or the top 10 of the district in W.
Only a negative score can be a bottom place and only a positive one a top place, so a quiet week
with nothing late never black-lists anyone, whatever the ties; and a group no larger than its list
singles nobody out (a township of 2 workers has no "bottom 2").

Also counted, shown beside the score but not in it: the incidents the worker reported in the week
(网格发现上报). This module is the only ranking: /api/stats/workers and the dashboards' workload page
both read week_ranking().
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
from layers.figures import kept
from layers.incidents.represent import iso
from layers.models import Incident, IncidentQuerySet

# field's coverage per worker (field/coverage.py): f(district, start, end) → {worker id: share} or None, and
# share → points. Unset (field not installed): no coverage term.
COVERAGE: dict[str, Any] = {}


def provide_coverage(shares, points, video_patrols=None, video_points=None) -> None:
    """shares(district, start, end) → {worker id: share} or None; points(share) → int; video_patrols(district,
    start, end) → {worker id: video patrols made}; video_points(n) → int."""
    COVERAGE["shares"], COVERAGE["points"] = shares, points
    if video_patrols is not None:
        COVERAGE["video_patrols"], COVERAGE["video_points"] = video_patrols, video_points


TOWN_PLACES = 2
DISTRICT_PLACES = 10
WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")


@dataclass
class Standing:
    """A worker's week: counts, places in the township and district (1 = best), and list flags."""

    worker_id: int
    employee_no: str
    name: str
    town: str
    grid: str  # the grid the worker holds (the lowest code if several); town is its township
    closed_on_time: int = 0
    overdue: int = 0
    reported: int = 0
    coverage: float | None = None  # share of the worker's grid's buildings passed (None: not counted)
    coverage_points: int = 0
    video_patrols: int = 0  # the worker's own video patrols in the week (field/videopatrols.py)
    video_points: int = 0
    rank_town: int = 0
    rank_district: int = 0
    n_town: int = 0
    n_district: int = 0
    flags: dict[str, bool] = field(default_factory=dict)

    @property
    def score(self) -> int:
        return self.closed_on_time - self.overdue + self.coverage_points + self.video_points

    @property
    def bottom(self) -> bool:
        return self.flags["bottom_town"] or self.flags["bottom_district"]

    @property
    def top(self) -> bool:
        return self.flags["top_town"] or self.flags["top_district"]

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
    return weeks_standings(district, [(start, end)])[0]


def weeks_standings(district: str, weeks: list[tuple[dt.datetime, dt.datetime]]) -> list[dict[int, Standing]]:
    """standings() of several weeks at once: the incident rows are read once for all of them (each week is
    a pair of FILTERed counts), so the ranking's week and the week before cost one pass, not two."""
    people = [_people(district, start, end) for start, end in weeks]
    first, last = min(start for start, _ in weeks), max(end for _, end in weeks)
    # Open rows and rows closed since the first week began, as two queries: each is an index-only scan
    # (the partial index incident_open, and incident_closed), where one query with an OR read every row.
    # Per week: rows reported before its end, open at its start (open now, or closed since).
    # Rows of workers not ranked here (inactive, or no longer assigned in the district) are skipped in
    # Python: an IN list of a county's 3,000 workers cost more to build and bind than the scan itself.
    base = Incident.objects.within(district).filter(assignee_id__isnull=False, reported_at__lt=last)
    tallies = {}
    for k, (start, end) in enumerate(weeks):
        in_week = Q(reported_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=start))
        tallies[f"on_time_{k}"] = Count("reported_at", filter=in_week & Q(closed_at__lt=end)
                                        & IncidentQuerySet.on_time_q(end))
        tallies[f"overdue_{k}"] = Count("reported_at", filter=in_week & IncidentQuerySet.overdue_q(end))
    for rows in (base.filter(closed_at__isnull=True), base.filter(closed_at__gte=first)):
        for row in rows.values("assignee_id").order_by().annotate(**tallies):
            for k, week_people in enumerate(people):
                person = week_people.get(row["assignee_id"])
                if person is not None:
                    person.closed_on_time += row[f"on_time_{k}"]
                    person.overdue += row[f"overdue_{k}"]
    reports = (Incident.objects.within(district)
               .filter(reporter_worker_id__isnull=False, reported_at__gte=first, reported_at__lt=last)
               .values("reporter_worker_id").order_by()
               .annotate(**{f"n_{k}": Count("reported_at", filter=Q(reported_at__gte=start, reported_at__lt=end))
                            for k, (start, end) in enumerate(weeks)}))
    for row in reports:
        for k, week_people in enumerate(people):
            if row["reporter_worker_id"] in week_people:
                week_people[row["reporter_worker_id"]].reported = row[f"n_{k}"]
    if COVERAGE:
        for (start, end), week_people in zip(weeks, people, strict=True):
            shares = COVERAGE["shares"](district, start, end)
            if shares is None:
                continue
            for person in week_people.values():
                person.coverage = shares.get(person.worker_id)
                person.coverage_points = COVERAGE["points"](person.coverage)
    if COVERAGE.get("video_patrols"):
        for (start, end), week_people in zip(weeks, people, strict=True):
            made = COVERAGE["video_patrols"](district, start, end)
            for person in week_people.values():
                person.video_patrols = made.get(person.worker_id, 0)
                person.video_points = COVERAGE["video_points"](person.video_patrols)
    for week_people in people:
        _place(list(week_people.values()), district=True)
        by_town: dict[str, list[Standing]] = defaultdict(list)
        for person in week_people.values():
            by_town[person.town].append(person)
        for members in by_town.values():
            _place(members, district=False)
    return people


def _people(district: str, start: dt.datetime, end: dt.datetime) -> dict[int, Standing]:
    """The workers assigned in the district during [start, end), before counting."""
    people: dict[int, Standing] = {}
    assignments = (_assigned(district, start, end)
                   .values_list("worker_id", "worker__employee_no", "worker__name", "area_id").order_by("area_id"))
    for worker_id, employee_no, name, area_code in assignments:
        people.setdefault(worker_id, Standing(worker_id, employee_no, name, town=area_code[:9], grid=area_code))
    return people


def _place(members: list[Standing], *, district: bool) -> None:
    places = DISTRICT_PLACES if district else TOWN_PLACES
    listed = len(members) > places  # in a group no larger than the list, "the bottom 2" is everyone
    members.sort(key=Standing.order)
    for rank, person in enumerate(members, start=1):
        from_bottom = len(members) - rank + 1
        if district:
            person.rank_district, person.n_district = rank, len(members)
        else:
            person.rank_town, person.n_town = rank, len(members)
        person.flags["bottom_district" if district else "bottom_town"] = (
            listed and from_bottom <= places and person.score < 0)
        person.flags["top_district" if district else "top_town"] = listed and rank <= places and person.score > 0


@dataclass(frozen=True)
class Ranked:
    """A worker's week beside the week before, and the lists that follow from the two."""

    now: Standing
    before: Standing | None

    @property
    def black(self) -> bool:
        before = self.before
        return before is not None and ((self.now.flags["bottom_town"] and before.flags["bottom_town"])
                                       or (self.now.flags["bottom_district"] and before.flags["bottom_district"]))

    @property
    def red(self) -> bool:
        return self.now.top  # a top place needs a positive score, a bottom one a negative: never both

    @property
    def warning(self) -> bool:
        return self.now.bottom and not self.black


def week_ranking(area_code: str, year: int, week: int) -> list[Ranked]:
    """The workers of an area (any level), in district order, for ISO week `week` of `year`. Places are
    always within the whole district (county), whoever asks: the black-list rule is about the district.
    A week that has ended ranks the same for ever, and is kept a while (kept.py)."""
    start, end = week_bounds(year, week)
    return kept.ended(("week_ranking", area_code, year, week), end, lambda: _week_ranking(area_code, start, end))


def _week_ranking(area_code: str, start: dt.datetime, end: dt.datetime) -> list[Ranked]:
    district = area_code[:6]
    previous, current = weeks_standings(district, [(start - dt.timedelta(days=7), start), (start, end)])
    in_area = set(_assigned(area_code, start, end).values_list("worker_id", flat=True))
    return [Ranked(person, previous.get(person.worker_id))
            for person in sorted(current.values(), key=lambda p: p.rank_district) if person.worker_id in in_area]


def ranking(access: Access, area_code: str | None, week: str | None) -> dict[str, Any]:
    """GET /api/stats/workers?area=&week=: the week's standings of the workers in an area, with lists."""
    code = area_code or access.scope
    if not code:
        raise InvalidInput("area: give the code of the area to rank (a county, township, village or grid)",
                           field="area")
    area = get_area(code, access.scope)
    year, number = parse_week(week)
    start, end = week_bounds(year, number)
    rows = []
    for ranked in week_ranking(area.code, year, number):
        person, before = ranked.now, ranked.before
        rows.append({
            "employee_no": person.employee_no, "name": person.name, "town": person.town, "grid": person.grid,
            "reported": person.reported, "closed_on_time": person.closed_on_time, "overdue": person.overdue,
            "coverage": None if person.coverage is None else round(person.coverage, 4),
            "coverage_points": person.coverage_points,
            "video_patrols": person.video_patrols, "video_points": person.video_points,
            "score": person.score, "rank_town": person.rank_town, "rank_district": person.rank_district,
            "previous_week": None if before is None else {"score": before.score, "rank_town": before.rank_town,
                                                          "rank_district": before.rank_district},
            "red": ranked.red, "black": ranked.black, "warning": ranked.warning,
        })
    return {"area": {"code": area.code, "name": area.name}, "week": f"{year}-W{number:02d}",
            "since": iso(start), "until": iso(end),
            "score": "closed on time during the week − overdue during the week + coverage points "
                     "(round(10 × (share of the grid's buildings passed − 0.3)); 0 without patrol data) + video "
                     "patrol points (1 for each of the worker's own video patrols, at most 2 a week)",
            "workers": rows, "red_list": [r["employee_no"] for r in rows if r["red"]],
            "black_list": [r["employee_no"] for r in rows if r["black"]]}


def _assigned(prefix: str, start: dt.datetime, end: dt.datetime):
    """Assignments of active workers to grids under `prefix` that overlap [start, end)."""
    return (Assignment.objects.filter(area__code__startswith=prefix, worker__active=True,
                                      valid_from__lt=timezone.localdate(end))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=timezone.localdate(start))))
