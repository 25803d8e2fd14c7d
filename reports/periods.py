"""A report's period: a calendar month ("2026-11"), quarter ("2026-Q4") or year ("2026"), in local days.

The same spellings as the safety index's periods (analysis), so a report and the index it prints speak of
the same months. A period that has not started is refused; the running month or quarter is reported
to date (its figures as of now, like every figure of a period that has not ended).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from geo.errors import InvalidInput
from layers.figures.counts import local_midnight

PERIOD_RE = re.compile(r"^(?P<year>(?:19|20|21)[0-9]{2})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")


@dataclass(frozen=True)
class ReportPeriod:
    text: str  # "2026-11", "2026-Q4" or "2026"
    first: dt.date
    last: dt.date  # inclusive

    @property
    def quarterly(self) -> bool:
        return "Q" in self.text

    @property
    def yearly(self) -> bool:
        return len(self.text) == 4

    @property
    def kind(self) -> str:
        """month, quarter or year."""
        return "year" if self.yearly else "quarter" if self.quarterly else "month"

    def year_before(self) -> ReportPeriod:
        """The same period a year earlier (同比)."""
        return parse(f"{self.first.year - 1}{self.text[4:]}")

    @property
    def since(self) -> dt.datetime:
        return local_midnight(self.first)

    @property
    def until(self) -> dt.datetime:
        """Exclusive: the first instant after the period."""
        return local_midnight(self.last + dt.timedelta(days=1))

    @property
    def months(self) -> list[dt.date]:
        """The period's months that have begun (a running quarter or year: up to this month)."""
        this = timezone.localdate().replace(day=1)
        return [d for d in (dt.date(self.first.year, m, 1) for m in range(self.first.month, self.last.month + 1))
                if d <= this]

    def title(self) -> str:
        if self.yearly:
            return _("{year}").format(year=self.first.year)
        if self.quarterly:
            return _("{year} Q{quarter}").format(year=self.first.year, quarter=(self.first.month + 2) // 3)
        return _("{year}-{month:02d}").format(year=self.first.year, month=self.first.month)


def parse(text: str) -> ReportPeriod:
    """'YYYY-MM', 'YYYY-Qn' or 'YYYY'; 400 naming `period` for anything else or a period after today."""
    match = PERIOD_RE.fullmatch(text or "")
    if not match:
        raise InvalidInput(_("period: expected a month YYYY-MM, a quarter YYYY-Qn or a year YYYY, got {value!r}")
                           .format(value=text), field="period")
    year = int(match["year"])
    if not match["month"] and not match["quarter"]:
        first_month, last_month = 1, 12
    elif match["month"]:
        first_month = last_month = int(match["month"])
    else:
        last_month = 3 * int(match["quarter"])
        first_month = last_month - 2
    first = dt.date(year, first_month, 1)
    following = dt.date(year + (last_month == 12), last_month % 12 + 1, 1)
    if first > timezone.localdate():
        raise InvalidInput(_("period: {value} has not started yet").format(value=text), field="period")
    return ReportPeriod(text, first, following - dt.timedelta(days=1))


def last_month(today: dt.date | None = None) -> ReportPeriod:
    """The month before today's (the month-end run's default)."""
    today = today or timezone.localdate()
    day = today.replace(day=1) - dt.timedelta(days=1)
    return parse(f"{day.year}-{day.month:02d}")


def ending_with(month: ReportPeriod) -> list[ReportPeriod]:
    """The month, and the quarter and year it ends (the month-end run writes those too): 2026-12 gives
    2026-12, 2026-Q4 and 2026; 2026-11 gives 2026-11 only."""
    out = [month]
    if month.first.month % 3 == 0:
        out.append(parse(f"{month.first.year}-Q{month.first.month // 3}"))
    if month.first.month == 12:
        out.append(parse(f"{month.first.year}"))
    return out
