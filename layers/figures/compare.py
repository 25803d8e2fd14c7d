"""Comparisons: a period against the one before (环比) and against the same period a year before (同比).

The one home of what "the previous period" and "the year before" mean, for every reader that compares
(/api/stats, the dashboards' KPI cards and drill-downs, the printed reports). The figures compared are
layers.figures.counts' (nothing is counted here): a comparison is the same selection over another
period, and the change between the two.

Periods are [since, until) instants. When both ends are local midnights the period is a run of whole
local days, and both comparisons move whole days:
- the previous period of whole calendar months (a month, a quarter, a year) is the same number of whole
  months just before it (March → February, Q2 → Q1), as leaders read 环比; any other run of days is the
  same number of days ending the day before it starts (the dashboards' "last 7 days" → the 7 before);
- the year before moves the first and the last day back a year; a run of whole months stays whole
  months (February 2025 → the whole of February 2024, 29 days; February 2024 → 28 days of 2023), and
  otherwise 29 February becomes the 28th (a single 28 February 2025 → 28 February 2024 alone).
A period with a time of day moves by its length (previous) or by a calendar year (year before).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from layers.figures.counts import Figures, local_midnight, zone

# (name in /api/stats, Figures attribute, kind): the figures a comparison states a change for; a rate's
# change is in points of its fraction (0.0150 = 1.50 percentage points).
COMPARED = [
    ("intake", "intake", "count"), ("open", "open", "count"), ("overdue", "overdue", "count"),
    ("closed", "closed", "count"), ("closed_on_time", "on_time", "count"),
    ("accept_overdue", "accept_overdue", "count"), ("due_soon", "due_soon", "count"),
    ("closure_rate", "closure_rate", "rate"), ("on_time_rate", "on_time_rate", "rate"),
    ("satisfaction_rate", "satisfaction_rate", "rate"), ("mean_hours_to_close", "hours_to_close", "hours"),
]
KINDS = ("previous", "year_before")


def _end_of_month(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _back_months(day: dt.date, months: int, *, month_end: bool) -> dt.date:
    """`day` moved back whole months; clamped to the month's length, or its last day when `month_end`."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, last if month_end else min(day.day, last))


def _local_days(since: dt.datetime, until: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """(first, last) local day when [since, until) is a run of whole local days, else None."""
    a, b = since.astimezone(zone()), until.astimezone(zone())
    if a.time() != dt.time() or b.time() != dt.time():
        return None
    return a.date(), b.date() - dt.timedelta(days=1)


def _instants(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(first), local_midnight(last + dt.timedelta(days=1))


def previous_days(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The previous period of the days first..last (both inclusive): see the module's docstring."""
    if whole_months(first, last):
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        return _back_months(first, months, month_end=False), _back_months(last, months, month_end=True)
    days = (last - first).days + 1
    return first - dt.timedelta(days=days), first - dt.timedelta(days=1)


def whole_months(first: dt.date, last: dt.date) -> bool:
    """Whether first..last is a run of whole calendar months (a month, a quarter, a year)."""
    return first.day == 1 and _end_of_month(last)


def year_before_days(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The same days a year before (both inclusive): see the module's docstring."""
    return _back_months(first, 12, month_end=False), _back_months(last, 12, month_end=whole_months(first, last))


def previous(since: dt.datetime, until: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The period before [since, until) (环比)."""
    days = _local_days(since, until)
    if days is None:
        return since - (until - since), since
    return _instants(*previous_days(*days))


def year_before(since: dt.datetime, until: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The same period a year before (同比)."""
    days = _local_days(since, until)
    if days is None:
        def back(moment: dt.datetime) -> dt.datetime:
            local = moment.astimezone(zone())
            day = _back_months(local.date(), 12, month_end=False)
            return dt.datetime.combine(day, local.time(), tzinfo=zone())
        return back(since), back(until)
    return _instants(*year_before_days(*days))


def period_of(kind: str, since: dt.datetime, until: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return previous(since, until) if kind == "previous" else year_before(since, until)


def value(figures: Figures, key: str) -> float | int | None:
    return getattr(figures, key)


@dataclass(frozen=True)
class Change:
    """A figure now and in the compared period: the difference, and for counts the relative change."""

    now: float | int | None
    before: float | int | None
    kind: str

    @property
    def delta(self) -> float | int | None:
        if self.now is None or self.before is None:
            return None
        return self.now - self.before

    @property
    def ratio(self) -> float | None:
        """(now − before) ÷ before for counts (同比增长率), None for rates or when before is 0."""
        if self.kind != "count" or not self.before or self.now is None:
            return None
        return (self.now - self.before) / self.before


def changes(now: Figures, before: Figures) -> dict[str, Change]:
    return {name: Change(value(now, attr), value(before, attr), kind) for name, attr, kind in COMPARED}


def as_api(now: Figures, before: Figures, since: dt.datetime, until: dt.datetime) -> dict:
    """One comparison as /api/stats states it: the period, its figures, and each figure's change."""
    from layers.incidents.represent import iso

    out = {}
    for key, change in changes(now, before).items():
        delta = change.delta
        if isinstance(delta, float):
            delta = round(delta, 4)
        ratio = change.ratio
        out[key] = {"delta": delta, "ratio": None if ratio is None else round(ratio, 4)}
    return {"period": {"since": iso(since), "until": iso(until)}, "figures": before.as_api(), "change": out}
