"""Comparisons (layers/figures/compare.py): which periods the previous period (环比) and the year before
(同比) are, leap days and month ends included, and /api/stats' compared figures equal the same counts
written directly in SQL over those periods; breakdowns add up to the unit."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from layers.dashboards.kpis import change
from layers.dashboards.period import Period
from layers.figures import compare
from layers.models import Incident
from tests.layers.figures.test_stats import direct
from tests.support.incidents import EAST_POINT, WEST_POINT, make_world

D = dt.date


@pytest.mark.parametrize(("first", "last", "previous", "year_before"), [
    # Whole months: the previous whole months, the same months a year before (month lengths follow).
    (D(2025, 2, 1), D(2025, 2, 28), (D(2025, 1, 1), D(2025, 1, 31)), (D(2024, 2, 1), D(2024, 2, 29))),
    (D(2024, 2, 1), D(2024, 2, 29), (D(2024, 1, 1), D(2024, 1, 31)), (D(2023, 2, 1), D(2023, 2, 28))),
    (D(2024, 3, 1), D(2024, 3, 31), (D(2024, 2, 1), D(2024, 2, 29)), (D(2023, 3, 1), D(2023, 3, 31))),
    (D(2025, 4, 1), D(2025, 6, 30), (D(2025, 1, 1), D(2025, 3, 31)), (D(2024, 4, 1), D(2024, 6, 30))),
    (D(2025, 1, 1), D(2025, 12, 31), (D(2024, 1, 1), D(2024, 12, 31)), (D(2024, 1, 1), D(2024, 12, 31))),
    # Runs of days: the same number of days just before; the same days a year before, 29 Feb → 28 Feb.
    (D(2024, 2, 29), D(2024, 2, 29), (D(2024, 2, 28), D(2024, 2, 28)), (D(2023, 2, 28), D(2023, 2, 28))),
    (D(2025, 2, 28), D(2025, 2, 28), (D(2025, 2, 27), D(2025, 2, 27)), (D(2024, 2, 28), D(2024, 2, 28))),
    (D(2025, 3, 31), D(2025, 3, 31), (D(2025, 3, 30), D(2025, 3, 30)), (D(2024, 3, 31), D(2024, 3, 31))),
    (D(2024, 2, 23), D(2024, 2, 29), (D(2024, 2, 16), D(2024, 2, 22)), (D(2023, 2, 23), D(2023, 2, 28))),
    (D(2025, 1, 15), D(2025, 2, 13), (D(2024, 12, 16), D(2025, 1, 14)), (D(2024, 1, 15), D(2024, 2, 13))),
])
def test_comparison_periods(first, last, previous, year_before):
    assert compare.previous_days(first, last) == previous
    assert compare.year_before_days(first, last) == year_before


def test_a_period_with_times_moves_by_its_length_and_by_a_calendar_year():
    zone = timezone.get_default_timezone()
    since = dt.datetime(2024, 2, 29, 13, 0, tzinfo=zone)
    until = dt.datetime(2024, 3, 2, 1, 30, tzinfo=zone)
    assert compare.previous(since, until) == (since - (until - since), since)
    assert compare.year_before(since, until) == (dt.datetime(2023, 2, 28, 13, 0, tzinfo=zone),
                                                 dt.datetime(2023, 3, 2, 1, 30, tzinfo=zone))


@pytest.fixture
def years(tree):
    """700 incidents over 2023-01 .. 2025-06, and some at the first and last instants of leap days and
    month ends, in both grids, open, closed early and closed late."""
    world = make_world(tree)
    zone = timezone.get_default_timezone()
    rng = random.Random(20)
    start = dt.datetime(2023, 1, 1, tzinfo=zone)
    moments = [start + dt.timedelta(minutes=rng.randrange(0, 910 * 24 * 60)) for _ in range(700)]
    for day in (D(2024, 2, 29), D(2024, 2, 28), D(2023, 2, 28), D(2023, 3, 1), D(2024, 3, 1), D(2025, 2, 28),
                D(2025, 3, 1), D(2024, 3, 31), D(2025, 3, 31), D(2025, 3, 30), D(2024, 4, 30), D(2025, 1, 31)):
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        moments += [midnight, midnight + dt.timedelta(days=1) - dt.timedelta(microseconds=1)]
    rows = []
    for reported in moments:
        closed = reported + dt.timedelta(hours=rng.uniform(1, 24 * 40)) if rng.random() < 0.8 else None
        rows.append(Incident(
            location=Point(*rng.choice([WEST_POINT, EAST_POINT]), srid=4326),
            category=rng.choice(["dispute", "petition", "safety_hazard"]), subcategory=rng.choice(["", "邻里", "土地"]),
            source=rng.choice(["walk_in", "grid_discovery"]), severity=rng.choice(["general", "major"]),
            reported_at=reported, due_at=reported + dt.timedelta(days=rng.choice([1, 7, 30])), closed_at=closed,
            status="closed" if closed else "in_progress", satisfaction=rng.choice([None, 3, 5]) if closed else None))
    Incident.objects.bulk_create(rows)
    return world


CASES = [
    ("2025-02-01", "2025-02-28"),  # February after a leap year: its year before has 29 days
    ("2024-02-01", "2024-02-29"),  # leap February: 28 days a year before
    ("2024-02-29", "2024-02-29"),  # the leap day alone: 28 February a year before
    ("2024-03-01", "2024-03-31"),  # March: the previous period is leap February
    ("2025-03-31", "2025-03-31"),  # a month's last day
    ("2025-01-01", "2025-03-31"),  # a quarter
    ("2024-02-23", "2024-02-29"),  # seven days to a leap day
    ("2025-01-05T13:17:00+08:00", "2025-02-20T03:05:00+08:00"),  # times of day: moved by length and by a year
]


@pytest.mark.parametrize(("since", "until"), CASES)
@pytest.mark.parametrize("unit", ["county", "township", "west"])
def test_compared_figures_equal_direct_sql(years, unit, since, until):
    code = years.tree[unit].code
    response = years.get("op", f"/api/stats/{code}", {"since": since, "until": until})
    assert response.status_code == 200, response.content
    body = response.json()
    for kind in compare.KINDS:
        stated = body["compare"][kind]
        start = dt.datetime.fromisoformat(stated["period"]["since"])
        end = dt.datetime.fromisoformat(stated["period"]["until"])
        assert stated["figures"] == direct(code, start, end), kind
        assert stated["change"]["intake"]["delta"] == body["figures"]["intake"] - stated["figures"]["intake"]
        before = stated["figures"]["intake"]
        expected = round((body["figures"]["intake"] - before) / before, 4) if before else None
        assert stated["change"]["intake"]["ratio"] == expected


def test_the_stated_periods_are_the_whole_months_and_days(years):
    body = years.get("op", f"/api/stats/{years.tree['county'].code}",
                     {"since": "2025-02-01", "until": "2025-02-28"}).json()
    assert body["compare"]["year_before"]["period"] == {"since": "2024-02-01T00:00:00+08:00",
                                                        "until": "2024-03-01T00:00:00+08:00"}
    assert body["compare"]["previous"]["period"] == {"since": "2025-01-01T00:00:00+08:00",
                                                     "until": "2025-02-01T00:00:00+08:00"}


def test_children_carry_their_comparisons_and_add_up(years):
    body = years.get("op", f"/api/stats/{years.tree['county'].code}",
                     {"since": "2024-02-01", "until": "2024-02-29", "children": "1"}).json()
    for kind in compare.KINDS:
        assert sum(c["compare"][kind]["figures"]["intake"] for c in body["children"]) == \
            body["compare"][kind]["figures"]["intake"]


@pytest.mark.parametrize("by", ["class", "subclass", "source", "severity"])
def test_breakdowns_add_up_to_the_unit(years, by):
    code = years.tree["township"].code
    body = years.get("op", f"/api/stats/{code}", {"since": "2024-03-01", "until": "2024-03-31", "by": by}).json()
    rows = body["by"][by]
    assert rows
    for kind in compare.KINDS:
        total = sum(r["compare"][kind]["figures"]["closed"] for r in rows)
        unit = body["compare"][kind]["figures"]["closed"]
        # Sub-classes list only the named ones: incidents with none are in the unit, not in a row.
        assert total == unit if by != "subclass" else 0 < total <= unit
    assert sum(r["figures"]["intake"] for r in rows) == body["figures"]["intake"] or by == "subclass"


def test_a_breakdown_by_class_equals_direct_sql(years):
    code = years.tree["county"].code
    body = years.get("op", f"/api/stats/{code}", {"since": "2025-02-01", "until": "2025-02-28", "by": "class"}).json()
    petitions = next(r for r in body["by"]["class"] if r["value"] == "petition")
    zone = timezone.get_default_timezone()
    since, until = dt.datetime(2024, 2, 1, tzinfo=zone), dt.datetime(2024, 3, 1, tzinfo=zone)
    expected = Incident.objects.filter(category="petition", reported_at__gte=since, reported_at__lt=until).count()
    assert petitions["compare"]["year_before"]["figures"]["intake"] == expected


def test_an_unknown_breakdown_is_refused_naming_the_field(years):
    response = years.get("op", f"/api/stats/{years.tree['county'].code}", {"by": "class,colour"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "by"


def test_the_drill_down_shows_each_child_unit_against_a_year_before(years):
    """The township page's child table: each village's intake and its change on the same days a year
    before, equal to /api/stats' comparison of that village."""
    code = years.tree["township"].code
    page = years.get("op", f"/dashboards/township/{code}/", {"since": "2025-02-01", "until": "2025-02-28"})
    assert page.status_code == 200
    html = page.content.decode()
    stats = years.get("op", f"/api/stats/{code}", {"since": "2025-02-01", "until": "2025-02-28",
                                                      "children": "1"}).json()
    for child in stats["children"]:
        now, before = child["figures"]["intake"], child["compare"]["year_before"]["figures"]["intake"]
        assert f'{now} <span class="gm-yoy">{change(now, before)}</span>' in html
    assert Period(D(2025, 2, 1), D(2025, 2, 28)).year_before() == Period(D(2024, 2, 1), D(2024, 2, 29))


@pytest.mark.parametrize(("first", "last"), [(D(2025, 2, 1), D(2025, 2, 28)), (D(2024, 2, 29), D(2024, 2, 29)),
                                             (D(2025, 3, 31), D(2025, 3, 31))])
def test_the_kpi_cards_year_before_equals_direct_sql(years, first, last):
    from layers.dashboards import data, kpis

    code = years.tree["township"].code
    period = Period(first, last)
    kpi = data.unit_kpis(code, period)
    shifted = period.year_before()
    expected = direct(code, shifted.start(), shifted.end())
    assert (kpi.year_before.intake, kpi.year_before.closed, kpi.year_before.overdue) == (
        expected["intake"], expected["closed"], expected["overdue"])
    card = next(c for c in kpis.cards(kpi, {k: k for k, _, _ in kpis.CARDS}) if c.key == "intake")
    assert card.year_before == f"{expected['intake']:,}"
    assert card.yoy_delta == f"{kpi.current.intake - expected['intake']:+,}".replace("-", "−")
