"""Schemathesis over /api/openapi.json and /ogc/api against gunicorn serving the test database: no server
error, no answer the documents do not list, no invalid request accepted, no valid one refused.

bench/contract's deterministic phases only (each document's examples and the boundaries of every
constraint, about 4,000 requests, ~40 s); `bench/contract` itself adds random fuzzing on a demo county."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from geo.access import create_user
from grids.models import Worker
from layers.models import Incident
from tests.support.areas import reset_committed_data
from tests.support.chromium import database_url
from tests.support.served import free_port, small_county

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture(scope="module")
def served(django_db_setup, django_db_blocker):
    """gunicorn on a loopback port over a tiny committed county; the test database is emptied afterwards."""
    if not shutil.which(str(ROOT / ".venv/bin/schemathesis")):
        pytest.skip("schemathesis is not installed (the dev extras)")
    with django_db_blocker.unblock():
        small_county()
        Worker.objects.create(employee_no="W1", name="张三", role="full_time")
        for n in range(5):
            Incident.objects.create(location=Point(112.41 + n * 0.04, 35.05, srid=4326), category="dispute",
                                    source="walk_in", description=f"事件{n}")
        _, key = create_user("contract", "administrator", "")
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "GRIDMAP_EXPORT_RATE": "100000",
               "GRIDMAP_BULK_RATE": "100000", "GRIDMAP_TILE_CACHE": "0"}
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "geo.wsgi", "--bind", f"127.0.0.1:{port}",
                                   "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        pytest.fail("gunicorn did not start")
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}", key
        finally:
            server.terminate()
            server.wait(timeout=10)
            reset_committed_data()


@pytest.mark.slow
@pytest.mark.django_db  # so that pytest-django sets the test database up even when this test runs alone
def test_schemathesis_finds_nothing(served, tmp_path):
    base, key = served
    started = time.monotonic()
    # --token=KEY, not --token KEY: a generated key that begins with "-" would read as an option.
    result = subprocess.run([sys.executable, str(ROOT / "bench/contract"), "--url", base, f"--token={key}",
                             "--phases", "examples,coverage", "--keep-reports", str(tmp_path)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:] + "".join(
        p.read_text()[-4000:] for p in tmp_path.glob("*.txt"))
    table = {m[1]: (int(m[2]), int(m[3])) for m in
             re.finditer(r"^(/\S+)\s+([0-9]+)\s+([0-9]+)\s+[0-9.]+\s+none$", result.stdout, re.MULTILINE)}
    assert set(table) == {"/api/openapi.json", "/ogc/api"}, result.stdout
    assert table["/api/openapi.json"][0] >= 20 and table["/ogc/api"][0] >= 20  # operations tested
    assert all(cases > 200 for _, cases in table.values())
    print(f"schemathesis: {table} in {time.monotonic() - started:.1f} s")
