"""A per-user limit on exports through the API: GRIDMAP_EXPORT_RATE, e.g. "30/min".

The count comes from the audit trail, which records every export anyway: no new table, and the same
answer in every gunicorn worker. It is a sliding window (N exports in any window of the given length),
which for this purpose behaves as a token bucket of N tokens refilled over the window. An advisory lock
per user makes check-and-record atomic, so parallel requests cannot slip past the limit together.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.conf import settings
from django.db import connection
from django.utils import timezone

from geo.access import Access
from geo.errors import TooManyRequests
from geo.models import AuditRecord

UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}
RATE_RE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d*)\s*([a-z]+))?\s*$")
# First key of pg_advisory_xact_lock(int, int): "export" limits, apart from any other advisory lock.
LOCK_CLASS = 0x6578


def parse_rate(text: str) -> tuple[int, float]:
    """'30/min' → (30, 60.0); '0' → (0, 0) (no limit). Raises ValueError on anything else."""
    match = RATE_RE.match(text.lower())
    if not match or (match.group(1) != "0" and not match.group(3)) or (match.group(3) or "s") not in UNITS:
        raise ValueError(f"GRIDMAP_EXPORT_RATE: {text!r} is not a rate like 30/min, 5/s, 200/hour or 0")
    count = int(match.group(1))
    if count == 0:
        return 0, 0.0
    return count, float(int(match.group(2) or 1) * UNITS[match.group(3)])


def check(access: Access) -> None:
    """Raise TooManyRequests (429, with Retry-After) if the caller has used up the window.

    Call inside the transaction that then records the export, so the lock covers both.
    """
    count, window = parse_rate(settings.GRIDMAP_EXPORT_RATE)
    if not count or access.user_id is None:
        return
    with connection.cursor() as cursor:
        # Raw SQL: advisory locks have no ORM equivalent; held until the transaction ends.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, access.user_id])
    now = timezone.now()
    recent = list(AuditRecord.objects.filter(user_id=access.user_id, action=AuditRecord.Action.EXPORT,
                                             at__gt=now - dt.timedelta(seconds=window))
                  .order_by("-at").values_list("at", flat=True)[:count])
    if len(recent) < count:
        return
    retry = max(1, math.ceil((recent[-1] + dt.timedelta(seconds=window) - now).total_seconds()))
    raise TooManyRequests(
        f"export limit reached: {count} exports per {_describe(window)}; try again in {retry} s",
        headers={"Retry-After": str(retry)})


def _describe(seconds: float) -> str:
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = int(seconds // size)
            return name if n == 1 else f"{n} {name}s"
    return f"{seconds:g} seconds"
