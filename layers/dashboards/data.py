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

The weekly worker ranking and its red/black list follow the rule of 兖州 (shared/domain.md): a worker
in the bottom 2 of their township or the bottom 10 of the county two weeks running is black-listed.
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
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from layers.dashboards.period import Period
from layers.models import Incident

SQL_DIR = Path(__file__).parent / "sql"
OPEN = list(Incident.OPEN_STATUSES)
# 兖州's black-list rule: bottom 2 of a township or bottom 10 of the county, two consecutive weeks.
TOWN_BOTTOM, COUNTY_BOTTOM = 2, 10
# Red list: the top 2 of a township or top 10 of the county in the week (never someone also at the bottom).
TOWN_TOP, COUNTY_TOP = 2, 10
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
    id: int
    employee_no: str
    name: str
    role: str
    grid: str
    grid_name: str
    town: str
    town_name: str
    reported: int
    on_time: int
    overdue: int
    score: int
    rank_county: int
    rank_town: int
    n_county: int
    n_town: int
    prev_score: int
    prev_rank_county: int
    prev_rank_town: int

    @staticmethod
    def _among(rank: int, n: int, size: int, bottom: bool) -> bool:
        """In the top or bottom `size` of a group of n: only a group larger than the list singles anyone out
        (in a township of 2 workers, nobody is "the bottom 2")."""
        if n <= size:
            return False
        return rank > n - size if bottom else rank <= size

    def _at_bottom(self, rank_town: int, rank_county: int) -> bool:
        return (self._among(rank_town, self.n_town, TOWN_BOTTOM, True)
                or self._among(rank_county, self.n_county, COUNTY_BOTTOM, True))

    @property
    def bottom(self) -> bool:
        """At the bottom this week: bottom 2 of the township or bottom 10 of the county (a warning)."""
        return self._at_bottom(self.rank_town, self.rank_county)

    @property
    def black(self) -> bool:
        """Black list (黑榜): at the bottom this week and the week before."""
        return self.bottom and self._at_bottom(self.prev_rank_town, self.prev_rank_county)

    @property
    def red(self) -> bool:
        """Red list (红榜): top 2 of the township or top 10 of the county this week, and not at the bottom."""
        top = (self._among(self.rank_town, self.n_town, TOWN_TOP, False)
               or self._among(self.rank_county, self.n_county, COUNTY_TOP, False))
        return top and not self.bottom


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
    """The county's weekly worker ranking (week starting on Monday `week`), rows of the unit `code` only.

    Ranks are over the whole county, whoever asks: the black-list rule is about the county.
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(week, dt.time(), tzinfo=tz)
    # Raw SQL: attribution through assignments, per-week unions and window-function ranks.
    rows = _rows(_sql("worker_ranking"), {
        "county": code[:6] + "%", "prefix": code + "%", "last_day": week + dt.timedelta(days=6),
        "w_prev": start - dt.timedelta(days=7), "w_start": start, "w_end": start + dt.timedelta(days=7)})
    return [WorkerRow(**row) for row in rows]
