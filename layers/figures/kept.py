"""Figures of a period that has ended, kept per process for a while.

A period that has ended counts the same for ever: its figures are taken as of its end
(counts.Selection.at), so what was reported in it, closed by its end or overdue at its end does not
change when later matters come in or old ones close. The pages and answers that show an ended period
beside the current one (the dashboards' comparison with the period before, /api/stats' 环比 and 同比,
the weekly ranking's last week) keep its figures per process for CACHE_SECONDS, so that a county's
leaders and wall screens do not recount last year on every page: at full scale that recount was a third
of a year view's time (README, "Measured speed"). A correction of past data (an admin's edit of old
times, an import of old matters) shows within CACHE_SECONDS, or at once after forget().

A period that has not ended is never kept: ended() computes it every time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.utils import timezone

from geo.kept import Keeper
from layers.figures import counts

T = TypeVar("T")

CACHE_SECONDS = 600
_KEPT = Keeper("ended figures", CACHE_SECONDS, max_entries=512)  # a county's units × a few periods


def ended(key: Hashable, end: dt.datetime, compute: Callable[[], T]) -> T:
    """compute()'s value for a period ending at `end` (exclusive): kept under `key` once `end` has passed.

    `key` must name everything the value depends on (unit, period, class, department, level); the value
    is shared between requests, so callers must not change it."""
    if end > timezone.now():
        return compute()
    return _KEPT.get(key, compute)


def by_area(sel: counts.Selection, level: int | None) -> dict[str, counts.Figures]:
    """counts.by_area, kept once the selection's period has ended: the figures of a period compared with the
    current one (the previous period, the same period a year before) for /api/stats, its children and
    breakdowns, and the dashboards' cards. Only a period of whole local days is kept: it is the one asked
    again (the pages' periods, dates in the API); a period ending at a moment (/api/stats' default, until
    now, compared with the same moment a year before) differs at every request, and keeping it would only
    push the others out."""
    if sel.until is None or not (_at_midnight(sel.since) and _at_midnight(sel.until)):
        return counts.by_area(sel, level)
    return ended(("by_area", sel, level), sel.until, lambda: counts.by_area(sel, level))


def _at_midnight(moment: dt.datetime | None) -> bool:
    return moment is None or moment == counts.local_midnight(moment.astimezone(counts.zone()).date())


def forget() -> None:
    """Drop every kept figure (after a correction of past data; geo.kept.forget_all() drops them too)."""
    _KEPT.forget()
