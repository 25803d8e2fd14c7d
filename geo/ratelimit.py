"""Rate limits for expensive endpoints (exports, area-wide checks) and logins, shared by every worker process.

A fixed window per (bucket, caller) counted in PostgreSQL with one UPSERT: the app already depends
on it, gunicorn's workers share it, and an expensive request can afford one more statement.
Limits come from GRIDMAP_RATE_LIMITS, e.g. {"export": (30, 60)} = 30 requests per 60 s.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

from geo.access import Access
from geo.errors import TooManyRequests


def check(access: Access | None, bucket: str, *, ip: str | None = None, who: str | None = None) -> None:
    """Count one request of `bucket` for the caller; raise TooManyRequests (429) past the limit.

    The caller is the user, or the IP address when anonymous, or `who` when given (at most 64 characters:
    the login throttle passes a hash of the user name and address, as nobody is logged in yet).
    """
    limit = settings.GRIDMAP_RATE_LIMITS.get(bucket)
    if not limit:
        return
    count, seconds = limit
    window = int(time.time() // seconds)
    if who is None:
        who = f"u{access.user_id}" if access is not None and access.user_id else f"ip{ip or '-'}"
    with connection.cursor() as cursor:
        # Raw SQL: an atomic increment-or-insert returning the new count is one statement here.
        cursor.execute("""
            INSERT INTO geo_ratecounter (bucket, who, window_start, hits) VALUES (%s, %s, %s, 1)
            ON CONFLICT (bucket, who, window_start) DO UPDATE SET hits = geo_ratecounter.hits + 1
            RETURNING hits""", [bucket, who, window])
        hits = cursor.fetchone()[0]
        if hits == 1 and window % 10 == 0:
            cursor.execute("DELETE FROM geo_ratecounter WHERE window_start < %s AND bucket = %s", [window - 1, bucket])
    if hits > count:
        retry = int(seconds - time.time() % seconds) + 1
        raise TooManyRequests(f"too many {bucket} requests: at most {count} per {seconds} s; retry in {retry} s",
                              detail={"retry_after": retry})
