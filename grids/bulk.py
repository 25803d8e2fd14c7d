"""Bulk point lookup: a CSV of points in, the same CSV with the codes of their areas out.

Set-based, because a million points must take seconds, not hours: the valid points are COPYed into a
table of this run (the input is read once to load it and once more to write the output, so memory
stays flat however large the file), indexed, located with one join against the subdivided
boundaries inside PostGIS (grids/sql/locate_points.sql says why the join runs that way round, on two
cores), and COPYed back out in input order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from psycopg import sql as pgsql

from geo import crs
from geo.errors import InvalidInput
from geo.geometry import CHINA_LAT, CHINA_LON
from grids.coverage import sql

OUTPUT_COLUMNS = ["county_code", "township_code", "village_code", "grid_code", "dedicated_codes"]
CHUNK = 100_000


@dataclass
class Result:
    rows: int = 0
    located: int = 0
    in_grid: int = 0
    refused: int = 0
    refused_examples: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _coordinates(value_lon: str, value_lat: str) -> tuple[float, float] | str:
    """Two floats, or the reason they are not usable coordinates."""
    try:
        lon, lat = float(value_lon), float(value_lat)
    except ValueError:
        return f"lon/lat {value_lon!r}, {value_lat!r} are not numbers"
    if lon != lon or lat != lat:
        return "lon/lat is NaN"
    if CHINA_LAT[0] <= lon <= CHINA_LAT[1] and CHINA_LON[0] <= lat <= CHINA_LON[1]:
        return f"{lon}, {lat} looks like lat, lon (longitude comes first)"
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return f"{lon}, {lat} is out of lon/lat range"
    return lon, lat


def _reader(path: Path, delimiter: str) -> tuple[list[str], Iterator[list[str]], io.TextIOBase]:
    handle = path.open(newline="", encoding="utf-8-sig")
    rows = csv.reader(handle, delimiter=delimiter)
    header = next(rows, None)
    if header is None:
        handle.close()
        raise InvalidInput(f"{path} is empty; expected a header row with lon and lat columns")
    return header, rows, handle


def locate_csv(src: Path, dst: Path, *, lon_field: str = "lon", lat_field: str = "lat", at: dt.date | None = None,
               from_gcj02: bool = False, delimiter: str = ",",
               progress: Callable[[str], None] = lambda message: None) -> Result:
    """Write `dst`: every row of `src` with the county, township, village, grid and dedicated codes."""
    header, rows, handle = _reader(src, delimiter)
    missing = [f for f in (lon_field, lat_field) if f not in header]
    if missing:
        handle.close()
        raise InvalidInput(f"{src}: no column {', '.join(map(repr, missing))} in the header "
                           f"({', '.join(header)}); name them with --lon-field/--lat-field")
    clash = [c for c in OUTPUT_COLUMNS if c in header]
    if clash:
        handle.close()
        raise InvalidInput(f"{src} already has column(s) {', '.join(clash)}; rename them first")
    i_lon, i_lat = header.index(lon_field), header.index(lat_field)
    result = Result()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # An unlogged table, not a temporary one: PostgreSQL's parallel workers cannot read temporary
        # tables, and the second core halves the join. Created inside this transaction, it disappears
        # with it if anything fails; a unique name keeps concurrent runs apart.
        suffix = f"{os.getpid()}_{secrets.token_hex(4)}"
        points = pgsql.Identifier(f"gridmap_locate_points_{suffix}")
        cursor.execute(pgsql.SQL(
            "CREATE UNLOGGED TABLE {points} (n integer, lon float8, lat float8, geom geometry(Point, 4326) "
            "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED)"
        ).format(points=points).as_string(cursor.connection))
        with handle, cursor.cursor.copy(
                pgsql.SQL("COPY {points} (n, lon, lat) FROM STDIN").format(points=points)) as copy:
            for chunk in _chunks(rows, i_lon, i_lat, result):
                copy.write(_copy_block(chunk, from_gcj02))
                progress(f"loaded {result.rows:,} rows")
        result.seconds["load"] = time.perf_counter() - started
        parts = pgsql.Identifier("grids_areapart")
        if at is not None:
            parts = pgsql.Identifier(f"gridmap_locate_parts_{suffix}")
            for statement in sql("past_parts").split(";\n"):
                if statement.strip():
                    cursor.execute(pgsql.SQL(statement).format(parts=parts).as_string(cursor.connection),
                                   {"at": at})
        cursor.execute(pgsql.SQL("CREATE INDEX ON {points} USING gist (geom)").format(points=points)
                       .as_string(cursor.connection))
        cursor.execute(pgsql.SQL("ANALYZE {points}").format(points=points).as_string(cursor.connection))
        # The matches (about three per point) are sorted by point: in memory, not on disk. The planner
        # cannot know how many points fall in each part's box (it guesses one), so it would never run
        # the join in parallel; free parallelism lets a second core take half the parts.
        for setting in ("work_mem = '256MB'", "parallel_setup_cost = 0", "parallel_tuple_cost = 0",
                        "min_parallel_table_scan_size = 0"):
            cursor.execute(f"SET LOCAL {setting}")
        query = pgsql.SQL(sql("locate_points")).format(points=points, parts=parts)
        mark = time.perf_counter()
        with cursor.cursor.copy(pgsql.SQL("COPY ({query}) TO STDOUT").format(query=query)) as copy:
            located = _write(src, dst, delimiter, header, _copy_rows(copy), result, progress)
        result.seconds["locate+write"] = time.perf_counter() - mark
        cursor.execute(pgsql.SQL("DROP TABLE {points}").format(points=points).as_string(cursor.connection))
        if at is not None:
            cursor.execute(pgsql.SQL("DROP TABLE {parts}").format(parts=parts).as_string(cursor.connection))
    result.located = located
    result.seconds["total"] = time.perf_counter() - started
    return result


def _chunks(rows: Iterator[list[str]], i_lon: int, i_lat: int, result: Result) -> Iterator[list[tuple]]:
    """(row number, lon, lat) of the usable rows, CHUNK at a time; refused rows are counted."""
    chunk: list[tuple[int, float, float]] = []
    width = max(i_lon, i_lat)
    for n, row in enumerate(rows, start=1):
        result.rows = n
        if len(row) <= width:
            _refuse(result, n, "the row has too few columns")
            continue
        value = _coordinates(row[i_lon], row[i_lat])
        if isinstance(value, str):
            _refuse(result, n, value)
            continue
        chunk.append((n, *value))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _refuse(result: Result, n: int, reason: str) -> None:
    result.refused += 1
    if len(result.refused_examples) < 10:
        result.refused_examples.append(f"row {n}: {reason}")


def _copy_block(chunk: list[tuple[int, float, float]], from_gcj02: bool) -> bytes:
    numbers = np.array([c[0] for c in chunk], dtype=np.int64)
    lon = np.array([c[1] for c in chunk])
    lat = np.array([c[2] for c in chunk])
    if from_gcj02:
        lon, lat = crs.gcj02_to_wgs84(lon, lat)
    return "".join(f"{n}\t{x!r}\t{y!r}\n" for n, x, y in zip(numbers.tolist(), lon.tolist(), lat.tolist(),
                                                                strict=True)).encode()


def _copy_rows(copy) -> Iterator[list[str]]:
    """Rows of a COPY ... TO STDOUT in text format (\\N is NULL), parsed by line."""
    pending = b""
    for block in copy:
        data = pending + bytes(block)
        lines = data.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield [("" if v == "\\N" else v) for v in line.decode().split("\t")]
    if pending:
        yield [("" if v == "\\N" else v) for v in pending.decode().split("\t")]


def _write(src: Path, dst: Path, delimiter: str, header: list[str], located: Iterator[list[str]], result: Result,
           progress: Callable[[str], None]) -> int:
    """Second pass over the input: each row with its codes (blank for refused rows and points in no area).

    `located` yields (n, codes...) in increasing n, for the rows that are in some area.
    """
    blank = [""] * len(OUTPUT_COLUMNS)
    found = 0
    upcoming = next(located, None)
    _, rows, handle = _reader(src, delimiter)
    with handle, dst.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header + OUTPUT_COLUMNS)
        for n, row in enumerate(rows, start=1):
            codes = blank
            if upcoming is not None and int(upcoming[0]) == n:
                codes = upcoming[1:]
                found += 1
                if codes[3]:
                    result.in_grid += 1
                upcoming = next(located, None)
            writer.writerow(row + codes)
            if n % CHUNK == 0:
                progress(f"wrote {n:,} rows")
    return found
