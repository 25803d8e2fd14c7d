"""Workload figures equal counts computed directly in SQL; overdue at the due-time boundary; the weekly
ranking and the red and black lists."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from grids.models import Assignment, Worker
from layers.figures.ranking import Standing, _place
from layers.incidents.represent import iso
from layers.models import Incident
from tests.support.incidents import EAST_POINT, SCHOOL, SCHOOL_POINT, WEST_POINT, make_world

T0 = timezone.make_aware(dt.datetime(2025, 1, 1))


@pytest.fixture
def world(tree):
    return make_world(tree)


def make(world, reported, *, point=WEST_POINT, due=None, closed=None, satisfaction=None, worker="W-WEST",
         category="dispute") -> Incident:
    return Incident.objects.create(
        location=Point(*point, srid=4326), category=category, source="walk_in", reported_at=reported,
        due_at=due, closed_at=closed, status="closed" if closed else "in_progress", satisfaction=satisfaction,
        assignee=world.workers.get(worker) if isinstance(worker, str) else worker)


@pytest.fixture
def history(world):
    """400 incidents over Dec 2024 - Mar 2025 in both grids: open, closed early, closed late, rated or not."""
    rng = random.Random(7)
    rows = []
    for _ in range(400):
        reported = T0 - dt.timedelta(days=31) + dt.timedelta(minutes=rng.randrange(0, 120 * 24 * 60))
        closed = reported + dt.timedelta(hours=rng.uniform(1, 24 * 40)) if rng.random() < 0.8 else None
        worker = rng.choice(["W-WEST", "C-EAST", None])
        rows.append(Incident(
            location=Point(*rng.choice([WEST_POINT, EAST_POINT]), srid=4326), category="dispute", source="walk_in",
            reported_at=reported, due_at=reported + dt.timedelta(days=rng.choice([1, 7, 30])), closed_at=closed,
            status="closed" if closed else "in_progress",
            satisfaction=rng.choice([None, 2, 3, 4, 5]) if closed else None,
            assignee=world.workers[worker] if worker else None))
    Incident.objects.bulk_create(rows)  # placed by the trigger, like any write
    return world


DIRECT_SQL = """
    SELECT count(*),
           count(*) FILTER (WHERE closed_at <= %(as_of)s),
           count(*) FILTER (WHERE closed_at <= %(as_of)s AND (due_at IS NULL OR closed_at <= due_at)),
           count(*) FILTER (WHERE due_at < %(as_of)s AND (closed_at IS NULL OR closed_at > due_at)),
           count(satisfaction),
           count(*) FILTER (WHERE satisfaction >= 4),
           avg(satisfaction),
           avg(extract(epoch FROM closed_at - reported_at)) FILTER (WHERE closed_at <= %(as_of)s),
           count(*) FILTER (WHERE accept_due_at < %(as_of)s AND (accepted_at IS NULL OR accepted_at > %(as_of)s)
                                  AND (closed_at IS NULL OR closed_at > %(as_of)s)),
           count(*) FILTER (WHERE due_at >= %(as_of)s AND due_at < %(as_of)s + interval '24 hours'
                                  AND (closed_at IS NULL OR closed_at > %(as_of)s))
    FROM layers_incident
    WHERE grid_code LIKE %(prefix)s AND reported_at >= %(since)s AND reported_at < %(until)s
      AND (%(assignee)s::bigint IS NULL OR assignee_id = %(assignee)s::bigint)
