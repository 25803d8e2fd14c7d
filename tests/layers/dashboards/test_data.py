"""The dashboards' figures (layers/dashboards/data.py) against counts written directly in SQL, the
weekly worker ranking and its red/black-list rule, the chart series, and the pure helpers (periods,
KPI cards, ranking order)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from geo.access import create_user
from geo.errors import InvalidInput
from grids.models import Worker
from layers.dashboards import data, kpis
from layers.dashboards.data import ChildRow, Figures, UnitKpis
from layers.dashboards.period import Period, parse_class, parse_period, parse_week
from tests.support.dashboards import EAST_POINT, OTHER_POINT, WEST_POINT, build_county, build_incidents, make

# Each figure, written independently of data.py's SQL: closed is the only status that is not open.
REFERENCE = {
    "intake": "true",
    "open": "status <> 'closed'",
    "overdue": "(status <> 'closed' AND due_at < now()) OR (status = 'closed' AND closed_at > due_at)",
    "closed": "status = 'closed'",
    "on_time": "status = 'closed' AND (due_at IS NULL OR closed_at <= due_at)",
    "rated": "satisfaction IS NOT NULL",
    "satisfied": "satisfaction >= 4",
    # Live: clock_timestamp(), not now() (the test's transaction began before the incidents were made).
    "accept_overdue": "status <> 'closed' AND accepted_at IS NULL AND accept_due_at < clock_timestamp()",
    "due_soon": "status <> 'closed' AND due_at >= clock_timestamp() AND due_at < clock_timestamp() + interval '1 day'",
}


def sql_count(figure: str, code: str, period: Period, category: str = "") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM layers_incident WHERE grid_code LIKE %s AND reported_at >= %s "
            f"AND reported_at < %s AND (%s = '' OR category = %s) AND ({REFERENCE[figure]})",
            [code + "%", period.start(), period.end(), category, category])
        return cursor.fetchone()[0]


@pytest.fixture
def county(db):
    areas = build_county()
    build_incidents()
    return areas


def today() -> Period:
    day = timezone.localdate()
    return Period(day, day, "today")


@pytest.mark.parametrize("code", ["419001", "419001103", "419001103200", "419001103200001", "419001104"])
@pytest.mark.parametrize("category", ["", "dispute"])
def test_unit_kpis_equal_sql_counts(county, code, category):
    period = today()
    kpi = data.unit_kpis(code, period, category)
    for figure in REFERENCE:
        assert getattr(kpi.current, figure) == sql_count(figure, code, period, category), figure
        assert getattr(kpi.previous, figure) == sql_count(figure, code, period.previous(), category), figure
    current = kpi.current
    assert current.closure_rate == (current.closed / current.intake if current.intake else None)
    assert current.on_time_rate == (current.on_time / current.closed if current.closed else None)


def test_definitions_on_known_incidents(county):
    kpi = data.unit_kpis("419001", today())
    assert kpi.current == Figures(intake=7, open=4, overdue=3, closed=3, on_time=2, rated=2, satisfied=1,
                                  satisfaction_sum=7, hours_sum=kpi.current.hours_sum, accept_overdue=1, due_soon=2)
    assert kpi.current.satisfaction_mean == 3.5
    assert (kpi.current.closure_rate, kpi.current.on_time_rate, kpi.current.satisfaction_rate) == (3 / 7, 2 / 3, 0.5)
    assert (kpi.previous.intake, kpi.previous.closed, kpi.previous.on_time) == (1, 1, 1)
    # An incident with no due time cannot be late: closed, it is on time (as layers.figures.stats counts it).
    livelihood = data.unit_kpis("419001", today(), "livelihood").current
    assert (livelihood.closed, livelihood.on_time, livelihood.overdue) == (1, 1, 0)


def test_dedicated_grid_counts_by_its_own_column(county):
    from grids.models import Area
    from tests.support.dashboards import box

    Area.objects.create(code="4190011032009001", name="学校专属网格", level=5, kind="school",
                        parent=county["village"], boundary=box(112.44, 35.04, 112.46, 35.06))
    make(WEST_POINT, reported_at=timezone.now())
    assert data.unit_kpis("4190011032009001", today()).current.intake == 1


def test_child_rows_add_up_to_their_unit(county):
    period = today()
    for code in ("419001", "419001103", "419001103200"):
        rows = data.child_ranking(code, period)
        unit = data.unit_kpis(code, period).current
        assert sum((r.figures for r in rows), Figures()) == unit, code
    towns = {r.code: r for r in data.child_ranking("419001", period)}
    assert set(towns) == {"419001103", "419001104"}
    assert (towns["419001103"].workers, towns["419001104"].workers) == (3, 1)
    assert towns["419001103"].open_per_worker == towns["419001103"].figures.open / 3
    assert data.child_ranking("419001103200001", period) == []


def test_intake_and_closures_per_day(county):
    period = parse_period({"period": "7d"})
    series = data.intake_vs_closures("419001", period)
    assert [day for day, _, _ in series] == [period.since + dt.timedelta(days=k) for k in range(7)]
    by_day = {day: (intake, closed) for day, intake, closed in series}
    assert by_day[period.until][0] == sql_count("intake", "419001", today())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM layers_incident WHERE status = 'closed' AND closed_at >= %s "
                       "AND closed_at < %s", [today().start(), today().end()])
        assert by_day[period.until][1] == cursor.fetchone()[0]
    assert sum(i for _, i, _ in series) == data.unit_kpis("419001", period).current.intake
    months = data.intake_vs_closures("419001", Period(dt.date(2025, 1, 15), dt.date(2025, 6, 3)), bucket="month")
    assert [d for d, _, _ in months] == [dt.date(2025, m, 1) for m in range(1, 7)]


# ------------------------------------------------------------------------------------- ranking

@pytest.fixture
def ranking_week(db):
    """Week W (last complete week) and W-1 in the county above, worker by worker (layers.figures.ranking's rule):
    W1 closes 2 on time in W (+2); W2 holds two open matters past due at W's end (-2), one of them
    already past due at W-1's end (-1); W3 reports one in W (shown, not scored); C1 has nothing."""
    areas = build_county()
    week = parse_week({})
    start = Period(week, week).start()
    w1, w2, w3 = (Worker.objects.get(employee_no=no) for no in ("W1", "W2", "W3"))
    for k in range(2):
        make(WEST_POINT, status="closed", reported_at=start + dt.timedelta(days=1, hours=k), assignee=w1,
             closed_at=start + dt.timedelta(days=2), due_at=start + dt.timedelta(days=3))
    make(EAST_POINT, status="in_progress", reported_at=start - dt.timedelta(days=3),
         due_at=start + dt.timedelta(days=2), assignee=w2)
    make(EAST_POINT, status="in_progress", reported_at=start - dt.timedelta(days=10),
         due_at=start - dt.timedelta(days=5), assignee=w2)
    make(OTHER_POINT, reported_at=start + dt.timedelta(days=4), due_at=start + dt.timedelta(days=30),
         reporter_worker=w3)
    return week, areas


def test_worker_scores_ranks_and_lists(ranking_week):
    week, _ = ranking_week
    ranking = data.worker_ranking("419001", week)
    rows = {r.employee_no: r for r in ranking}
    figures = {no: (r.reported, r.on_time, r.overdue, r.score) for no, r in rows.items()}
    assert figures == {"C1": (0, 0, 0, 0), "W1": (0, 2, 0, 2), "W2": (0, 0, 2, -2), "W3": (1, 0, 0, 0)}
    assert [r.employee_no for r in ranking] == ["W1", "C1", "W3", "W2"]
    assert (rows["W2"].rank_town, rows["W2"].n_town, rows["W2"].prev_rank_county) == (3, 3, 4)
    assert rows["W3"].town_name == "邵原镇" and rows["W3"].grid_name == "邵原网格"
    # 承留镇 has 3 workers: W2 is in its bottom 2 with a negative score both weeks; W1 in its top 2.
    assert ({no for no, r in rows.items() if r.black}, {no for no, r in rows.items() if r.red}) == ({"W2"}, {"W1"})
    # W3 is alone in 邵原镇, and the county's 4 workers are fewer than its list of 10: nobody singled out.
    assert not rows["W3"].bottom and not rows["W3"].red
    # A township leader sees their workers, ranked against the whole county.
    own = data.worker_ranking("419001104", week)
    assert [(r.employee_no, r.rank_county, r.n_county) for r in own] == [("W3", 3, 4)]


def test_the_workload_page_ranking_is_the_api_ranking(ranking_week):
    """One ranking: the page's rows are /api/stats/workers' rows for the same area and week."""
    week, _ = ranking_week
    _, key = create_user("ranking-op", "operator", "419001")
    year, number, _ = week.isocalendar()
    body = Client().get("/api/stats/workers", {"area": "419001", "week": f"{year}-W{number:02d}"},
                        HTTP_AUTHORIZATION=f"Bearer {key}").json()
    api = [(r["employee_no"], r["reported"], r["closed_on_time"], r["overdue"], r["score"], r["rank_district"],
            r["rank_town"], r["red"], r["black"], r["warning"]) for r in body["workers"]]
    page = [(r.employee_no, r.reported, r.on_time, r.overdue, r.score, r.rank_county, r.rank_town, r.red, r.black,
             r.warning) for r in data.worker_ranking("419001", week)]
    assert page == api


# ------------------------------------------------------------------------------------- pure helpers

def test_periods():
    day = dt.date(2026, 3, 10)
    assert Period(day, day).previous() == Period(dt.date(2026, 3, 9), dt.date(2026, 3, 9))
    week = parse_period({"since": "2026-03-01", "until": "2026-03-07"})
    assert (week.days, week.previous().since, week.previous().until) == (7, dt.date(2026, 2, 22), dt.date(2026, 2, 28))
    assert week.end() - week.start() == dt.timedelta(days=7)
    assert week.start().utcoffset() == dt.timedelta(hours=8)  # local (China Standard Time) days
    assert parse_period({"period": "30d"}).days == 30
    assert parse_week({"week": "2026-03-12"}) == dt.date(2026, 3, 9)


@pytest.mark.parametrize("params, field", [
    ({"since": "2026-13-01"}, "since"), ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
    ({"period": "decade"}, "period"), ({"since": "2000-01-01", "until": "2026-01-01"}, "since"),
])
def test_bad_periods_name_the_parameter(params, field):
    with pytest.raises(InvalidInput) as caught:
        parse_period(params)
    assert caught.value.field == field


def test_bad_class_names_the_parameter():
    with pytest.raises(InvalidInput, match="class: unknown value 'gossip'"):
        parse_class({"class": "gossip"})


def test_cards_compare_with_the_previous_period():
    now = Figures(intake=10, open=4, overdue=1, closed=6, on_time=6, rated=4, satisfied=4)
    before = Figures(intake=8, open=2, overdue=3, closed=6, on_time=3, rated=0)
    cards = {c.key: c for c in kpis.cards(UnitKpis(now, before), {k: k for k, _, _ in kpis.CARDS})}
    assert (cards["intake"].value, cards["intake"].delta, cards["intake"].tone) == ("10", "+2", "")
    assert (cards["overdue"].delta, cards["overdue"].trend, cards["overdue"].tone) == ("−2", "down", "good")
    assert (cards["closure_rate"].value, cards["closure_rate"].delta) == ("60.00%", "−15.00 pp")
    assert cards["closure_rate"].tone == "bad"
    assert (cards["satisfaction"].value, cards["satisfaction"].previous, cards["satisfaction"].delta) == (
        "100.00%", "—", "—")


def test_ranking_orders_and_puts_units_without_figures_last():
    def row(code, closed, intake, workers=1, open_=0):
        return ChildRow(code, code, 2, workers, Figures(intake=intake, closed=closed, open=open_))

    rows = [row("a", 1, 2), row("b", 0, 0), row("c", 2, 2), row("d", 1, 2, workers=0, open_=5)]
    assert [r.code for _, r in kpis.rank(rows, "closure_rate")] == ["c", "a", "d", "b"]
    assert [r.code for _, r in kpis.rank(rows, "workload")] == ["a", "b", "c", "d"]
    assert [n for n, _ in kpis.rank(rows, "unknown")] == [1, 2, 3, 4]


def test_heat_points_weigh_grids_and_cap_outliers():
    from layers.dashboards.maps import grid_spacing, heat_points

    labels = [[35.0, 112.0 + k / 100, f"g{k}", 4, f"g{k}"] for k in range(25)] + [[35.0, 112.0, "v", 3, "v"]]
    counts = {f"g{k}": k for k in range(24)} | {"g24": 1000, "v": 7}
    heat = heat_points(labels, counts)
    assert len(heat) == 24  # grids only, and only those with incidents (g0 has none)
    assert max(w for _, _, w in heat) == 22  # the outlier is capped at the 95th percentile (of 1..23, 1000)
    assert heat_points(labels[:3], counts) == [[35.0, 112.01, 1], [35.0, 112.02, 2]]
    # 100 grids over a 10 km x 10 km square are about 1 km apart.
    assert grid_spacing((112.0, 35.0, 112.0 + 10_000 / 91_190, 35.0 + 10_000 / 110_540), 100) == pytest.approx(
        1000, rel=0.01)
