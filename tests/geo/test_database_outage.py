"""The database stops under the running app: every path answers 503 with Retry-After (JSON on API paths), no
traceback is logged, and once PostgreSQL is back the same requests succeed; a report retried with its client
id across the outage is stored once.

The app is the production one (gunicorn geo.wsgi: the fast path, then Django) on a throwaway PostgreSQL
cluster of its own, created, migrated and loaded with the mini county here, so stopping it cannot disturb
the test database of the rest of the session or the checkout's cluster. About 30 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from geo import localdb
from tests.support.served import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


@pytest.fixture(scope="module")
def cluster() -> Iterator[localdb.TemporaryCluster]:
    with localdb.TemporaryCluster() as cluster:
        yield cluster


def manage(cluster: localdb.TemporaryCluster, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": cluster.url, "DJANGO_SETTINGS_MODULE": "geo.settings"}
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout


@dataclass
class App:
    base: str
    token: str
    log: Path
    point: tuple[float, float]
    county: str
    key_person: int = 0

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json",
             token: bool = True) -> tuple[int, dict[str, str], bytes]:
        headers = {"Authorization": f"Bearer {self.token}"} if token else {}
        if body is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def app(cluster) -> Iterator[App]:
    manage(cluster, "migrate", "--noinput", "-v", "0")
    manage(cluster, "load_demo", "--scenario", "mini", "--incidents", "20")
    token = manage(cluster, "add_user", "outage", "--role", "administrator", "--password", "outage-password-1"
                   ).split("API token (shown once):")[1].strip()
    lon, lat = map(float, cluster.psql("select ST_X(p), ST_Y(p) from (select ST_PointOnSurface(boundary) p from "
                                       "grids_area where level = 4 order by code limit 1) s",
                                       database="gridmap").split("|"))
    county = cluster.psql("select code from grids_area where level = 1", database="gridmap")
    # A key person for the follow-up routes (the mini county has rooms but no people).
    key_person = int(manage(cluster, "shell", "-c", (
        "from people import identity, services; from layers.models import Room; first = '41900119800101001'; "
        "p = services.register(name='演示（outage）', id_number=first + identity.id_check_digit(first), "
        "room=Room.objects.order_by('id').first(), demo=True); services.tag(p, 'drug'); print(p.pk)")).split()[-1])
    port = free_port()
    log = cluster.directory / "gunicorn.log"
    # English messages, the catalogue's source language (the Chinese default is tested in tests/geo/test_i18n.py).
    env = {**os.environ, "DATABASE_URL": cluster.url, "GRIDMAP_TILE_CACHE": "0", "GRIDMAP_LANGUAGE": "en"}
    with open(log, "wb") as out:
        server = subprocess.Popen([GUNICORN, "geo.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                   "--timeout", "60", "--access-logfile", "-"], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    app = App(f"http://127.0.0.1:{port}", token, log, (lon, lat), county, key_person)
    try:
        deadline = time.monotonic() + 60
        while not serving(app):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield app
    finally:
        server.terminate()
        server.wait(timeout=30)


def serving(app: App) -> bool:
    try:
        return app.call("GET", "/healthz", token=False)[0] == 200
    except urllib.error.URLError:  # not listening yet
        return False


def report(app: App, client_id: str) -> bytes:
    return json.dumps({"category": "dispute", "source": "walk_in", "lon": app.point[0], "lat": app.point[1],
                       "client_id": client_id}).encode()


def requests(app: App) -> list[tuple[str, str, bytes | None, str]]:
    """(method, path, body, content type) over every kind of path: API, the fast path's tiles and intake,
    Django's intake (a form), OGC, Open311, exports, a dashboard page."""
    form = urlencode({"service_code": "dispute", "lat": app.point[1], "long": app.point[0],
                      "description": "outage"}).encode()
    return [
        ("GET", "/api/incidents?limit=5", None, ""),
        ("GET", "/api/areas", None, ""),
        ("GET", f"/api/locate?lon={app.point[0]}&lat={app.point[1]}", None, ""),
        ("GET", "/tiles/grids/8/0/0.pbf", None, ""),  # the fast path
        ("GET", "/tiles/grids.json", None, ""),  # Django
        ("POST", "/api/incidents", report(app, "outage-probe"), "application/json"),  # the fast path
        ("GET", "/ogc/collections/incidents/items?limit=5", None, ""),
        ("GET", "/open311/v2/requests.json", None, ""),
        ("POST", "/open311/v2/requests.json", form, "application/x-www-form-urlencoded"),  # Django
        ("GET", "/api/export/incidents.csv", None, ""),
        ("GET", f"/api/stats/{app.county}", None, ""),
        ("GET", f"/api/stats/departments?area={app.county}", None, ""),
        ("GET", f"/?token={app.token}", None, ""),
        # This wave's routes: people, field work, the leaders' analysis.
        ("GET", "/api/enterprises", None, ""),
        ("GET", "/api/visits", None, ""),
        ("GET", "/api/cameras", None, ""),
        ("GET", "/api/videopatrols", None, ""),
        ("GET", f"/api/people/{app.key_person}/followups", None, ""),
        ("POST", f"/api/people/{app.key_person}/followups", json.dumps({"kind": "visit"}).encode(),
         "application/json"),
        ("GET", f"/api/analysis/index/{app.county}", None, ""),
        ("GET", f"/api/coverage/{app.county}", None, ""),
        # Not /api/wall: a wall screen keeps its last answer, shared per process, while the database is
        # away (layers/dashboards/wall.py), which is what a wall should do; its first poll would be a 503.
    ]


