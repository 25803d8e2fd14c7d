"""China's working days (工作日) for working-day time limits: public holidays are skipped and the weekends
worked in exchange for them (调休上班) count.

Where the days come from, in order:
1. layers.CalendarOverride, the administrators' table (`/admin/layers/calendaroverride/`): a day set to
   working or holiday there wins. It is for the years the library does not know yet (the State
   Council publishes the next year's arrangement, 国务院办公厅关于部分节假日安排的通知, around
   November) and for a day the library gets wrong, or a local day off.
2. the maintained `chinesecalendar` package (import chinese_calendar), which carries each year's
   official arrangement since 2004: a library update brings a new year without any code change.
3. nothing else. A day of a year that neither the library nor the table covers raises `Uncovered`:
   no silent guess that it is an ordinary Monday-to-Friday year. The caller (timelimits) then counts
   calendar days and says so on the incident; `uncovered_years()` feeds the system check and the
   admin, which list such years before a deadline runs into them.

A year is covered by the table as soon as it holds one row of that year: enter the whole notice of a
year at once (its holidays and its 调休 working weekends). The table changes a few times a year and
intake computes deadlines hundreds of times a second, so it is cached per process: read again at most
every REFRESH_SECONDS, and at once in the process that saved a change (the model's save and delete
call `forget()`). Only working-day limits read it; calendar-day limits never touch it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import version

import chinese_calendar
from chinese_calendar import constants

from geo.kept import Keeper

# Another process's edit reaches this one within this many seconds (its own edits at once).
REFRESH_SECONDS = 10.0
LIBRARY = f"chinesecalendar {version('chinesecalendar')}"
# The years the library carries: every year with an official holiday in its data.
LIBRARY_YEARS = frozenset(day.year for day in constants.holidays)


class Uncovered(LookupError):
    """A day of a year that neither the library nor the override table covers."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"{year} is not in the holiday calendar ({LIBRARY} knows {min(LIBRARY_YEARS)}-"
                         f"{max(LIBRARY_YEARS)}, and /admin/layers/calendaroverride/ has no day of {year})")


@dataclass(frozen=True)
class WorkCalendar:
    """The library's calendar with the override table on top; immutable, so one object serves every thread."""

    overrides: dict[dt.date, bool]  # date → is a working day
    table_years: frozenset[int]

    def covers(self, year: int) -> bool:
        return year in LIBRARY_YEARS or year in self.table_years

    def is_workday(self, day: dt.date) -> bool:
        """Whether `day` is a working day; raises Uncovered for a year nobody covers."""
        found = self.overrides.get(day)
        if found is not None:
            return found
        if day.year in LIBRARY_YEARS:
            return chinese_calendar.is_workday(day)
        if day.year in self.table_years:
            return day.weekday() < 5  # the table names every exception of its years
        raise Uncovered(day.year)


_KEPT = Keeper("work calendar", REFRESH_SECONDS, max_entries=1)


def current() -> WorkCalendar:
    """This process's calendar, read from the table at most every REFRESH_SECONDS."""
    return _KEPT.get("calendar", _read)


def _read() -> WorkCalendar:
    from layers.models import CalendarOverride  # models import this module's forget()

    rows = list(CalendarOverride.objects.values_list("date", "kind"))
    return WorkCalendar(overrides={day: kind == CalendarOverride.Kind.WORKING for day, kind in rows},
                        table_years=frozenset(day.year for day, _ in rows))


def forget() -> None:
    """Drop the cached table (after an edit): the next deadline reads it again."""
    _KEPT.forget()


def uncovered_years(first: int, last: int) -> list[int]:
    """The years in first..last that neither the library nor the table covers."""
    calendar = current()
    return [year for year in range(first, last + 1) if not calendar.covers(year)]
