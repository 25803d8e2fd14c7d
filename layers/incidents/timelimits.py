"""Time limits (办理时限): when a matter must be accepted and closed, and what an extension adds.

The table is layers.TimeLimit (seeded by migration 0003, edited in the admin), read on every intake so
an edit applies to the next report without a restart. Days count in China Standard Time (the centers'
clock, settings.TIME_ZONE), so "1 day" from 23:00 is 23:00 the next day whatever UTC says.

Working days skip Saturdays and Sundays. Official holiday calendars (and the weekend days swapped
around them, 调休) are not modelled: a limit that runs over Spring Festival comes out a few days short.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from layers.models import TimeLimit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """One row of the table, as the loop uses it."""

    accept_days: int
    handle_days: int
    extend_days: int
    unit: str = TimeLimit.Unit.CALENDAR


# Used only when an administrator has deleted the row for a class: a report must still get a due time,
# and the shortest rule (general matters, 1 day) errs on the side of attention. Logged, so it is noticed.
FALLBACK = Limit(accept_days=1, handle_days=1, extend_days=1)


def limit_for(category: str, severity: str) -> Limit:
    row = TimeLimit.objects.filter(category=category, severity=severity).first()
    if row is None:
        log.warning("no time limit for %s/%s; using %s", category, severity, FALLBACK)
        return FALLBACK
    return Limit(row.accept_days, row.handle_days, row.extend_days, row.unit)


def add_days(start: dt.datetime, days: int, unit: str) -> dt.datetime:
    """`start` plus `days` calendar or working days, keeping the local time of day.

    Working days: each day counted must be Monday to Friday. A report made on a weekend starts its
    clock at 00:00 of the next Monday, so "1 working day" from Saturday noon ends Tuesday 00:00.
    """
    local = timezone.localtime(start)
    if unit != TimeLimit.Unit.WORKING:
        return _local(local.replace(tzinfo=None) + dt.timedelta(days=days))
    naive = local.replace(tzinfo=None)
    if naive.weekday() >= 5:
        naive = dt.datetime.combine(naive.date() + dt.timedelta(days=7 - naive.weekday()), dt.time())
    remaining = days
    while remaining > 0:
        naive += dt.timedelta(days=1)
        if naive.weekday() < 5:
            remaining -= 1
    return _local(naive)


def _local(naive: dt.datetime) -> dt.datetime:
    # Calendar arithmetic on the wall clock, then back to an aware time (no DST in China, but be exact).
    return timezone.make_aware(naive, timezone.get_current_timezone())


def due_times(reported_at: dt.datetime, limit: Limit) -> tuple[dt.datetime, dt.datetime]:
    """(accept due, close due) for a matter reported at `reported_at`."""
    return add_days(reported_at, limit.accept_days, limit.unit), add_days(reported_at, limit.handle_days, limit.unit)


def extended(due_at: dt.datetime, limit: Limit) -> dt.datetime:
    """The due time after the one extension a matter may have."""
    return add_days(due_at, limit.extend_days, limit.unit)
