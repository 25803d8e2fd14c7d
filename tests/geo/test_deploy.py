"""Deployment as shipped: the Docker image's file tree is complete, and gunicorn's configuration
(geo/gunicorn.conf.py, used by `make run` and the Dockerfile) never writes a credential.

No Docker engine is needed: the tree is built exactly as the Dockerfile's COPY lines copy the build
context (the files git tracks, minus .dockerignore), its `RUN python manage.py …` steps are run in it,
and the Dockerfile's own gunicorn command serves the login page, a static file and a tile from it
against the test database.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from fixtures import mini
from geo.access import create_user
from geo.accesslog import REDACTED, redact
from tests.support.chromium import database_url
from tests.support.served import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            steps.append((instruction.upper(), arguments.strip()))
    return steps


def context_files() -> list[str]:
    """The build context as a fresh clone has it: tracked files not excluded by .dockerignore."""
    ignored = [p.strip().rstrip("/") for p in (ROOT / ".dockerignore").read_text().splitlines()
               if p.strip() and not p.startswith("#")]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in tracked.splitlines()
            if (ROOT / f).is_file()
            and not any(fnmatch.fnmatch(f, p) or fnmatch.fnmatch(f, p + "/*")
                        or any(fnmatch.fnmatch(part, p) for part in Path(f).parts) for p in ignored)]


def build_tree(target: Path) -> Path:
    """Copy the context into target/<WORKDIR> as the COPY lines do; returns the work directory."""
    files = context_files()
    workdir = target
    for instruction, arguments in dockerfile():
        if instruction == "WORKDIR":
            workdir = target / arguments.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction in ("COPY", "ADD"):
            words = shlex.split(arguments)
            assert not words[0].startswith(("[", "--from")), f"unsupported {instruction} form: {arguments}"
            *sources, dest = [w for w in words if not w.startswith("--")]
            dest_dir = workdir / dest
            for source in sources:
                source = source.rstrip("/")
                matched = [f for f in files if f == source or f.startswith(source + "/")]
                assert matched, f"{instruction} {source}: nothing in the build context"
                for f in matched:
                    # A directory's contents land in dest; a file lands in dest/ when dest ends with a slash.
                    relative = f[len(source) + 1:] if f != source else Path(f).name
                    out = dest_dir / relative if (f != source or dest.endswith("/")) else workdir / dest
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / f, out)
    return workdir


def run_steps(workdir: Path, env: dict) -> None:
    """The Dockerfile's `RUN python manage.py …` steps (pip and apt are the image's business)."""
    for instruction, arguments in dockerfile():
        if instruction == "RUN" and arguments.startswith("python manage.py"):
            subprocess.run([sys.executable, *shlex.split(arguments)[1:]], cwd=workdir, env=env, check=True,
                           capture_output=True, timeout=300)


def gunicorn_command() -> list[str]:
    """The gunicorn command of the Dockerfile's CMD."""
    cmd = next(arguments for instruction, arguments in dockerfile() if instruction == "CMD")
    shell = re.search(r"exec (gunicorn [^\"]+)", cmd)
    assert shell, f"the CMD does not exec gunicorn: {cmd}"
    return shlex.split(shell.group(1))


def get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def image_tree(transactional_db, django_db_serialized_rollback, tmp_path):
    mini.load(seed=1, incidents=20)
    _, key = create_user("deploy-analyst", "analyst", "")
    workdir = build_tree(tmp_path / "image")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDMAP_", "DJANGO_"))}
    env.update({"DATABASE_URL": database_url(connection.settings_dict), "DJANGO_SETTINGS_MODULE": "geo.settings",
                "PATH": f"{BIN}:{env.get('PATH', '')}"})
    for instruction, arguments in dockerfile():
        if instruction == "ENV":
            env.update(dict(shlex.split(pair)[0].split("=", 1) for pair in shlex.split(arguments)))
    port = free_port()
    env["GRIDMAP_BIND"] = f"127.0.0.1:{port}"
    env["GRIDMAP_WORKERS"] = "2"
    run_steps(workdir, env)
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        command = gunicorn_command()
        server = subprocess.Popen([str(BIN / command[0]), *command[1:]], cwd=workdir, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while get_or_none(base + "/healthz") is None:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)
        yield workdir, base, key, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def get_or_none(url: str) -> int | None:
    try:
        return get(url)[0]
    except OSError:
        return None