"""


def direct(prefix: str, since: dt.datetime, until: dt.datetime, assignee: int | None = None) -> dict:
    as_of = min(until, timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(DIRECT_SQL, {"prefix": prefix + "%", "since": since, "until": until, "as_of": as_of,
                                    "assignee": assignee})
        intake, closed, on_time, overdue, rated, satisfied, mean, seconds, accept_overdue, due_soon = cursor.fetchone()
    return {"intake": intake, "open": intake - closed, "overdue": overdue, "closed": closed,
            "closed_on_time": on_time, "closure_rate": round(closed / intake, 4) if intake else None,
            "on_time_rate": round(on_time / closed, 4) if closed else None,
            "mean_hours_to_close": round(float(seconds) / 3600, 2) if seconds is not None else None,
            "rated": rated, "satisfaction_rate": round(satisfied / rated, 4) if rated else None,
            "satisfaction_mean": round(float(mean), 2) if mean is not None else None,
            "accept_overdue": accept_overdue, "due_soon": due_soon}


PERIODS = [
    ("2025-01-01", "2025-01-31"),
    ("2024-12-15T08:00:00+08:00", "2025-02-10T17:30:00+08:00"),
    ("2025-03-01", "2025-03-31"),
    ("2025-01-05T13:17:00+08:00", "2025-02-20T03:05:00+08:00"),  # partial UTC days at both ends
    ("2025-01-10T10:00:00+08:00", "2025-01-10T18:00:00+08:00"),  # inside one day
    (None, None),  # this year so far: nothing in the history
    ("2024-01-01", "2026-12-31"),  # runs past now: figures as of now
]
UNITS = ["county", "township", "village", "west", "east"]


@pytest.mark.parametrize(("since", "until"), PERIODS)
@pytest.mark.parametrize("unit", UNITS)
def test_unit_figures_equal_direct_sql(history, unit, since, until):
    code = history.tree[unit].code
    body = history.get("op", f"/api/stats/{code}", {k: v for k, v in (("since", since), ("until", until)) if v})
    assert body.status_code == 200, body.content
    body = body.json()
    start = dt.datetime.fromisoformat(body["period"]["since"])
    end = dt.datetime.fromisoformat(body["period"]["until"])
    assert body["figures"] == direct(code, start, end)


def rollup() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT level, area_code, month, category, severity, status, n, late, close_seconds, rated,
                                 satisfied, satisfaction_sum FROM layers_incidentrollup
                          WHERE (n, late, rated, close_seconds) <> (0, 0, 0, 0) ORDER BY 1, 2, 3, 4, 5, 6""")
        return cursor.fetchall()


def rebuilt() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT figures_rebuild()")
    return rollup()


def test_the_rollup_follows_every_write_path(world, inside_east):
    """Intake, loop steps, a rating, a move to another grid, bulk writes, updates and deletes."""
    pk = world.report(point=WEST_POINT).json()["id"]
    for action, payload in (("accept", {}), ("dispatch", {}), ("start", {}), ("resolve", {}), ("verify", {}),
                            ("close", {"satisfaction": 5})):
        assert world.post("op", f"/api/incidents/{pk}/{action}", payload).status_code == 200
    world.post("op", f"/api/incidents/{pk}/rate", {"satisfaction": 2})
    moved = make(world, T0, due=T0 + dt.timedelta(days=1))
    moved.location = inside_east
    moved.save()
    Incident.objects.bulk_create([Incident(location=Point(*EAST_POINT, srid=4326), category="dispute",
                                           source="walk_in", reported_at=T0 + dt.timedelta(days=i),
                                           due_at=T0 + dt.timedelta(days=i + 1)) for i in range(5)])
    Incident.objects.filter(reported_at__range=(T0 + dt.timedelta(days=3), T0 + dt.timedelta(days=9))).update(
        reported_at=T0 - dt.timedelta(days=40))
    Incident.objects.filter(reported_at__lt=T0 - dt.timedelta(days=30)).delete()
    assert Incident.objects.count() == 5
    assert rollup() == rebuilt()
    monthly = [row for row in rollup() if row[2] is not None]
    all_time = [row for row in rollup() if row[2] is None]
    for rows in (monthly, all_time):
        assert sum(row[6] for row in rows if row[0] == 3) == sum(row[6] for row in rows if row[0] == 2) == 5


def test_a_date_as_until_includes_that_day(history):
    period = history.get("op", "/api/stats/419001", {"since": "2025-01-01", "until": "2025-01-31"}).json()["period"]
    assert (period["since"], period["until"]) == ("2025-01-01T00:00:00+08:00", "2025-02-01T00:00:00+08:00")


def test_children_add_up_to_the_parent(history):
    body = history.get("op", f"/api/stats/{history.tree['village'].code}",
                       {"since": "2024-12-01", "until": "2025-03-31", "children": "1"}).json()
    assert [c["code"] for c in body["children"]] == [history.tree["west"].code, history.tree["east"].code]
    for name in ("intake", "open", "overdue", "closed", "closed_on_time", "rated"):
        assert sum(c["figures"][name] for c in body["children"]) == body["figures"][name]


def test_a_dedicated_grid_counts_the_incidents_placed_in_it(world):
    make(world, T0, point=SCHOOL_POINT, due=T0 + dt.timedelta(days=1))
    make(world, T0, point=WEST_POINT, due=T0 + dt.timedelta(days=1))
    body = world.get("op", f"/api/stats/{SCHOOL}", {"since": "2025-01-01", "until": "2025-01-31"}).json()
    assert (body["figures"]["intake"], body["figures"]["overdue"]) == (1, 1)