def test_a_stopped_database_is_a_503_then_service_resumes(cluster, app):
    for method, path, body, content_type in requests(app):
        status, _, content = app.call(method, path, body, content_type)
        assert 200 <= status < 300, (path, status, content[:300])
    assert app.call("POST", "/api/incidents", report(app, "retried-1"))[0] == 201
    assert app.call("GET", "/api/me")[0] == 200  # the token is now cached for a minute (geo.access)
    before = int(cluster.psql("select count(*) from layers_incident", database="gridmap"))

    cluster.stop()
    try:
        for method, path, body, content_type in [*requests(app), ("POST", "/api/incidents",
                                                                  report(app, "retried-2"), "application/json")]:
            status, headers, content = app.call(method, path, body, content_type)
            assert status == 503, (path, status, content[:300])
            assert headers["Retry-After"] == "5"
            if not path.startswith("/?"):
                error = json.loads(content)["error"]
                assert error["code"] == "unavailable" and "retry in 5 s" in error["message"]
        assert app.call("GET", "/healthz", token=False)[0] == 503
        # What needs no database still answers: /api/me from the token cache.
        assert app.call("GET", "/api/me")[0] == 200
    finally:
        cluster.start()

    # The worker's connection died with the server: the first request after reconnects.
    for method, path, body, content_type in requests(app):
        status, _, content = app.call(method, path, body, content_type)
        assert 200 <= status < 300, (path, status, content[:300])
    # The phone retries both reports: the one stored before the outage is replayed, the one refused
    # during it is stored now; each exactly once.
    status, headers, _ = app.call("POST", "/api/incidents", report(app, "retried-1"))
    assert status == 201 and headers.get("Idempotent-Replayed") == "true"
    assert app.call("POST", "/api/incidents", report(app, "retried-2"))[0] == 201
    assert app.call("POST", "/api/incidents", report(app, "retried-2"))[0] == 201
    stored = cluster.psql("select client_id, count(*) from layers_incident where client_id like 'retried-%' "
                          "group by client_id order by 1", database="gridmap")
    assert stored.splitlines() == ["retried-1|1", "retried-2|1"]
    assert int(cluster.psql("select count(*) from layers_incident", database="gridmap")) >= before + 1

    log = app.log.read_text(errors="replace")
    assert "Traceback" not in log and "Internal Server Error" not in log, log[-3000:]
    assert "database unavailable, answered 503" in log