def test_the_image_tree_serves_login_static_files_and_tiles(image_tree):
    workdir, base, key, log = image_tree
    # What runs is the copied tree, not the checkout (the editable install points at the checkout).
    probe = subprocess.run([sys.executable, "-c", "import geo, grids; print(geo.__file__, grids.__file__)"],
                           cwd=workdir, capture_output=True, text=True, check=True).stdout
    assert probe.count(str(workdir)) == 2, probe

    status, body = get(base + "/accounts/login/")
    assert status == 200 and b'name="password"' in body, body[:500]
    status, body = get(base + "/static/vendor/ol/ol.js")
    assert status == 200 and len(body) > 500_000
    assert get(base + "/static/vendor/leaflet.draw/leaflet.draw.js")[0] == 200
    assert (workdir / "staticfiles" / "vendor" / "leaflet" / "leaflet.js").exists()  # collectstatic ran in it
    status, body = get(base + f"/tiles/grids/10/832/405.pbf?token={key}")
    assert status == 200 and body, status
    assert get(base + "/tiles/grids/10/832/405.pbf", Authorization=f"Bearer {key}")[0] == 200
    assert get(base + f"/open311/v2/services.json?api_key={key}")[0] == 200

    time.sleep(0.5)  # the access log is written after the response
    written = log.read_text()
    assert "/tiles/grids/10/832/405.pbf?token=" + REDACTED in written, written[-2000:]
    assert "api_key=" + REDACTED in written
    assert key not in written and key[:12] not in written


def test_the_configuration_is_the_one_make_run_and_docker_use():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"gunicorn -c geo/gunicorn\.conf\.py geo\.wsgi", makefile)
    assert gunicorn_command()[:3] == ["gunicorn", "-c", "geo/gunicorn.conf.py"]
    config: dict = {}
    exec((ROOT / "geo" / "gunicorn.conf.py").read_text(), config)  # noqa: S102 - our own file
    assert config["worker_class"] == "gthread" and config["threads"] >= 2
    assert config["timeout"] >= 120  # a GeoPackage of 1M incidents streams for ~48 s
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["logger_class"] == "geo.accesslog.RedactingLogger"


@pytest.mark.parametrize("logged, expected", [
    ('"GET /?token=abc123&refresh=60 HTTP/1.1"', f'"GET /?token={REDACTED}&refresh=60 HTTP/1.1"'),
    ("/open311/v2/requests.json?api_key=k-1_2", f"/open311/v2/requests.json?api_key={REDACTED}"),
    ("/accounts/login/?next=/%3Ftoken%3Dsecret%26refresh%3D60",
     f"/accounts/login/?next=/%3Ftoken%3D{REDACTED}%26refresh%3D60"),
    ("/ogc/collections?TOKEN=x;f=json", f"/ogc/collections?TOKEN={REDACTED};f=json"),
    ("/tiles/grids.json?monkey=1&key=zz", f"/tiles/grids.json?monkey=1&key={REDACTED}"),
    ("/api/stats/419001?period=30d", "/api/stats/419001?period=30d"),
])
def test_credentials_are_redacted(logged, expected):
    assert redact(logged) == expected
    assert redact(expected) == expected


def test_the_error_log_is_redacted_too(capsys):
    """gunicorn logs "Error handling request <uri>" with the query string when a request fails."""
    from gunicorn.config import Config

    from geo.accesslog import RedactingLogger

    config = Config()
    config.set("errorlog", "-")
    logger = RedactingLogger(config)
    logger.error("Error handling request %s", "/tiles/grids/1/1/1.pbf?token=s3cret&area=419001")
    written = capsys.readouterr().err
    assert f"?token={REDACTED}&area=419001" in written and "s3cret" not in written


def test_compose_wires_the_standby_to_the_primary_and_the_web_service():
    """docker-compose.yml (no Docker engine here to run it): the standby clones `db` with the committed script,
    the primary lets it replicate, and web reads from it; every mounted file exists. The full file was also
    checked against the Compose Specification's JSON schema when the standby was added (docs/scale.md)."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    web, db, standby = services["web"], services["db"], services["standby"]
    assert web["environment"]["DATABASE_REPLICA_URL"].startswith("postgres://gridmap:gridmap@standby:5432/")
    assert web["depends_on"]["standby"]["condition"] == "service_healthy"
    assert standby["depends_on"]["db"]["condition"] == "service_healthy" and standby["user"] == "postgres"
    assert "max_slot_wal_keep_size=8GB" in db["command"]
    for service in (db, standby):
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            assert source in compose["volumes"] or (ROOT / source).is_file(), source
    script = (ROOT / "scripts/compose/standby.sh").read_text()
    assert "pg_basebackup -h db" in script and "-S gridmap_standby -R" in script and "hot_standby=on" in script
    assert "host replication all all" in (ROOT / "scripts/compose/primary-replication.sh").read_text()