def test_worker_figures_equal_direct_sql(history):
    body = history.get("op", "/api/stats/workers/W-WEST", {"since": "2024-12-01", "until": "2025-03-31"}).json()
    start = dt.datetime.fromisoformat(body["period"]["since"])
    end = dt.datetime.fromisoformat(body["period"]["until"])
    assert body["figures"] == direct("", start, end, assignee=history.workers["W-WEST"].pk)
    assert body["figures"]["intake"] > 0


@pytest.mark.parametrize(("who", "path", "status"), [
    ("leader", "/api/stats/419001", 404),  # the county is above a township leader's scope
    ("gw_west", "/api/stats/419001103200002", 404),
    ("gw_west", "/api/stats/419001103200001", 200),
    ("analyst", "/api/stats/419001", 200),
    (None, "/api/stats/419001", 401),
    ("op", "/api/stats/419009", 404),
    ("gw_west", "/api/stats/workers/C-EAST", 404),
])
def test_stats_access(world, who, path, status):
    assert world.get(who, path).status_code == status


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"since": "last week"}, "since", "expected an ISO 8601 date"),
    ({"until": "2025-02-30"}, "until", "not a valid date"),
    ({"since": "2025-03-01", "until": "2025-02-01"}, "since", "must be before until"),
])
def test_bad_periods(world, params, field, message):
    error = world.get("op", "/api/stats/419001", params).json()["error"]
    assert error["field"] == field and message in error["message"]


# ---- overdue at the boundary -----------------------------------------------------------------------

TICK = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(("at_offset", "overdue"), [(-TICK, False), (dt.timedelta(0), False), (TICK, True)])
def test_open_incident_becomes_overdue_just_after_its_due_time(world, at_offset, overdue):
    due = T0 + dt.timedelta(days=1)
    incident = make(world, T0, due=due)
    at = due + at_offset
    assert incident.is_overdue(at) is overdue
    assert Incident.objects.overdue(at).filter(pk=incident.pk).exists() is overdue
    figures = world.get("op", "/api/stats/419001", {"since": iso(T0), "until": iso(at)}).json()["figures"]
    assert figures["overdue"] == int(overdue)


@pytest.mark.parametrize(("closed_offset", "overdue"), [(-TICK, False), (dt.timedelta(0), False), (TICK, True)])
def test_closing_exactly_at_the_due_time_is_on_time(world, closed_offset, overdue):
    due = T0 + dt.timedelta(days=1)
    incident = make(world, T0, due=due, closed=due + closed_offset)
    assert incident.is_overdue(T0 + dt.timedelta(days=5)) is overdue
    figures = world.get("op", "/api/stats/419001", {"since": "2025-01-01", "until": "2025-01-10"}).json()["figures"]
    assert (figures["overdue"], figures["closed_on_time"]) == (int(overdue), int(not overdue))


def test_a_matter_closed_late_was_overdue_while_it_was_open(world):
    make(world, T0, due=T0 + dt.timedelta(days=1), closed=T0 + dt.timedelta(days=3))
    as_of = lambda until: world.get("op", "/api/stats/419001", {"since": "2025-01-01", "until": until}).json()  # noqa: E731
    assert as_of(iso(T0 + dt.timedelta(hours=12)))["figures"]["overdue"] == 0
    two_days = as_of(iso(T0 + dt.timedelta(days=2)))["figures"]
    assert (two_days["overdue"], two_days["open"], two_days["closed"]) == (1, 1, 0)
    later = as_of("2025-01-10")["figures"]
    assert (later["overdue"], later["open"], later["closed"], later["on_time_rate"]) == (1, 0, 1, 0.0)


def test_the_incident_shows_its_overdue_flag(world):
    incident = make(world, timezone.now() - dt.timedelta(days=2), due=timezone.now() - dt.timedelta(seconds=1))
    assert world.get("op", f"/api/incidents/{incident.pk}").json()["properties"]["overdue"] is True


# ---- weekly ranking --------------------------------------------------------------------------------

def monday(week: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisocalendar(2025, week, 1), dt.time()))


