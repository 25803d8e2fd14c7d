"""A `replica` database alias on the checkout's hot standby for in-process tests (geo/replica.py).

The standby copies the whole cluster, test database included, so the alias is the default's settings (the
test database's name) on the standby's port. It is added for one test and removed after it, so that the
rest of the session keeps reading from the primary only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from urllib.parse import urlparse

from django.db import connections

from geo import sql
from geo.replica import GUARD, REPLICA


@contextlib.contextmanager
def replica_alias(standby_url: str) -> Iterator[str]:
    added = REPLICA not in connections.settings
    if added:
        where = urlparse(standby_url)
        connections.settings[REPLICA] = {**connections["default"].settings_dict, "HOST": where.hostname,
                                         "PORT": str(where.port), "TEST": {"MIRROR": "default"}}
    GUARD.reset()
    try:
        yield REPLICA
    finally:
        connections[REPLICA].close()
        if added:
            del connections[REPLICA]
            del connections.settings[REPLICA]
        GUARD.reset()


def replayed(timeout: float = 15) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    lsn = sql.rows("SELECT pg_current_wal_insert_lsn()::text AS lsn", using=connections["default"])[0]["lsn"]
    deadline = time.monotonic() + timeout
    while True:
        row = sql.rows("SELECT pg_last_wal_replay_lsn() >= %(lsn)s::pg_lsn AS done", {"lsn": lsn},
                       using=connections[REPLICA])[0]
        if row["done"]:
            return
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.05)
