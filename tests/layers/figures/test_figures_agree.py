"""Each figure has one definition: counted by hand from the rows, it equals what every reader shows.

For a grid and its township, over a past ISO week (a period with no whole month: the readers count rows)
and over a quarter ending with that week (whole months: the readers add the rollup up and correct it),
the figures computed here with plain SQL written out in full equal those of the workload tile,
/api/stats, the dashboards' KPI cards, the workload export and, for the week, the worker ranking.
The incidents are chosen to exercise every clause: closed on time, closed late, closed exactly at the
due time, open past due, open not yet due, no due time, and closed after the period's end (open and
overdue as of then, closed now).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from grids.models import Assignment, Worker
from layers.dashboards import data
from layers.dashboards.kpis import cards
from layers.dashboards.period import Period
from layers.figures import ranking
from tests.support.tiles import features, make

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def week() -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the last complete ISO week."""
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    return monday, monday + dt.timedelta(days=6)


@pytest.fixture
def incidents(county, week):
    """A worker holding the west grid, and matters of every kind assigned to them in the week; more in
    the months before it (for the quarter), one in the east grid and one in another township."""
    worker = Worker.objects.create(employee_no="W-1", name="网格员甲")
    Assignment.objects.create(worker=worker, area=county["west"])
    monday, sunday = week
    end = local(sunday + D, 0)
    west, east, other = (112.45, 35.05), (112.55, 35.05), (112.65, 35.05)
    tue, wed, thu = local(monday + D, 9), local(monday + 2 * D, 10), local(monday + 3 * D, 15)
    rows = [
        (west, dict(reported_at=tue, due_at=tue + D, status="closed", closed_at=tue + 5 * H)),       # on time
        (west, dict(reported_at=tue, due_at=tue + D, status="closed", closed_at=tue + 2 * D)),       # late
        (west, dict(reported_at=wed, due_at=wed + D, status="closed", closed_at=wed + D)),           # at due
        (west, dict(reported_at=wed, due_at=wed + H, status="accepted")),                           # open, past due
        (west, dict(reported_at=thu, due_at=end + 30 * D, status="reported")),                      # open, not due
        (west, dict(reported_at=thu, due_at=None, status="closed", closed_at=thu + H)),              # no due time
        (west, dict(reported_at=thu, due_at=thu + D, status="closed", closed_at=end + 2 * D)),       # closed after
        (west, dict(reported_at=thu, due_at=end + D, status="closed", closed_at=end + 3 * D)),       # after, not due
        (east, dict(reported_at=tue, due_at=tue + D, status="closed", closed_at=tue + H)),
        (other, dict(reported_at=wed, due_at=wed + H, status="reported")),
    ]
    for months_back in (1, 2):  # whole months before the week: the quarter's rollup part
        first = (monday.replace(day=1) - dt.timedelta(days=28 * months_back)).replace(day=3)
        start = local(first, 11)
        rows += [(west, dict(reported_at=start, due_at=start + D, status="closed", closed_at=start + 2 * D,
                             satisfaction=5)),
                 (west, dict(reported_at=start + H, due_at=start + D, status="in_progress")),
                 (east, dict(reported_at=start, due_at=start + D, status="closed", closed_at=start + H,
                             satisfaction=3))]
    in_week = local(monday, 0)
    for point, values in rows:  # the worker holds the week's matters of their grid (the ranking's week)
        make(*point, assignee=worker if point == west and values["reported_at"] >= in_week else None, **values)
    return worker


