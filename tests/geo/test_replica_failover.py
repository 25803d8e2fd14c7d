"""The primary stops under the running app: tiles, the tile description, the dashboards and stats keep answering
from the hot standby; an intake (a write) answers 503 with Retry-After; once the primary is back, intake works
again and the standby has the new report.

The app is the production one (gunicorn geo.wsgi: the fast path, then Django) with DATABASE_REPLICA_URL, on a
throwaway primary + standby pair of its own (geo.localdb.TemporaryCluster and its start_standby, the same
pg_basebackup-through-a-slot clone as `geo.localdb start --standby`), so stopping the primary cannot disturb
the test database of the rest of the session. About 30-60 s on this machine.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator

import pytest

from geo import localdb
from tests.geo.test_database_outage import GUNICORN, ROOT, App, manage, report, serving
from tests.support.served import free_port


@pytest.fixture(scope="module")
def pair() -> Iterator[localdb.TemporaryCluster]:
    with localdb.TemporaryCluster() as cluster:
        manage(cluster, "migrate", "--noinput", "-v", "0")
        manage(cluster, "load_demo", "--scenario", "mini", "--incidents", "20")
        cluster.start_standby()
        yield cluster


@pytest.fixture(scope="module")
def app(pair) -> Iterator[App]:
    import subprocess

    token = manage(pair, "add_user", "wall", "--role", "administrator", "--password", "wall-password-1"
                   ).split("API token (shown once):")[1].strip()
    lon, lat = map(float, pair.psql("select ST_X(p), ST_Y(p) from (select ST_PointOnSurface(boundary) p from "
                                    "grids_area where level = 4 order by code limit 1) s").split("|"))
    county = pair.psql("select code from grids_area where level = 1")
    port = free_port()
    log = pair.directory / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": pair.url, "DATABASE_REPLICA_URL": pair.standby_url,
           "GRIDMAP_TILE_CACHE": "0", "GRIDMAP_LANGUAGE": "en", "GRIDMAP_REPLICA_CHECK_SECONDS": "0.2"}
    with open(log, "wb") as out:
        server = subprocess.Popen([GUNICORN, "-c", "geo/gunicorn.conf.py", "geo.wsgi", "--bind",
                                   f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    app = App(f"http://127.0.0.1:{port}", token, log, (lon, lat), county)
    try:
        deadline = time.monotonic() + 60
        while not serving(app):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield app
    finally:
        server.terminate()
        server.wait(timeout=30)


def tile(z: int, lon: float, lat: float) -> str:
    """The tile at zoom z holding the point."""
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return f"{z}/{int((lon + 180) / 360 * n)}/{int(y)}"


def reads(app: App, township: str) -> list[str]:
    """What a wall screen and a map client read: tiles by the fast path (token) and by Django (the tile
    description), the panorama and a drill-down page, the county's stats."""
    lon, lat = app.point
    return [f"/tiles/grids/{tile(8, lon, lat)}.pbf", f"/tiles/grids,incidents/{tile(12, lon, lat)}.pbf",
            f"/tiles/workload/{tile(10, lon, lat)}.pbf", "/tiles/grids.json", f"/?token={app.token}",
            f"/dashboards/township/{township}/?token={app.token}", f"/api/stats/{app.county}"]


def caught_up(pair: localdb.TemporaryCluster, timeout: float = 15) -> None:
    lsn = pair.psql("select pg_current_wal_insert_lsn()")
    deadline = time.monotonic() + timeout
    while pair.standby_psql(f"select pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") != "t":
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.1)


def test_with_the_primary_stopped_maps_and_dashboards_answer_from_the_standby(pair, app):
    paths = reads(app, pair.psql("select code from grids_area where level = 2 order by code limit 1"))
    assert app.call("POST", "/api/incidents", report(app, "before"))[0] == 201
    caught_up(pair)
    answers = {}
    for path in paths:
        status, _, content = app.call("GET", path)
        assert status in (200, 204), (path, status, content[:300])
        answers[path] = (status, content)

    pair.stop()
    try:
        time.sleep(0.5)  # more than the guard's interval: it has seen the primary go
        for path in paths:
            status, _, content = app.call("GET", path)
            assert status in (200, 204), (path, status, content[:300])
            if path.endswith(".pbf"):
                assert (status, content) == answers[path], path  # the same tile, drawn by the standby
        # OGC items (no audit unless personal data is asked for) read from the standby; an export is rate-limited
        # and audited on the primary before its first byte: no audit record, no export.
        status, _, content = app.call("GET", "/ogc/collections/incidents/items?limit=5")
        assert status == 200 and json.loads(content)["features"], content[:300]
        assert app.call("GET", "/api/export/incidents.csv")[0] == 503
        status, headers, content = app.call("POST", "/api/incidents", report(app, "during"))
        assert status == 503, content[:300]
        assert headers["Retry-After"] == "5" and json.loads(content)["error"]["code"] == "unavailable"
        assert pair.standby_psql("select pg_is_in_recovery()") == "t"
    finally:
        pair.start()

    # Every thread's kept connection died with the primary: each is replaced at its first use (the intake's
    # prepared statements included, geo.sql.rows), so no report after the restart is refused.
    for n in range(8):
        assert app.call("POST", "/api/incidents", report(app, f"after-{n}"))[0] == 201
    caught_up(pair)
    assert pair.standby_psql("select count(*) from layers_incident where client_id = 'before' "
                             "or client_id like 'after-%'") == "9"
    log = app.log.read_text(errors="replace")
    assert "Traceback" not in log and "Internal Server Error" not in log, log[-3000:]
