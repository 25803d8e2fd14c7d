"""Every figure the dashboards show, from layers.figures (the one definition every reader shares).

A page asks for a unit's figures for its period and the period before (the KPI cards), its child units'
(the ranked table), its basic grids' intake (the heat map's weights) and the intake per day or month
(the chart); each comes from layers.figures.counts, which adds the rollup up for whole months and
counts the incidents' rows for the days around them, so a year costs about as much as a month. Each
(unit, period, class, level) is counted once per request (request_scope), however many parts of the
page use it.

The weekly worker ranking and its red/black lists are layers.figures.ranking's (the same as
/api/stats/workers); worker_ranking() only adds the names the page shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from geo import sql
from grids.models import Area
from layers.dashboards.period import Period
from layers.figures import desk, kept, ranking
from layers.figures.counts import LEVEL_LENGTH, Figures, Selection, by_bucket, child_level, total, unit_level

# Per-request memo of the counts (see request_scope); None outside a request.
_MEMO: ContextVar[dict | None] = ContextVar("dashboard_figures", default=None)
# A department account's narrowing for the request (see request_scope): every selection() carries it.
_DEPARTMENT: ContextVar[str] = ContextVar("dashboard_department", default="")


@dataclass(frozen=True)
class UnitKpis:
    current: Figures
    previous: Figures
    year_before: Figures | None = None  # the same period a year before (同比); None: not asked for


@dataclass(frozen=True)
class ChildRow:
    code: str
    name: str
    level: int
    workers: int
    figures: Figures

    @property
    def open_per_worker(self) -> float | None:
        return self.figures.open / self.workers if self.workers else None


@dataclass(frozen=True)
class WorkerRow:
    """One row of the workload page's ranking: layers.figures.ranking's figures and lists, with names."""

    employee_no: str
    name: str
    grid_name: str
    town_name: str
    reported: int
    on_time: int
    overdue: int
    score: int
    rank_county: int
    n_county: int
    rank_town: int
    n_town: int
    prev_rank_county: int | None
    red: bool
    black: bool
    warning: bool

    @property
    def bottom(self) -> bool:
        """At the bottom this week (black-listed, or warned)."""
        return self.black or self.warning


@contextmanager
def request_scope(department: str = "") -> Iterator[None]:
    """Within it, each (unit, period, class, level) is counted once, however many figures a page derives;
    `department` (a department account's code) narrows every figure to that department's matters."""
    token = _MEMO.set({})
    narrowed = _DEPARTMENT.set(department)
    try:
        yield
    finally:
        _DEPARTMENT.reset(narrowed)
        _MEMO.reset(token)


def selection(code: str, period: Period, category: str = "") -> Selection:
    """The incidents of a unit in a period: a prefix of the basic grid code, or a dedicated grid's own."""
    categories = (category,) if category else ()
    department = _DEPARTMENT.get()
    if unit_level(code) is None:
        return Selection(period.start(), period.end(), categories=categories, prefix=code[:12], dedicated=code,
                         department=department)
    return Selection(period.start(), period.end(), categories=categories, prefix=code, department=department)


def figures_by(code: str, period: Period, category: str, level: int | None) -> dict[str, Figures]:
    """{area code: figures} of the unit's areas of `level` (None: the unit as one entry, key ''). An
    ended period's (the cards' comparison) is kept a while across requests (layers.figures.kept)."""
    key = (code, period.since, period.until, category, level)
    memo = _MEMO.get()
    if memo is not None and key in memo:
        return memo[key]
    sel = selection(code, period, category)
    result = kept.by_area(sel, level)
    if memo is not None:
        memo[key] = result
    return result


def grid_figures(code: str, period: Period, category: str = "") -> dict[str, Figures]:
    """The figures of each basic grid of the unit (a dedicated grid: of the basic grids its incidents lie
    in); of each county for a city or a province. The period's cards, its child units' rows and the heat
    map are all sums of these: one count. A province's hundred counties are a few hundred rollup rows a
    month, where its basic grids would be hundreds of thousands."""
    return figures_by(code, period, category, base_level(code))


def base_level(code: str) -> int:
    """The level a unit's figures are added up from: basic grids, or counties above the county."""
    return 4 if len(code) >= 6 else 1


def _unit_total(code: str, period: Period, category: str) -> Figures:
    """The unit's figures as one count at its own level (the comparison period needs no more)."""
    level = unit_level(code)
    return figures_by(code, period, category, level).get(code if level is not None else "", Figures())


def unit_kpis(code: str, period: Period, category: str = "") -> UnitKpis:
    """The unit's figures for the period, for the period before it and for the same period a year before."""
    return UnitKpis(total(grid_figures(code, period, category).values()),
                    _unit_total(code, period.previous(), category), _unit_total(code, period.year_before(), category))


def child_totals(code: str, period: Period, category: str = "") -> dict[str, Figures]:
    """{child area code: figures} of the unit's child units for a period, added up from its basic grids
    (the drill-down's comparison with a year before reads this for period.year_before())."""
    level = child_level(code)
    if level is None:
        return {}
    length = LEVEL_LENGTH[level]
    by_child: dict[str, list[Figures]] = defaultdict(list)
    for grid, figures in grid_figures(code, period, category).items():
        by_child[grid[:length]].append(figures)
    return {child: total(group) for child, group in by_child.items()}


def child_ranking(code: str, period: Period, category: str = "") -> list[ChildRow]:
    """The unit's child areas with their figures and workers, in code order (views sort them)."""
    level = child_level(code)
    if level is None:
        return []
    length = LEVEL_LENGTH[level]
    sums = child_totals(code, period, category)
    # Raw SQL: the child areas joined with their workers counted by a code prefix the ORM cannot group on.
    rows = sql.run("layers.dashboards", "child_ranking", {"code": code, "prefix": code + "%", "len": length})
    return [ChildRow(r["code"], r["name"], r["level"], r["workers"], sums.get(r["code"], Figures())) for r in rows]


@dataclass(frozen=True)
class DeskKpis:
    """The desk's card values for a period: each a count or a rate (None: nothing to divide)."""

    supervised: int
    supervision_overdue: int
    resolved_in_grid: float | None
    resolved_in_village: float | None
    mediation_success: float | None
    department_closure: float | None


def desk_kpis(code: str, period: Period, category: str = "") -> tuple[DeskKpis, DeskKpis]:
    """The desk's cards for the period and the one before (layers/figures/desk.py, the same figures as
    /api/stats); the one before has ended and is kept a while (layers.figures.kept)."""
    previous = period.previous()
    key = ("desk_kpis", code, previous.since, previous.until, category, _DEPARTMENT.get())
    return _desk(code, period, category), kept.ended(key, previous.end(), lambda: _desk(code, previous, category))


def _desk(code: str, period: Period, category: str) -> DeskKpis:
    sel = selection(code, period, category)
    level = unit_level(code)
    key = code if level is not None else ""
    closed = _closed(code, period, category)
    sup = desk.supervision(sel, level).get(key, desk.EMPTY_SUPERVISION)
    esc = desk.resolved_levels(closed, desk.escalation(sel, level).get(key, {}))
    med = desk.mediation(sel, level).get(key, desk.EMPTY_MEDIATION)
    rows = desk.departments(sel)
    received, dept_closed = sum(r["received"] for r in rows), sum(r["closed"] for r in rows)
    return DeskKpis(sup["supervised"], sup["supervision_overdue"], esc["resolved_in_grid_share"],
                    esc["resolved_in_village_share"], med["success_rate"],
                    dept_closed / received if received else None)


def _closed(code: str, period: Period, category: str) -> int:
    """The unit's closed matters in the period, from the count the page has already made when it has
    (its grids' for the period shown, the unit's own for the one before): no third count."""
    memo = _MEMO.get()
    grids = memo.get((code, period.since, period.until, category, 4)) if memo is not None else None
    if grids is not None:
        return total(grids.values()).closed
    return _unit_total(code, period, category).closed


def department_ranking(code: str, period: Period, category: str = "") -> list[dict]:
    """The departments' figures for the unit and period, ranked (layers/figures/desk.py)."""
    return desk.departments(selection(code, period, category))


def grid_counts(code: str, period: Period, category: str = "") -> dict[str, int]:
    """Incidents per basic grid of the unit in the period (per county above the county): the weights of
    the heat map."""
    return {grid: figures.intake for grid, figures in grid_figures(code, period, category).items()}


def intake_vs_closures(code: str, period: Period, category: str = "",
                       bucket: str | None = None) -> list[tuple[dt.date, int, int]]:
    """(bucket start, reported, of those closed) per local day or month of the period, empty ones included.

    Closed counts the bucket's reports closed by the period's end (its cohort, as every figure does), so
    the chart's two lines add up to the cards' intake and closed.
    """
    bucket = bucket or period.bucket()
    if bucket not in {"day", "month"}:
        raise ValueError(f"bucket must be day or month, not {bucket!r}")
    counted = by_bucket(selection(code, period, category), unit_level(code), bucket)
    result = []
    for start in _buckets(period, bucket):
        figures = counted.get(start, Figures())
        result.append((start, figures.intake, figures.closed))
    return result


def _buckets(period: Period, bucket: str) -> list[dt.date]:
    if bucket == "day":
        return [period.since + dt.timedelta(days=n) for n in range(period.days)]
    months, month = [], period.since.replace(day=1)
    while month <= period.until:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def worker_ranking(code: str, week: dt.date) -> list[WorkerRow]:
    """The weekly ranking (the week containing `week`) of the workers of unit `code`, ranked in the county."""
    year, number, _ = week.isocalendar()
    ranked = ranking.week_ranking(code, year, number)
    # The county's current township and grid names, by prefix: a worker's grid may lie outside the unit
    # asked about, and an IN list of a county's 3,000 codes costs more to build than the scan to run.
    names = dict(Area.objects.filter(code__startswith=code[:6], level__in=(2, 4, 5), valid_to__isnull=True)
                 .values_list("code", "name"))
    return [WorkerRow(employee_no=r.now.employee_no, name=r.now.name, grid_name=names.get(r.now.grid, r.now.grid),
                      town_name=names.get(r.now.town, r.now.town), reported=r.now.reported,
                      on_time=r.now.closed_on_time, overdue=r.now.overdue, score=r.now.score,
                      rank_county=r.now.rank_district, n_county=r.now.n_district, rank_town=r.now.rank_town,
                      n_town=r.now.n_town, prev_rank_county=r.before.rank_district if r.before else None,
                      red=r.red, black=r.black, warning=r.warning)
            for r in ranked]
