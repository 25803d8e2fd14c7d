"""Reads from a streaming-replication hot standby, writes and read-after-write on the primary.

Why: tiles, dashboards, stats, exports and OGC are nearly all of the database's work and none of it
writes; a hot standby (a physical copy kept current by streaming replication, docs/scale.md) can take
it, leaving the primary's CPU and I/O to intake, the closed loop and the planner. And when the primary
stops, the wall screens keep drawing the map from the standby.

What reads where is decided per request, once, in one place:

- A request may read from the standby when it is a GET or HEAD on a read path (`READ_PATHS`: tiles,
  the dashboards, /api/stats, exports, OGC). `ReadRouting` (Django middleware) and the WSGI fast path
  (geo/fastpath.py) both call `reads_for(method, path)`; outside a request (management commands,
  tests, migrations) everything is on the primary, as it is when no `replica` database is configured
  (DATABASE_REPLICA_URL unset).
- Writes always go to the primary (`ReplicaRouter.db_for_write`), and so does every read made while
  the primary's connection is inside a transaction (an intake's answer, the planner's preview and
  commit: the transaction must see its own writes). Django sessions are read on the primary too (a
  login is read back at once), except while the primary is down.
- The first read of a request picks the server, and the request keeps it (a tile's version stamp and
  its content must come from the same server, tiles/versions.py). ORM queries ask the router; raw SQL
  asks `geo.sql.reader()`, which asks the same function here: one decision for both.
- The lag guard (`LagGuard`) looks at both servers at most every GRIDMAP_REPLICA_CHECK_SECONDS: the
  standby is used only if it answers and is at most GRIDMAP_REPLICA_MAX_LAG seconds behind; when the
  primary does not answer, the standby is used whatever its lag (nothing newer exists to read), and
  writes answer 503 (geo/errors.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg.rows import dict_row

log = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
# Paths whose GET/HEAD answers may come from the standby: pure reads (an export's audit record and the
# rate limiter write through the ORM's or their own primary connection, unaffected).
READ_PATHS = ("/tiles/", "/dashboards/", "/api/stats", "/api/export/", "/ogc/")
READ_EXACT = ("/",)  # the panorama
READ_METHODS = ("GET", "HEAD")


@dataclass
class _Reads:
    """One request's reads: may it use the standby, and which server its first read chose."""

    replica_allowed: bool
    chosen: str | None = None


_current: ContextVar[_Reads | None] = ContextVar("gridmap_reads", default=None)


def configured() -> bool:
    """Is there a `replica` database (DATABASE_REPLICA_URL)?"""
    return REPLICA in connections.settings


def read_path(method: str, path: str) -> bool:
    return method in READ_METHODS and (path in READ_EXACT or path.startswith(READ_PATHS))


@contextlib.contextmanager
def reads_for(method: str, path: str) -> Iterator[None]:
    """Within this block, reads follow the rules above for a request `method path`."""
    token = _current.set(_Reads(configured() and read_path(method, path)))
    try:
        yield
    finally:
        _current.reset(token)


def carried(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A streaming response's body read with its request's routing: the WSGI server iterates it after the
    middleware has returned, so the request's state is put back around each chunk (an export's rows are
    read while the body streams)."""
    state = _current.get()
    iterator = iter(chunks)
    while True:
        token = _current.set(state)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _current.reset(token)
        yield chunk


def read_alias(model=None) -> str:
    """The database alias a read goes to now (see the module's docstring)."""
    state = _current.get()
    if state is None or not state.replica_allowed:
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY  # read-after-write: a transaction sees its own writes
    if model is not None and model._meta.label == "sessions.Session":
        return REPLICA if GUARD.primary_down() else PRIMARY
    if state.chosen is None:
        state.chosen = REPLICA if GUARD.replica_usable() else PRIMARY
    return state.chosen


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: the ORM's half of the routing (raw SQL's is geo.sql.reader)."""

    def db_for_read(self, model, **hints) -> str:
        return read_alias(model)

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the standby is a copy of the same database

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY  # a standby is read-only: it follows the primary's migrations


class ReadRouting:
    """Django middleware: a request's reads follow `reads_for`; a streaming body keeps them (carried)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with reads_for(request.method, request.path_info):
            response = self.get_response(request)
            if getattr(response, "streaming", False):
                response.streaming_content = carried(response.streaming_content)
        return response


# ------------------------------------------------------------------------------------------ the lag guard

@dataclass(frozen=True)
class Health:
    """What the last look at both servers found."""

    primary_up: bool
    replica_up: bool
    lag: float | None  # seconds the standby's data is behind the primary's; None if unknown
    checked: float  # time.monotonic() of the look


