"""An ended period's figures are kept a while across requests (layers.figures.kept); a period that has
not ended is counted afresh every time, so today's cards follow every new matter."""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import Point
from django.utils import timezone

from layers.dashboards import data
from layers.dashboards.period import Period
from layers.figures import kept
from layers.models import Incident
from tests.support.incidents import WEST_POINT, make_world


def report(at: dt.datetime) -> None:
    Incident.objects.create(location=Point(*WEST_POINT, srid=4326), category="dispute", source="walk_in",
                            reported_at=at, status="in_progress")


def intake(code: str, period: Period) -> int:
    with data.request_scope():
        return data.unit_kpis(code, period).current.intake


def test_an_ended_period_is_kept_and_the_current_one_is_not(tree):
    make_world(tree)
    code = tree["township"].code  # the township
    today = timezone.localdate()
    current = Period(today - dt.timedelta(days=6), today)
    past = Period(today - dt.timedelta(days=400), today - dt.timedelta(days=370))
    noon = dt.time(12)
    report(timezone.make_aware(dt.datetime.combine(past.since + dt.timedelta(days=3), noon)))
    report(timezone.now() - dt.timedelta(minutes=5))
    assert intake(code, past) == 1 and intake(code, current) == 1

    # A matter reported now counts at once in the current period.
    report(timezone.now() - dt.timedelta(minutes=1))
    assert intake(code, current) == 2
    # An old matter imported into the ended period shows only once the kept figures go (CACHE_SECONDS).
    report(timezone.make_aware(dt.datetime.combine(past.since + dt.timedelta(days=5), noon)))
    assert intake(code, past) == 1
    kept.forget()
    assert intake(code, past) == 2


def test_the_key_separates_what_the_figures_depend_on(tree):
    make_world(tree)
    code = tree["township"].code
    today = timezone.localdate()
    past = Period(today - dt.timedelta(days=400), today - dt.timedelta(days=370))
    report(timezone.make_aware(dt.datetime.combine(past.since + dt.timedelta(days=3), dt.time(12))))
    assert intake(code, past) == 1
    with data.request_scope(department="no-such-department"):  # a department sees only its own matters
        assert data.unit_kpis(code, past).current.intake == 0
    with data.request_scope():
        assert data.unit_kpis(code, past, "petition").current.intake == 0
    assert intake(code, past) == 1


def test_stats_comparisons_of_whole_days_are_kept_and_those_ending_at_a_moment_are_not(tree):
    """/api/stats' comparisons go through kept.by_area too: the same period a year before a period of dates
    is kept; the one before `until=now` (the default) ends at a moment that differs at every request, so it
    is counted afresh and never fills the keeper."""
    from dataclasses import replace

    from layers.figures.counts import Selection, local_midnight

    make_world(tree)
    today = timezone.localdate()
    day = today - dt.timedelta(days=380)
    report(timezone.make_aware(dt.datetime.combine(day, dt.time(12))))
    whole = Selection(local_midnight(day - dt.timedelta(days=2)), local_midnight(day + dt.timedelta(days=2)),
                      prefix=tree["township"].code)
    moment = replace(whole, until=whole.until + dt.timedelta(minutes=7, microseconds=3))
    assert kept.by_area(whole, 2)[tree["township"].code].intake == 1
    assert kept.by_area(moment, 2)[tree["township"].code].intake == 1
    report(timezone.make_aware(dt.datetime.combine(day, dt.time(15))))
    assert kept.by_area(whole, 2)[tree["township"].code].intake == 1  # kept
    assert kept.by_area(moment, 2)[tree["township"].code].intake == 2  # counted afresh
    assert len(kept._KEPT) == 1