def by_hand(prefix: str, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """The definitions written out in plain SQL, independent of the figures' functions."""
    at = min(until, timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*),
                   count(*) FILTER (WHERE closed_at <= %(at)s),
                   count(*) FILTER (WHERE closed_at <= %(at)s AND (due_at IS NULL OR closed_at <= due_at)),
                   count(*) FILTER (WHERE due_at < %(at)s AND (closed_at IS NULL OR closed_at > due_at))
            FROM layers_incident
            WHERE grid_code LIKE %(prefix)s AND reported_at >= %(since)s AND reported_at < %(until)s""",
                       {"at": at, "prefix": prefix + "%", "since": since, "until": until})
        intake, closed, on_time, overdue = cursor.fetchone()
    return {"intake": intake, "open": intake - closed, "closed": closed, "on_time": on_time, "overdue": overdue}


KEYS = ("intake", "open", "closed", "on_time", "overdue")
KEYS_LABELS = {k: k for k in ("intake", "open", "overdue", "accept_overdue", "due_soon", "closure_rate",
                              "on_time_rate", "satisfaction")}


def from_tile(client, key, code, z, since, until) -> dict[str, int]:
    lon, lat = (112.45, 35.05)
    found = {f["properties"]["code"]: f["properties"]
             for f in features(client, key, "workload", z, lon, lat, since=since, until=until)}
    return {k: found[code][k] for k in KEYS}


def from_stats(client, key, code, since, until) -> dict[str, int]:
    body = client.get(f"/api/stats/{code}?since={since}&until={until}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    f = body["figures"]
    return {"intake": f["intake"], "open": f["open"], "closed": f["closed"], "on_time": f["closed_on_time"],
            "overdue": f["overdue"]}


def from_cards(code, since, until) -> dict[str, int]:
    kpis = data.unit_kpis(code, Period(since, until))
    shown = {card.key: card.value for card in cards(kpis, KEYS_LABELS)}
    f = kpis.current
    assert (shown["intake"], shown["open"], shown["overdue"]) == (f"{f.intake:,}", f"{f.open:,}", f"{f.overdue:,}")
    return {k: getattr(f, k) for k in KEYS}


def from_export(client, key, code, level, since, until) -> dict[str, int]:
    response = client.get(f"/api/export/workload.geojson?level={level}&since={since}&until={until}",
                          HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    body = json.loads(b"".join(response.streaming_content))
    props = next(f["properties"] for f in body["features"] if f["properties"]["code"] == code)
    return {k: props[k] for k in KEYS}


@pytest.mark.parametrize("span", ["week", "quarter"])
def test_every_reader_shows_the_figures_counted_by_hand(client, county, admin_key, incidents, week, span):
    monday, sunday = week
    since = monday if span == "week" else (monday.replace(day=1) - dt.timedelta(days=70)).replace(day=1)
    start, end = local(since, 0), local(sunday + D, 0)
    for code, z, level in ((county["west"].code, 12, 4), (county["township"].code, 8, 2)):
        expected = by_hand(code, start, end)
        assert expected["intake"] > 0 and expected["overdue"] > 0 and expected["open"] > 0
        s, u = since.isoformat(), sunday.isoformat()
        assert from_tile(client, admin_key, code, z, s, u) == expected, f"tile {code}"
        assert from_stats(client, admin_key, code, s, u) == expected, f"stats {code}"
        assert from_cards(code, since, sunday) == expected, f"cards {code}"
        assert from_export(client, admin_key, code, level, s, u) == expected, f"export {code}"


def test_the_ranking_counts_the_weeks_matters_as_the_figures_do(county, incidents, week):
    """For a worker holding every matter of their grid, reported within the week, the ranking's closed
    on time and overdue are the grid's figures for the week."""
    monday, sunday = week
    expected = by_hand(county["west"].code, local(monday, 0), local(sunday + D, 0))
    year, number, _ = monday.isocalendar()
    standing = next(r.now for r in ranking.week_ranking(county["west"].code, year, number))
    assert (standing.closed_on_time, standing.overdue) == (expected["on_time"], expected["overdue"])
    assert expected == {"intake": 8, "open": 4, "closed": 4, "on_time": 3, "overdue": 3}


# ---- the live figures: acceptance overdue and due within 24 h ---------------------------------------

LIVE = ("accept_overdue", "due_soon")


@pytest.fixture
def live(county, week):
    """Matters that are flagged at the end of the past week (and some no longer are), and matters
    flagged now, in the west grid; one of each in another township."""
    monday, sunday = week
    end = local(sunday + D, 0)
    now = timezone.now()
    west, other = (112.45, 35.05), (112.65, 35.05)
    tue, thu, sun = local(monday + D, 9), local(monday + 3 * D, 15), local(sunday, 20)
    rows = [
        # At the week's end: waiting past the acceptance limit; closed since.
        (west, dict(reported_at=tue, accept_due_at=tue + D, due_at=tue + 60 * D, status="closed",
                    closed_at=end + 2 * D)),
        # At the week's end: waiting past the limit; accepted since, still open.
        (west, dict(reported_at=thu, accept_due_at=thu + D, accepted_at=end + D, due_at=end + 30 * D,
                    status="accepted")),
        # Accepted late within the week: not flagged at its end.
        (west, dict(reported_at=tue, accept_due_at=tue + H, accepted_at=tue + D, due_at=end + 9 * D,
                    status="accepted")),
        # At the week's end: due within 24 h (closed since); due in 30 h (not soon).
        (west, dict(reported_at=sun, accept_due_at=sun + D, accepted_at=sun + H, due_at=end + 5 * H,
                    status="closed", closed_at=end + 2 * D)),
        (west, dict(reported_at=sun, accept_due_at=sun + D, accepted_at=sun + H, due_at=end + 30 * H,
                    status="accepted")),
        # Now: waiting past the acceptance limit; due in 10 hours; due in 2 days.
        (west, dict(reported_at=now - 3 * D, accept_due_at=now - 2 * D, due_at=now + 5 * D, status="reported")),
        (west, dict(reported_at=now - 20 * H, accept_due_at=now - 19 * H, accepted_at=now - 19.5 * H,
                    due_at=now + 10 * H, status="dispatched")),
        (west, dict(reported_at=now - 20 * H, accept_due_at=now + 4 * H, due_at=now + 2 * D, status="reported")),
        (other, dict(reported_at=now - 3 * D, accept_due_at=now - 2 * D, due_at=now + 10 * H, status="reported")),
    ]
    for point, values in rows:
        make(*point, **values)


def live_by_hand(prefix: str, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """The two definitions written out in plain SQL, at the period's end (or now)."""
    at = min(until, timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FILTER (WHERE accept_due_at < %(at)s AND (accepted_at IS NULL OR accepted_at > %(at)s)
                                          AND (closed_at IS NULL OR closed_at > %(at)s)),
                   count(*) FILTER (WHERE due_at >= %(at)s AND due_at < %(at)s + interval '24 hours'
                                          AND (closed_at IS NULL OR closed_at > %(at)s))
            FROM layers_incident
            WHERE grid_code LIKE %(prefix)s AND reported_at >= %(since)s AND reported_at < %(until)s""",
                       {"at": at, "prefix": prefix + "%", "since": since, "until": until})
        return dict(zip(LIVE, cursor.fetchone(), strict=True))


def live_readers(client, key, code, z, level, since: str, until: str, flag: str = "") -> dict[str, dict]:
    """The live figures (and intake) of one area as the workload tile, /api/stats (unfiltered only), the
    KPI cards (unfiltered only) and the workload export show them, with an optional flag filter."""
    wanted = ("intake", *LIVE)
    extra = {"flag": flag} if flag else {}
    tile = {f["properties"]["code"]: f["properties"]
            for f in features(client, key, "workload", z, 112.45, 35.05, since=since, until=until, **extra)}
    response = client.get(f"/api/export/workload.geojson?level={level}&since={since}&until={until}"
                          + (f"&flag={flag}" if flag else ""), HTTP_AUTHORIZATION=f"Bearer {key}")
    exported = next(f["properties"] for f in json.loads(b"".join(response.streaming_content))["features"]
                    if f["properties"]["code"] == code)
    shown = {"tile": {k: tile[code][k] for k in wanted}, "export": {k: exported[k] for k in wanted}}
    if not flag:
        stats = client.get(f"/api/stats/{code}?since={since}&until={until}",
                           HTTP_AUTHORIZATION=f"Bearer {key}").json()["figures"]
        shown["stats"] = {k: stats[k] for k in wanted}
        kpis = data.unit_kpis(code, Period(dt.date.fromisoformat(since), dt.date.fromisoformat(until)))
        values = {card.key: card.value for card in cards(kpis, KEYS_LABELS)}
        shown["cards"] = {"intake": kpis.current.intake,
                          **{k: int(values[k].replace(",", "")) for k in LIVE}}
    return shown


@pytest.mark.parametrize("span", ["week", "quarter", "now"])
def test_the_live_figures_equal_a_count_by_hand(client, county, admin_key, live, week, span):
    monday, sunday = week
    today = timezone.localdate()
    since, last = {"week": (monday, sunday),
                   "quarter": ((monday.replace(day=1) - dt.timedelta(days=70)).replace(day=1), sunday),
                   "now": (today - dt.timedelta(days=40), today)}[span]
    start, end = local(since, 0), local(last + D, 0)
    for code, z, level in ((county["west"].code, 12, 4), (county["township"].code, 8, 2)):
        expected = live_by_hand(code, start, end)
        assert expected["accept_overdue"] > 0 and expected["due_soon"] > 0, span
        s, u = since.isoformat(), last.isoformat()
        for reader, shown in live_readers(client, admin_key, code, z, level, s, u).items():
            assert {k: shown[k] for k in LIVE} == expected, f"{reader} {code} {span}"
        # Narrowed to a flag, every reader counts exactly the flagged matters.
        for flag in LIVE:
            for reader, shown in live_readers(client, admin_key, code, z, level, s, u, flag).items():
                assert shown["intake"] == shown[flag] == expected[flag], f"{reader} {code} {span} flag={flag}"