@pytest.fixture
def staffed(world):
    """Four more workers in the township; weeks 9 and 10 of 2025.

    A: 2 closed on time in week 9, 3 in week 10          → top of the town: red list
    B: 1 closed on time in week 10
    C: one matter overdue since week 9, still open       → −1 both weeks, bottom 2 twice: black list
    D: two matters overdue in week 10 only               → −2 in week 10, 0 in week 9: not black
    """
    people = {}
    for code in "ABCD":
        worker = Worker.objects.create(employee_no=f"X-{code}", name=code)
        Assignment.objects.create(worker=worker, area=world.tree["west" if code in "AB" else "east"])
        people[code] = worker
    w9, w10 = monday(9), monday(10)
    for start, count in ((w9, 2), (w10, 3)):
        for i in range(count):
            make(world, start + dt.timedelta(hours=i), due=start + dt.timedelta(days=1),
                 closed=start + dt.timedelta(hours=i + 5), worker=people["A"])
    make(world, w10, due=w10 + dt.timedelta(days=1), closed=w10 + dt.timedelta(hours=3), worker=people["B"])
    make(world, w9, point=EAST_POINT, due=w9 + dt.timedelta(days=1), worker=people["C"])
    for i in range(2):
        make(world, w10 + dt.timedelta(hours=i), point=EAST_POINT, due=w10 + dt.timedelta(days=1),
             worker=people["D"])
    # Closed late in week 9: counts against C in week 9 only, not again in week 10.
    make(world, w9 - dt.timedelta(days=3), point=EAST_POINT, due=w9 - dt.timedelta(days=2),
         closed=w9 + dt.timedelta(days=1), worker=people["C"])
    return world


def test_weekly_scores_ranks_and_lists(staffed):
    body = staffed.get("op", "/api/stats/workers", {"area": "419001103", "week": "2025-W10"}).json()
    rows = {r["employee_no"]: r for r in body["workers"]}
    assert (body["since"], body["until"]) == ("2025-03-03T00:00:00+08:00", "2025-03-10T00:00:00+08:00")
    assert {k: (rows[f"X-{k}"]["closed_on_time"], rows[f"X-{k}"]["overdue"], rows[f"X-{k}"]["score"])
            for k in "ABCD"} == {"A": (3, 0, 3), "B": (1, 0, 1), "C": (0, 1, -1), "D": (0, 2, -2)}
    assert rows["X-C"]["previous_week"]["score"] == -2  # the open matter and the one closed late
    assert rows["X-A"]["rank_town"] == 1 and rows["X-D"]["rank_town"] == len(rows)
    assert body["red_list"] == ["X-A", "X-B"]
    assert body["black_list"] == ["X-C"]


def test_an_ended_weeks_ranking_is_kept_and_a_running_week_is_counted_again(staffed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layers.figures import ranking

    first = ranking.week_ranking("419001103", 2025, 10)
    with CaptureQueriesContext(connection) as queries:
        assert ranking.week_ranking("419001103", 2025, 10) == first
    assert len(queries) == 0
    year, week, _ = timezone.localdate().isocalendar()
    ranking.week_ranking("419001103", year, week)
    with CaptureQueriesContext(connection) as queries:
        ranking.week_ranking("419001103", year, week)
    assert len(queries) > 0


def test_ranking_is_scoped(staffed):
    west = staffed.get("gw_west", "/api/stats/workers", {"week": "2025-W10"}).json()
    assert {r["employee_no"] for r in west["workers"]} == {"W-WEST", "X-A", "X-B"}
    assert staffed.get("gw_west", "/api/stats/workers", {"area": "419001103200002"}).status_code == 404


@pytest.mark.parametrize(("week", "message"), [("2025-10", "expected an ISO week"), ("2025-W54", "does not exist")])
def test_bad_weeks(world, week, message):
    error = world.get("op", "/api/stats/workers", {"area": "419001", "week": week}).json()["error"]
    assert error["field"] == "week" and message in error["message"]


def standing(no: str, score: int) -> Standing:
    person = Standing(worker_id=int(no[1:]), employee_no=no, name=no, town="419001103", grid="419001103200001")
    person.closed_on_time, person.overdue = max(score, 0), max(-score, 0)
    return person


@pytest.mark.parametrize(("scores", "bottom", "top"), [
    ({"w1": 2, "w2": 1, "w3": 0, "w4": -1, "w5": -2}, {"w4", "w5"}, {"w1", "w2"}),
    ({"w1": 3, "w2": 0, "w3": 0, "w4": 0, "w5": -1}, {"w5"}, {"w1"}),  # only negative scores at the bottom
    ({"w1": 0, "w2": 0, "w3": 0}, set(), set()),  # a quiet week singles nobody out, whatever the ties
    ({"w1": 1, "w2": -1}, set(), set()),  # a township of 2 has no "bottom 2" or "top 2"
])
def test_places_and_list_flags_in_a_township(scores, bottom, top):
    members = [standing(no, score) for no, score in scores.items()]
    _place(members, district=False)
    assert {p.employee_no for p in members if p.flags["bottom_town"]} == bottom
    assert {p.employee_no for p in members if p.flags["top_town"]} == top
    assert [p.rank_town for p in sorted(members, key=lambda p: p.employee_no)] == list(range(1, len(scores) + 1))
    assert {p.n_town for p in members} == {len(scores)}
