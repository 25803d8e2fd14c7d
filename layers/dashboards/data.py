"""Every figure the dashboards show, behind one adapter.

Until the incident statistics of issue 6 (`layers/stats.py`) are merged, the figures are computed
here with plain SQL over layers_incident (the statements are in `sql/`); pointing this module at
stats.py later changes no page. Definitions, for incidents reported in the period:

    intake        reported in the period
    open          not closed (Incident.OPEN_STATUSES)
    overdue       open and past due_at, or closed after due_at
    closed        status closed;  closure rate = closed / intake
    on time       closed and closed_at <= due_at;  on-time rate = on time / closed
    satisfaction  share of rated incidents (1-5) rated 4 or 5, and the mean score

The weekly worker ranking and its red/black lists are layers.ranking's (the same as /api/stats/workers);
worker_ranking() only adds the names the page shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection

from grids.models import Area
from layers import ranking
from layers.dashboards.period import Period
from layers.models import Incident

SQL_DIR = Path(__file__).parent / "sql"
OPEN = list(Incident.OPEN_STATUSES)
# Per-request memo of grid_figures (see request_scope); None outside a request.
_MEMO: ContextVar[dict | None] = ContextVar("dashboard_figures", default=None)


@cache
def _sql(name: str) -> str:
    text = (SQL_DIR / f"{name}.sql").read_text()
    return text.replace("{figures}", (SQL_DIR / "figures.sql").read_text()) if "{figures}" in text else text


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    """A unit's figures for one period (see the module docstring). Every field adds up across units,
    so a parent's figures are the sum of its children's; means and rates are derived."""

    intake: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    satisfaction_sum: float = 0.0
    hours_sum: float = 0.0  # hours from report to closure, summed over the closed incidents

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple:
        return tuple(getattr(self, name) for name in _FIELDS)

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.intake)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.closed)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def satisfaction_mean(self) -> float | None:
        return _rate(self.satisfaction_sum, self.rated)

    @property
    def hours_to_close(self) -> float | None:
        """Mean time from report to closure, in hours."""
        return _rate(self.hours_sum, self.closed)

    @classmethod
    def from_row(cls, row: dict) -> Figures:
        return cls(*(row[name] for name in _FIELDS))


_FIELDS = tuple(f.name for f in fields(Figures))


@dataclass(frozen=True)
class UnitKpis:
    current: Figures
    previous: Figures


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
    """One row of the workload page's ranking: layers.ranking's figures and lists, with names."""

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


def _unit(code: str) -> tuple[str, dict]:
    """The incidents of a unit: a prefix of the basic grid code, or a dedicated grid's own column."""
    if len(code) == 16:
        return "i.dedicated_code = %(code)s", {"code": code}
    return "i.grid_code LIKE %(prefix)s", {"prefix": code + "%"}


def _category(category: str) -> tuple[str, dict]:
    return (" AND i.category = %(category)s", {"category": category}) if category else ("", {})


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@contextmanager
def request_scope() -> Iterator[None]:
    """Within it, each (unit, period, class) is scanned once, however many figures a page derives from it."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def grid_figures(code: str, period: Period, category: str = "") -> dict[str, Figures]:
    """The figures of each basic grid of the unit (grid code → figures); every other figure sums these."""
    key = (code, period.since, period.until, category)
    memo = _MEMO.get()
    if memo is not None and key in memo:
        return memo[key]
    unit, params = _unit(code)
    cat, cat_params = _category(category)
    # Raw SQL: one list of FILTER aggregates (sql/figures.sql) grouped by grid, in one scan of the
    # period's incidents; the ORM would need an aggregate per figure and could not share the fragment.
    rows = _rows(_sql("grid_figures").format(unit=unit, category=cat),
                 {"open": OPEN, "since": period.start(), "until": period.end(), **params, **cat_params})
    result = {row["grid"]: Figures.from_row(row) for row in rows}
    if memo is not None:
        memo[key] = result
    return result


def _total(figures: Iterable[Figures]) -> Figures:
    """Field-wise sum (thousands of grids: summed as tuples, not one Figures per step)."""
    columns = list(zip(*(f.values() for f in figures), strict=True))
    return Figures(*(sum(column) for column in columns)) if columns else Figures()


def unit_kpis(code: str, period: Period, category: str = "") -> UnitKpis:
    """The unit's figures for the period and for the period before it."""
    return UnitKpis(_total(grid_figures(code, period, category).values()),
                    _total(grid_figures(code, period.previous(), category).values()))


def child_ranking(code: str, period: Period, category: str = "") -> list[ChildRow]:
    """The unit's child areas with their figures and workers, in code order (views sort them)."""
    if len(code) >= 15:
        return []
    length = {6: 9, 9: 12, 12: 15}[len(code)]
    by_child: dict[str, list[Figures]] = defaultdict(list)
    for grid, figures in grid_figures(code, period, category).items():
        by_child[grid[:length]].append(figures)
    sums = {child: _total(group) for child, group in by_child.items()}
    # Raw SQL: the child areas joined with their workers counted by a code prefix the ORM cannot group on.
    rows = _rows(_sql("child_ranking"), {"code": code, "prefix": code + "%", "len": length})
    return [ChildRow(r["code"], r["name"], r["level"], r["workers"], sums.get(r["code"], Figures())) for r in rows]


def grid_counts(code: str, period: Period, category: str = "") -> dict[str, int]:
    """Incidents per basic grid of the unit in the period: the weights of the heat map."""
    return {grid: figures.intake for grid, figures in grid_figures(code, period, category).items()}


def intake_vs_closures(code: str, period: Period, category: str = "",
                       bucket: str | None = None) -> list[tuple[dt.date, int, int]]:
    """(bucket start, reported, closed) per day/week/month of the period, empty buckets included."""
    bucket = bucket or period.bucket()
    if bucket not in {"day", "week", "month"}:
        raise ValueError(f"bucket must be day, week or month, not {bucket!r}")
    unit, params = _unit(code)
    cat, cat_params = _category(category)
    # Raw SQL: generate_series gives the empty buckets and date_trunc in local time the bucket edges.
    rows = _rows(_sql("intake_vs_closures").format(unit=unit, category=cat),
                 {"bucket": bucket, "first": period.since, "last": period.until, "tz": settings.TIME_ZONE,
                  "since": period.start(), "until": period.end(), **params, **cat_params})
    return [(r["bucket"], r["intake"], r["closures"]) for r in rows]


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
