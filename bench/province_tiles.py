#!/usr/bin/env python
"""bench/province_tiles.py: what a cold tile costs at a province's and a city's zooms (z5-z9) over every county
loaded, in CPU as well as wall time (issue 21).

    .venv/bin/python bench/province_tiles.py [--layers grids,incidents,workload] [--rounds 5]

On a machine shared with other work the wall time of a tile grows with the load average; the CPU a tile costs
(this process's and its PostgreSQL backend's, read from /proc) does not, so a change is compared by its CPU
per tile, the code before and after run one after the other on the same database. Every tile a county's
extent touches at each zoom is served `rounds` times with the tile cache off (service.tile, as the endpoint
serves it). The backend's CPU is counted in clock ticks (10 ms): the mean over many tiles is what is exact.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from geo.access import access_for_token, create_user  # noqa: E402
from tiles import service  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", default="grids,incidents,workload")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
        cur.execute("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT boundary::box2d AS b "
                    "FROM grids_area WHERE level = 1 AND valid_to IS NULL) q")
        boxes = cur.fetchall()

    def backend_cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    _, key = create_user(f"bench-province-tiles-{uuid.uuid4().hex[:6]}", "administrator", "")
    admin = access_for_token(key)
    settings.GRIDMAP_TILE_CACHE = False
    print(f"{len(boxes)} counties, layers {args.layers}; load average {os.getloadavg()}", flush=True)
    for z in (5, 6, 7, 8, 9):
        tiles: set[tuple[int, int]] = set()
        for west, south, east, north in boxes:
            x0, y0 = tile_xy(west, north, z)
            x1, y1 = tile_xy(east, south, z)
            tiles |= {(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}
        ordered = sorted(tiles)
        service.tile(args.layers, str(z), *map(str, ordered[0]), {}, admin, accepts_gzip=False)  # catalog warm
        walls, cpus = [], []
        for _ in range(args.rounds):
            for x, y in ordered:
                b0, p0, t0 = backend_cpu(), time.process_time(), time.perf_counter()
                service.tile(args.layers, str(z), str(x), str(y), {}, admin, accepts_gzip=False)
                walls.append((time.perf_counter() - t0) * 1000)
                cpus.append(((backend_cpu() - b0) + (time.process_time() - p0)) * 1000)
        print(f"z{z} {len(ordered):>3} tiles x{args.rounds}: wall p50 {statistics.median(walls):6.1f} "
              f"p95 {p95(walls):6.1f} ms | CPU {statistics.mean(cpus):6.1f} ms per tile (mean)", flush=True)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
