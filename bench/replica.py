#!/usr/bin/env python
"""bench/replica.py: tiles and dashboards read from the hot standby against the same reads from the primary.

    python -m geo.localdb start --standby        # once: the checkout's primary + standby pair
    .venv/bin/python bench/replica.py [--tiles 40] [--runs 7]

Target (issue 21): reading from the standby costs no more than from the primary. Runs on whatever county is
loaded (full-scale 济源 with 1,000,000 incidents for the issue's figure) and says what that is.

Both sides take the same code path, the one production takes (geo/replica.py): a tile through
tiles.service.tile inside the routing of a GET /tiles/ request, a dashboard page and /api/stats through
Django's whole request path (the ReadRouting middleware included). "primary" is the same request with the
lag guard's limit below zero, so the router keeps it on the primary; each measurement checks which server
answered (pg_is_in_recovery()). Tiles are cold (the tile cache is off) and the samples alternate between
the two servers (A B, B A, ...) so that the machine's load falls on both alike; one untimed pass warms
each server's buffers first (the standby's data files are a copy of their own, cold on a fresh clone).

Also printed, for the pooling decision (docs/scale.md): what a new connection costs against a query on a
kept one, and how many server processes the pair holds afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
os.environ["GRIDMAP_TILE_CACHE"] = "0"

from geo import localdb  # noqa: E402

os.environ.setdefault("DATABASE_REPLICA_URL", localdb.standby_url())

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from geo import replica, sql  # noqa: E402
from geo.access import Access, access_for_user, create_user  # noqa: E402
from grids.models import Area  # noqa: E402
from layers.figures import kept  # noqa: E402
from tiles import service  # noqa: E402

TILE_LAYERS = [("grids", 10), ("incidents", 10), ("incidents", 16), ("workload", 12), ("buildings", 16)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def on(side: str) -> None:
    """Route the next requests' reads to `side` ("standby" or "primary") through the lag guard's limit."""
    settings.GRIDMAP_REPLICA_MAX_LAG = 3600.0 if side == "standby" else -1.0
    replica.GUARD.reset()


def answered_by() -> str:
    return "standby" if sql.rows("SELECT pg_is_in_recovery() AS r")[0]["r"] else "primary"


def timed_tile(side: str, layer: str, z: int, x: int, y: int, admin: Access) -> float:
    path = f"/tiles/{layer}/{z}/{x}/{y}.pbf"
    with replica.reads_for("GET", path):
        started = time.perf_counter()
        service.tile(layer, str(z), str(x), str(y), {}, admin)
        ms = (time.perf_counter() - started) * 1000
        assert answered_by() == side, (path, side)
    return ms


def sample_points(count: int) -> list[tuple[float, float]]:
    rows = sql.rows("SELECT ST_X(location) AS x, ST_Y(location) AS y FROM layers_incident "
                    "TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT %(n)s", {"n": count})
    if not rows:
        rows = sql.rows("SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT (ST_Dump(ST_GeneratePoints(boundary, "
                        "%(n)s, 7))).geom p FROM grids_area WHERE level = 1 LIMIT 1) s", {"n": count})
    return [(r["x"], r["y"]) for r in rows]


def alternate(samples: list, measure) -> dict[str, list[float]]:
    """Each sample measured on both sides, the side measured first alternating."""
    times: dict[str, list[float]] = {"standby": [], "primary": []}
    for i, sample in enumerate(samples):
        for side in (("standby", "primary") if i % 2 == 0 else ("primary", "standby")):
            on(side)
            times[side].append(measure(side, sample))
    return times


def row(label: str, times: dict[str, list[float]]) -> str:
    s, p = times["standby"], times["primary"]
    ratio = pct(s, 95) / pct(p, 95) if pct(p, 95) else float("nan")
    median = statistics.median(s) / statistics.median(p) if statistics.median(p) else float("nan")
    return (f"{label:<28}{len(s):>4} | {statistics.median(s):>8.1f} {pct(s, 95):>7.1f} | "
            f"{statistics.median(p):>8.1f} {pct(p, 95):>7.1f} | {median:>7.2f} {ratio:>7.2f}")


def connection_costs(rounds: int = 30) -> str:
    params = {"host": "127.0.0.1", "port": localdb.port(), "user": localdb.SUPERUSER,
              "dbname": connections["default"].settings_dict["NAME"]}
    new = []
    for _ in range(rounds):
        started = time.perf_counter()
        with psycopg.connect(**params) as conn:
            conn.execute("SELECT 1").fetchone()
        new.append((time.perf_counter() - started) * 1000)
    kept_ms = []
    with psycopg.connect(**params) as conn:
        for _ in range(rounds):
            started = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            kept_ms.append((time.perf_counter() - started) * 1000)
    return (f"a new connection + SELECT 1: p50 {statistics.median(new):.2f} ms, p95 {pct(new, 95):.2f} ms; "
            f"SELECT 1 on a kept connection: p50 {statistics.median(kept_ms):.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=40, help="tiles per layer and zoom (default 40)")
    parser.add_argument("--runs", type=int, default=7, help="timed requests per page and side (default 7)")
    args = parser.parse_args()
    assert replica.configured(), "no replica database: start the pair (python -m geo.localdb start --standby)"
    on("standby")
    with replica.reads_for("GET", "/tiles/"):
        assert answered_by() == "standby", "the standby does not answer: python -m geo.localdb start --standby"
    counties = Area.objects.filter(level=1, valid_to__isnull=True)
    incidents = sql.rows("SELECT count(*) AS n FROM layers_incident")[0]["n"]
    print(f"data: {', '.join(c.name for c in counties)}; {incidents:,} incidents; "
          f"load average {os.getloadavg()[0]:.1f}")
    user, _ = create_user("bench-replica", "administrator", "")
    admin = access_for_user(user)

    print(f"\n{'cold tiles (ms)':<28}{'n':>4} | {'standby':>8} {'p95':>7} | {'primary':>8} {'p95':>7} | "
          f"{'p50 s/p':>7} {'p95 s/p':>7}")
    points = sample_points(args.tiles)
    everything: dict[str, list[float]] = {"standby": [], "primary": []}
    for layer, z in TILE_LAYERS:
        tiles = [(layer, z, *tile_of(lon, lat, z)) for lon, lat in points]
        alternate(tiles, lambda side, t: timed_tile(side, *t, admin))  # warm-up, untimed
        times = alternate(tiles, lambda side, t: timed_tile(side, *t, admin))
        for side in everything:
            everything[side] += times[side]
        print(row(f"{layer} z{z}", times))
    print(row("all tiles", everything))

    client = Client()
    client.force_login(user)
    township = Area.objects.filter(level=2, valid_to__isnull=True).order_by("code").first()
    county = counties.first()
    pages = [("panorama /", "/"), ("township page", f"/dashboards/township/{township.code}/"),
             ("/api/stats county, 365 d", f"/api/stats/{county.code}")]
    print(f"\n{'dashboards (ms)':<28}{'n':>4} | {'standby':>8} {'p95':>7} | {'primary':>8} {'p95':>7} | "
          f"{'p50 s/p':>7} {'p95 s/p':>7}")

    def page(side: str, url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return ms

    for label, url in pages:
        kept.forget()
        alternate([url, url], page)  # warm-up
        print(row(label, alternate([url] * args.runs, page)))

    print("\npooling: " + connection_costs())
    for name, port in (("primary", localdb.port()), ("standby", localdb.standby_port())):
        with psycopg.connect(host="127.0.0.1", port=port, user=localdb.SUPERUSER, dbname="postgres") as conn:
            n = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                             ).fetchone()[0]
        print(f"  {name}: {n} client connections open")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