LAG_SQL = """
SELECT pg_is_in_recovery() AS standby,
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN %(lsn)s::pg_lsn IS NOT NULL AND pg_last_wal_replay_lsn() >= %(lsn)s::pg_lsn THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END AS lag
"""


class LagGuard:
    """How far behind the standby is, looked at by one thread at most every `interval` seconds per process.

    The primary's current WAL insert position is read first (with synchronous_commit off, a commit may not
    be written yet), then the standby's replay position: if the standby has replayed that far, it holds
    every transaction committed before the look and its lag is 0. Otherwise the lag is the age of the last
    transaction it replayed: an upper bound (the first one it is missing was committed after that), which
    on a primary idle for a while overstates the lag for as long as a few bytes of WAL without a commit
    are in flight: reads then go to the primary for one interval, which is safe. The looks use two small
    connections of their own (autocommit, short timeouts), not the request's, so a look never touches a
    request's transaction.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, psycopg.Connection | None] = {PRIMARY: None, REPLICA: None}
        self.health = Health(primary_up=True, replica_up=False, lag=None, checked=float("-inf"))

    @property
    def interval(self) -> float:
        return float(getattr(settings, "GRIDMAP_REPLICA_CHECK_SECONDS", 1.0))

    @property
    def max_lag(self) -> float:
        return float(getattr(settings, "GRIDMAP_REPLICA_MAX_LAG", 5.0))

    def current(self) -> Health:
        """The last look, refreshed if older than the interval (by this thread, unless another is looking)."""
        health = self.health
        if time.monotonic() - health.checked >= self.interval and self._lock.acquire(blocking=False):
            try:
                self.health = health = self._look()
            finally:
                self._lock.release()
        return health

    def replica_usable(self) -> bool:
        health = self.current()
        if not health.replica_up:
            return False
        if not health.primary_up:
            return True
        return health.lag is not None and health.lag <= self.max_lag

    def primary_down(self) -> bool:
        return not self.current().primary_up

    def reset(self) -> None:
        """Forget the last look and close the guard's connections (tests, a settings change)."""
        with self._lock:
            for alias in list(self._connections):
                self._drop(alias)
            self.health = Health(primary_up=True, replica_up=False, lag=None, checked=float("-inf"))

    def _look(self) -> Health:
        lsn = None
        before = self.health
        try:
            lsn = self._query(PRIMARY, "SELECT pg_current_wal_insert_lsn()::text AS lsn", {})["lsn"]
            primary_up = True
        except psycopg.Error as exc:
            primary_up = False
            if before.primary_up:  # one line when it goes, not one a second while it stays away
                log.warning("lag guard: the primary does not answer; reads from the standby (%s)", _first_line(exc))
        try:
            row = self._query(REPLICA, LAG_SQL, {"lsn": lsn})
            replica_up, lag = True, (None if row["lag"] is None else float(row["lag"]))
        except psycopg.Error as exc:
            replica_up, lag = False, None
            if before.replica_up:
                log.warning("lag guard: the standby does not answer; reads from the primary (%s)", _first_line(exc))
        return Health(primary_up, replica_up, lag, time.monotonic())

    def _query(self, alias: str, sql: str, params: dict) -> dict:
        try:
            conn = self._connections[alias]
            if conn is None or conn.closed:
                conn = self._connections[alias] = psycopg.connect(**_conninfo(alias), autocommit=True)
            with conn.cursor(row_factory=dict_row) as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        except psycopg.Error:
            self._drop(alias)
            raise

    def _drop(self, alias: str) -> None:
        conn = self._connections.get(alias)
        self._connections[alias] = None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


# Django's OPTIONS keys that are not libpq connection parameters.
_DJANGO_OPTIONS = {"isolation_level", "pool", "server_side_binding", "assume_role", "cursor_factory"}


def _conninfo(alias: str) -> dict:
    """libpq parameters for the guard's own connection to `alias`: the alias's own, short timeouts."""
    conn = connections[alias]
    params = conn.get_connection_params()  # the test database's name when tests run
    info = {key: value for key, value in params.items()
            if key in {"dbname", "user", "password", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey"}
            or (key in conn.settings_dict.get("OPTIONS", {}) and key not in _DJANGO_OPTIONS)}
    info["connect_timeout"] = 2
    info["options"] = (info.get("options", "") + " -c statement_timeout=2000").strip()
    info["application_name"] = "gridmap-lag-guard"
    return info


GUARD = LagGuard()
