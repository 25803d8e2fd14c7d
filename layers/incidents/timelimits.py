"""Time limits (办理时限): when a matter must be accepted and closed, and what an extension adds.

The table is layers.TimeLimit (seeded by migration 0003, edited in the admin), read on every intake so
an edit applies to the next report without a restart. Days count in China Standard Time (the centers'
clock, settings.TIME_ZONE), so "1 day" from 23:00 is 23:00 the next day whatever UTC says.

Working days follow China's official calendar (layers/incidents/workdays.py): public holidays are
skipped and the weekends worked in exchange (调休) count. When a working-day limit runs into a year the
calendar does not cover, it is counted in calendar days instead (the shorter reading, which errs on the
side of attention) and the Deadline says so; intake stores that note on the incident and in its
"report" event, the loop in its step's event.

Petitions (信访工作条例): accepted within 15 days; handled within 60 days *of acceptance* (the row's
`from_acceptance`), so intake sets a provisional due time (acceptance at its limit + 60 days) and the
accept step sets the real one; extended once, by at most 30 days (`check_extension`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from geo.errors import InvalidInput
from layers.incidents import workdays
from layers.models import Incident, TimeLimit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """One row of the table, as the loop uses it."""

    accept_days: int
    handle_days: int
    extend_days: int
    unit: str = TimeLimit.Unit.CALENDAR
    from_acceptance: bool = False


@dataclass(frozen=True)
class Deadline:
    """A due time, and why it was counted other than as asked (empty when it was not)."""

    at: dt.datetime
    note: str = ""


# Used only when an administrator has deleted the row for a class: a report must still get a due time,
# and the shortest rule (general matters, 1 day) errs on the side of attention. Logged, so it is noticed.
FALLBACK = Limit(accept_days=1, handle_days=1, extend_days=1)


def limit_for(category: str, severity: str) -> Limit:
    row = TimeLimit.objects.filter(category=category, severity=severity).first()
    if row is None:
        log.warning("no time limit for %s/%s; using %s", category, severity, FALLBACK)
        return FALLBACK
    return Limit(row.accept_days, row.handle_days, row.extend_days, row.unit, row.from_acceptance)


def table() -> dict[tuple[str, str], Limit]:
    """The whole table, {(category, severity): Limit}: the demo generator counts with the same rule."""
    return {(row.category, row.severity): Limit(row.accept_days, row.handle_days, row.extend_days, row.unit,
                                                 row.from_acceptance)
            for row in TimeLimit.objects.all()}


def add_days(start: dt.datetime, days: int, unit: str) -> dt.datetime:
    """`start` plus `days` calendar or working days, keeping the local time of day.

    Working days: each day counted must be a working day of China's calendar (a 调休 Saturday is one, a
    public holiday on a Wednesday is not). A report made on a day off starts its clock at 00:00 of the
    next working day, so "1 working day" from Saturday noon ends Tuesday 00:00 in an ordinary week.
    Raises workdays.Uncovered when a day counted falls in a year the calendar does not cover.
    """
    local = timezone.localtime(start)
    if unit != TimeLimit.Unit.WORKING:
        return _local(local.replace(tzinfo=None) + dt.timedelta(days=days))
    calendar = workdays.current()
    naive = local.replace(tzinfo=None)
    if not calendar.is_workday(naive.date()):
        day = naive.date() + dt.timedelta(days=1)
        while not calendar.is_workday(day):
            day += dt.timedelta(days=1)
        naive = dt.datetime.combine(day, dt.time())
    remaining = days
    while remaining > 0:
        naive += dt.timedelta(days=1)
        if calendar.is_workday(naive.date()):
            remaining -= 1
    return _local(naive)


def deadline(start: dt.datetime, days: int, unit: str) -> Deadline:
    """add_days, never failing: a working-day count that reaches an uncovered year falls back to
    calendar days, with a note naming the year and where to add it."""
    try:
        return Deadline(add_days(start, days, unit))
    except workdays.Uncovered as exc:
        log.warning("working-day limit from %s: %s; counted as calendar days", start, exc)
        return Deadline(add_days(start, days, TimeLimit.Unit.CALENDAR),
                        f"{days} working days counted as calendar days: {exc}")


def _local(naive: dt.datetime) -> dt.datetime:
    # Calendar arithmetic on the wall clock, then back to an aware time (no DST in China, but be exact).
    return timezone.make_aware(naive, timezone.get_current_timezone())


@dataclass(frozen=True)
class DueTimes:
    accept_due: dt.datetime
    due: dt.datetime
    note: str = ""


def due_times(reported_at: dt.datetime, limit: Limit) -> DueTimes:
    """The acceptance and closing due times of a matter reported at `reported_at`. A limit that counts
    from acceptance gets a provisional due time: accepted at its acceptance limit, + the handling days
    (the accept step replaces it with the real one, which is never later)."""
    accept = deadline(reported_at, limit.accept_days, limit.unit)
    due = deadline(accept.at if limit.from_acceptance else reported_at, limit.handle_days, limit.unit)
    return DueTimes(accept.at, due.at, _notes(accept.note, due.note))


def due_from_acceptance(accepted_at: dt.datetime, limit: Limit) -> Deadline:
    """The due time set by the accept step, for a limit whose handling days count from acceptance."""
    return deadline(accepted_at, limit.handle_days, limit.unit)


def check_extension(incident: Incident, limit: Limit, days: int | None) -> int:
    """The days one extension adds: `days` if asked (1..the table's extension), else the table's. For a
    petition the regulation caps it too (信访工作条例: at most 30 days). Raises InvalidInput naming the rule."""
    most, rule = limit.extend_days, "the time-limit table's extension for this class"
    if incident.category == Incident.Category.PETITION:
        # The table may not be looser than the regulation (TimeLimit.clean), but a row written around the
        # admin could be: the regulation's 30 days hold whatever the table says.
        most = min(most, TimeLimit.PETITION_RULE[2])
        rule = f"{rule}, and {TimeLimit.PETITION_BASIS}"
    if days is None:
        return most
    if days > most:
        raise InvalidInput(f"days: an extension of {incident.get_category_display()}/{incident.severity} matters "
                           f"is at most {most} {limit.unit} days ({rule}); asked for {days}", field="days")
    return days


def extended(due_at: dt.datetime, limit: Limit, days: int | None = None) -> Deadline:
    """The due time after the one extension a matter may have (`days`: the checked extension)."""
    return deadline(due_at, limit.extend_days if days is None else days, limit.unit)


def _notes(*notes: str) -> str:
    return "; ".join(dict.fromkeys(n for n in notes if n))
