#!/usr/bin/env python
"""bench/address_import.py: import_addresses speed, rows/s beside issue 18's target (>= 10,000 rows/s).

    .venv/bin/python bench/address_import.py [--rows 100000] [--kind buildings|rooms|both] [--encoding gb18030]

Needs a county loaded in the configured database (`make demo`, or load_demo at any scale). It writes a
register of --rows rows as a district would hand it over (Chinese headers, GB18030 by default): for
buildings, points spread over every village (ST_GeneratePoints), four rows in five without a code (they
are allocated) and one with its own code; for rooms, rows on existing buildings' floors, likewise. Then
it times the whole import as `import_addresses --dry-run` runs it: reading, every per-row and
set-based check, the allocation and the INSERTs, all in one transaction that is then rolled back, so
the database is left as it was. The time to read and clean the rows alone is printed beside it.

The machine is shared: run one benchmark at a time.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 10_000  # rows/s, issue 18


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    if not os.environ.get("DATABASE_URL"):
        from geo import localdb

        with open(os.devnull, "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                localdb.start()
            finally:
                sys.stdout = stdout
    import django

    django.setup()


def building_register(path: Path, rows: int, encoding: str, seed: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM grids_area WHERE level = 3 AND valid_to IS NULL")
        villages = cursor.fetchone()[0]
        if not villages:
            sys.exit("no villages in the database: load a county first (make demo)")
        per = -(-rows // villages)
        # Strictly inside: the points are drawn in the village shrunk by ~5 m (0.00005°; the whole village if
        # that leaves nothing), so that neither a point on its edge nor the 7 decimals the register keeps
        # puts a row a centimetre outside the village, where the import rightly refuses it.
        cursor.execute("""
            SELECT a.code, ST_X(d.geom), ST_Y(d.geom)
            FROM grids_area a
            CROSS JOIN LATERAL (SELECT ST_Buffer(a.boundary, -0.00005) AS inner_) s
            CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(
                CASE WHEN ST_IsEmpty(s.inner_) THEN a.boundary ELSE s.inner_ END, %s, %s)) d
            WHERE a.level = 3 AND a.valid_to IS NULL ORDER BY random() LIMIT %s""", [per, seed, rows])
        points = cursor.fetchall()
    rng = random.Random(seed)
    explicit: dict[str, int] = {}
    with open(path, "w", encoding=encoding, newline="") as out:
        out.write("地址编码,社区编码,经度,纬度,名称,街路巷,门楼牌,用途,层数\n")
        for i, (village, lon, lat) in enumerate(points):
            code = ""
            if i % 5 == 4:  # the register's own number, above what the demo uses
                explicit[village] = explicit.get(village, 90000) + 1
                code = f"{village}{explicit[village]:05d}"
            use = rng.choice(["住宅", "商业", "residential", "农房", "商住"])
            out.write(f"{code},{'' if code else village},{lon:.7f},{lat:.7f},{i % 40 + 1}号楼,演示路{i % 97}号,"
                      f"{i % 300 + 1},{use},{rng.randint(1, 18)}\n")


def room_register(path: Path, rows: int, encoding: str, seed: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT address_code, floors FROM layers_building ORDER BY random() LIMIT %s", [rows])
        buildings = cursor.fetchall()
    if not buildings:
        sys.exit("no buildings in the database: load a county first (make demo)")
    rng = random.Random(seed)
    with open(path, "w", encoding=encoding, newline="") as out:
        out.write("户室编码,楼栋编码,单元,楼层,房号,户数,人数\n")
        for i in range(rows):
            code, floors = buildings[i % len(buildings)]
            floor, unit = rng.randint(1, max(floors, 1)), rng.randint(1, 4)
            if i % 5 == 4:  # the register's own room code: unit 90+ keeps it clear of existing rooms
                out.write(f"{code}{90 + unit:02d}{floor:03d}{i // len(buildings) % 999 + 1:03d},,,,,1,2\n")
            else:
                out.write(f",{code},{unit},{floor},,1,{rng.randint(0, 5)}\n")


def backend_cpu() -> float:
    """User + system CPU seconds of this connection's PostgreSQL backend (/proc; -1 where unreadable)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(kind: str, path: Path) -> tuple[float, float, int, float, float]:
    """(seconds for the whole import rolled back, seconds to read and clean alone, rows, Python and
    backend CPU seconds of the import)."""
    from addresses import importing
    from grids import imports

    job = importing.Run(kind=kind)
    started = time.perf_counter()
    _, _, rows = imports.read(path, job.columns())
    count = 0
    for _, row in rows:
        count += 1
        if not isinstance(row, imports.Invalid):
            try:
                job.clean(row)
            except imports.Invalid:
                pass
    clean_s = time.perf_counter() - started
    db_before, py_before = backend_cpu(), process_cpu()
    started = time.perf_counter()
    report, job = importing.run(path, kind, dry_run=True)
    total_s = time.perf_counter() - started
    py_cpu, db_cpu = process_cpu() - py_before, backend_cpu() - db_before
    if not report.ok:
        print(report.format(limit=20))
        sys.exit(f"the generated {kind} register has bad rows")
    assert report.written == report.rows == count, (report.written, report.rows, count)
    return total_s, clean_s, count, py_cpu, db_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kind", choices=["buildings", "rooms", "both"], default="both")
    parser.add_argument("--encoding", default="gb18030", help="of the generated CSV (utf-8, utf-8-sig, gb18030)")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    setup()
    kinds = ["buildings", "rooms"] if args.kind == "both" else [args.kind]
    print(f"import_addresses --dry-run of {args.rows:,} rows ({args.encoding} CSV), target >= {TARGET:,} rows/s")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            path = Path(tmp) / f"{kind}.csv"
            (building_register if kind == "buildings" else room_register)(path, args.rows, args.encoding, args.seed)
            load = os.getloadavg()[0]
            total_s, clean_s, rows, py_cpu, db_cpu = measure(kind, path)
            rate = rows / total_s
            verdict = "meets" if rate >= TARGET else "MISSES"
            print(f"{kind:<10} {rows:>8,} rows  {total_s:6.2f} s  {rate:>9,.0f} rows/s  {verdict} the target  "
                  f"(read and clean alone: {rows / clean_s:,.0f} rows/s; load average {load:.2f})")
            if db_cpu >= 0:
                # The machine is shared: the CPU the import itself used (this process and its backend, which
                # run one after the other) is the rate an idle machine would see.
                busy = py_cpu + db_cpu
                print(f"{'':<10} CPU used: Python {py_cpu:.1f} s + PostgreSQL backend {db_cpu:.1f} s = {busy:.1f} s, "
                      f"i.e. {rows / busy:,.0f} rows per CPU-second")


if __name__ == "__main__":
    main()
