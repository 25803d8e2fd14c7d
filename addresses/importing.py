"""import_addresses: buildings and rooms from a district's register (CSV or Excel), on grids/imports.py.

Per row (Python, no database): codes are digits of the right length, a code and its village/building
columns agree, lon/lat are numbers in range and not swapped, text fits, use and numbers are valid.
Then, set-based over all good rows staged in a temporary table (one query each, not one per row):
the village or building exists and is in the caller's scope, a building's point lies inside its
village (a point that would lie inside with lon and lat exchanged is named as swapped), a room's floor
is not above its building's floors, a given code is not taken. Rows without a code get the next
numbers of their village (buildings) or of their building's unit and floor (rooms), in file order;
rows with a code keep it and its number counts as used. All rows are written, or none.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from addresses import allocate
from addresses.service import MAX_FLOORS, MAX_UNITS, parse_int, parse_use
from geo.access import audit
from geo.errors import GridmapError, InvalidInput
from geo.geometry import CHINA_LAT, CHINA_LON
from geo.models import AuditRecord
from grids import imports
from grids.imports import Column, Good, Invalid, RowError

BUILDING_COLUMNS = [
    Column("address_code", ("地址编码", "统一地址编码", "楼栋编码", "楼栋地址编码", "building code", "code"),
           required=False, text_only=True),
    Column("village", ("社区编码", "村编码", "村社区编码", "所属社区编码", "所属村社区", "village code",
                       "community code", "unit code", "单位编码"), required=False, text_only=True),
    Column("lon", ("经度", "longitude", "x")),
    Column("lat", ("纬度", "latitude", "y")),
    Column("name", ("名称", "楼栋名称", "建筑名称", "building name"), required=False),
    Column("street", ("街路巷", "街路巷小区", "小区", "街道"), required=False),
    Column("door_plate", ("门楼牌", "门牌号", "门牌", "door plate"), required=False),
    Column("use", ("用途", "房屋用途", "建筑用途"), required=False),
    Column("floors", ("层数", "总层数", "楼层数", "floor count"), required=False),
]

ROOM_COLUMNS = [
    Column("address_code", ("户室编码", "房屋编码", "户室地址编码", "地址编码", "room code", "code"), required=False,
           text_only=True),
    Column("building", ("楼栋编码", "所属楼栋", "楼栋地址编码", "building code"), required=False, text_only=True),
    Column("unit", ("单元", "单元号"), required=False),
    Column("floor", ("楼层", "所在楼层", "层"), required=False),
    Column("number", ("房号", "室号", "户室号", "room number"), required=False),
    Column("households", ("户数",), required=False),
    Column("residents", ("人数", "居住人数", "常住人数"), required=False),
]

LIMITS = {"name": 100, "street": 100, "door_plate": 30, "number": 8}


def _digits(value: str | None, field_name: str, length: int, what: str) -> str | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) != length:
        raise Invalid(field_name, f"{value!r} is not a {what}: {length} digits, kept as text")
    return value


def _text(row: dict[str, str | None], name: str, problems: list[tuple[str, str]]) -> str:
    value = row.get(name) or ""
    if len(value) > LIMITS[name]:
        problems.append((name, f"is longer than {LIMITS[name]} characters"))
    return value


def _coordinate(value: str | None, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(name, f"{value!r} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise Invalid(name, f"{value!r} is not a number")
    return number


def _lonlat(row: dict[str, str | None]) -> tuple[float, float]:
    problems = []
    values = []
    for name in ("lon", "lat"):
        try:
            values.append(_coordinate(row[name], name))
        except Invalid as exc:
            problems.extend(exc.pairs)
    if problems:
        raise Invalid(problems)
    lon, lat = values
    if CHINA_LAT[0] <= lon <= CHINA_LAT[1] and CHINA_LON[0] <= lat <= CHINA_LON[1]:
        raise Invalid("location", f"lon {lon}, lat {lat} look swapped: longitude comes first ({lat}, {lon})")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("location", f"lon {lon}, lat {lat} is out of the lon/lat range")
    return lon, lat


def _one(call: Callable[[], Any], problems: list[tuple[str, str]]) -> Any:
    """Run one field's parser, collecting its problem so that a row reports all its bad fields."""
    try:
        return call()
    except Invalid as exc:
        problems.extend(exc.pairs)
    except GridmapError as exc:
        problems.append((exc.field or "row", exc.message))
    return None


def clean_building(row: dict[str, str | None]) -> tuple:
    """(code or None, village, lon, lat, name, street, door_plate, use, floors)."""
    problems: list[tuple[str, str]] = []
    code = _one(lambda: _digits(row["address_code"], "address_code", 17, "building address code"), problems)
    village = _one(lambda: _digits(row["village"], "village", 12, "village/community code"), problems)
    if code is not None:
        if int(code[12:]) == 0:
            problems.append(("address_code", f"{code}: building numbers are 00001-99999"))
        if village is not None and village != code[:12]:
            problems.append(("village", f"{village} is not the village of {code} ({code[:12]})"))
        village = code[:12]
    elif village is None and not any(f == "village" for f, _ in problems) and row["address_code"] is None:
        problems.append(("village", "is empty: give the village/community code, or the building's address code"))
    point = _one(lambda: _lonlat(row), problems)
    texts = [_text(row, name, problems) for name in ("name", "street", "door_plate")]
    use_text = row["use"]
    use = _one(lambda: parse_use(use_text.lower() if use_text and use_text.isascii() else use_text), problems)
    floors = _one(lambda: parse_int(row["floors"], "floors", 1, MAX_FLOORS, default=1, text=True), problems)
    if problems:
        raise Invalid(problems)
    return (code, village, point[0], point[1], *texts, use, floors)


def clean_room(row: dict[str, str | None]) -> tuple:
    """(code or None, building, unit, floor, room number in the code or None, number, households, residents)."""
    problems: list[tuple[str, str]] = []
    code = _one(lambda: _digits(row["address_code"], "address_code", 25, "room address code"), problems)
    building = _one(lambda: _digits(row["building"], "building", 17, "building address code"), problems)
    unit = _one(lambda: parse_int(row["unit"], "unit", 1, MAX_UNITS, default=1, text=True), problems)
    floor = _one(lambda: parse_int(row["floor"], "floor", 1, MAX_FLOORS, text=True), problems) \
        if row["floor"] is not None else None
    room = None
    if code is not None:
        parts = {"building": code[:17], "unit": int(code[17:19]), "floor": int(code[19:22])}
        room = int(code[22:])
        if parts["unit"] == 0 or parts["floor"] == 0 or room == 0:
            problems.append(("address_code", f"{code}: unit, floor and room are numbered from 1"))
        given = {"building": building, "unit": unit if row["unit"] is not None else None, "floor": floor}
        for name, value in given.items():
            if value is not None and value != parts[name]:
                problems.append((name, f"{value} disagrees with the room code {code} ({parts[name]})"))
        building, unit, floor = parts["building"], parts["unit"], parts["floor"]
    else:
        if building is None and row["building"] is None:
            problems.append(("building", "is empty: give the building's address code, or the room's code"))
        if floor is None and row["floor"] is None:
            problems.append(("floor", "is empty: a new room's floor is needed to number it"))
    number = _text(row, "number", problems)
    households = _one(lambda: parse_int(row["households"], "households", 0, 999, default=1, text=True), problems)
    residents = _one(lambda: parse_int(row["residents"], "residents", 0, 9999, default=0, text=True), problems)
    if problems:
        raise Invalid(problems)
    return (code, building, unit, floor, room, number, households, residents)


# ----------------------------------------------------------------------------- set-based checks

BUILDING_STAGE = [("line", "int"), ("code", "text"), ("village", "text"), ("lon", "float8"), ("lat", "float8"),
                  ("name", "text"), ("street", "text"), ("door_plate", "text"), ("use", "text"), ("floors", "int")]
ROOM_STAGE = [("line", "int"), ("code", "text"), ("building", "text"), ("unit", "int"), ("floor", "int"),
              ("room", "int"), ("number", "text"), ("households", "int"), ("residents", "int")]

# Every problem of the staged buildings, one row each. The point test goes through the subdivided
# boundaries (grids_areapart, GiST), so it costs one index probe per row.
BUILDING_CHECK = """
WITH staged AS (
    SELECT t.*, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS pt,
           a.code IS NOT NULL AS village_exists
    FROM import_buildings t
    LEFT JOIN grids_area a ON a.code = t.village AND a.level = 3
                          AND (a.valid_to IS NULL OR a.valid_to > current_date)
)
SELECT line, 'village', format('no village/community %%s', village) FROM staged WHERE NOT village_exists
UNION ALL
SELECT line, 'village', format('%%s is outside your area %%s', village, %(scope)s::text)
FROM staged s
WHERE village_exists AND %(scope)s::text IS NOT NULL AND village NOT LIKE %(scope)s || '%%'
  AND NOT (%(scope)s LIKE village || '%%' AND EXISTS (
      SELECT 1 FROM grids_areapart p WHERE p.area_code = %(scope)s AND ST_Intersects(p.geom, s.pt)))
UNION ALL
SELECT line, 'location',
       CASE WHEN EXISTS (SELECT 1 FROM grids_areapart p WHERE p.area_code = s.village
                         AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(s.lat, s.lon), 4326)))
            THEN format('lon %%s, lat %%s is not inside %%s; lon and lat look swapped (%%s, %%s is inside)',
                        lon, lat, village, lat, lon)
            ELSE format('lon %%s, lat %%s is not inside %%s; %%s', lon, lat, village,
                        COALESCE((SELECT 'it is in ' || p.area_code FROM grids_areapart p
                                  WHERE p.level = 3 AND ST_Intersects(p.geom, s.pt) LIMIT 1),
                                 'it is in no village/community'))
       END
FROM staged s
WHERE village_exists AND NOT EXISTS (
    SELECT 1 FROM grids_areapart p WHERE p.area_code = s.village AND ST_Intersects(p.geom, s.pt))
UNION ALL
SELECT t.line, 'address_code', format('%%s exists already', t.code)
FROM import_buildings t JOIN layers_building b ON b.address_code = t.code
"""

ROOM_CHECK = """
SELECT t.line, 'building', format('no building %%s', t.building)
FROM import_rooms t LEFT JOIN layers_building b ON b.address_code = t.building
WHERE b.id IS NULL
UNION ALL
SELECT t.line, 'building', format('building %%s is outside your area %%s', t.building, %(scope)s::text)
FROM import_rooms t JOIN layers_building b ON b.address_code = t.building
WHERE %(scope)s::text IS NOT NULL AND (b.grid_code IS NULL OR b.grid_code NOT LIKE %(scope)s || '%%')
UNION ALL
SELECT t.line, 'floor', format('floor %%s: building %%s has %%s floors', t.floor, t.building, b.floors)
FROM import_rooms t JOIN layers_building b ON b.address_code = t.building
WHERE t.floor > b.floors
UNION ALL
SELECT t.line, 'address_code', format('%%s exists already', t.code)
FROM import_rooms t JOIN layers_room r ON r.address_code = t.code
"""


# The set-based form of the placement trigger for a batch of buildings: the rule of gridmap_area_at()
# (among the current basic grids whose parts cover the point, the lowest code), driven from the grid
# parts into a GiST index on the batch's points, as fixtures/sql/place_points.sql does for the demo.
# The grid codes are joined into the INSERT (PLACED) rather than written into the points table first:
# an UPDATE of 100,000 staged rows cost ~1.5 s of a 10 s import.
PLACE_BUILDINGS = [
    """CREATE TEMPORARY TABLE import_points ON COMMIT DROP AS
       SELECT line, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM import_buildings""",
    "CREATE INDEX ON import_points USING gist (geom)",
    "ANALYZE import_points",
]
PLACED = """SELECT pt.line, min(a.area_code) AS grid_code
            FROM grids_areapart a JOIN import_points pt ON pt.geom && a.geom AND ST_Intersects(a.geom, pt.geom)
            WHERE a.level = 4 GROUP BY pt.line"""


@dataclass
class Run:
    """One import: its kind, the caller's scope and name (for the audit), and the codes written."""

    kind: str
    scope: str | None = None
    actor: Any = "import_addresses"
    source: str = ""
    codes: list[tuple[int, str]] = field(default_factory=list)
    allocated: int = 0

    @property
    def buildings(self) -> bool:
        return self.kind == "buildings"

    def columns(self) -> list[Column]:
        return BUILDING_COLUMNS if self.buildings else ROOM_COLUMNS

    def clean(self, row: dict[str, str | None]) -> tuple:
        return clean_building(row) if self.buildings else clean_room(row)

    def unique(self) -> dict[str, Callable[[tuple], Any]]:
        return {"address_code": lambda value: value[0]}

    def check(self, rows: list[Good]) -> list[RowError]:
        """Stage the rows (COPY into a temporary table dropped at commit), then every set-based check."""
        if self.buildings:
            imports.copy_into_temp("import_buildings", BUILDING_STAGE, ((g.line, *g.value) for g in rows))
            sql = BUILDING_CHECK
        else:
            imports.copy_into_temp("import_rooms", ROOM_STAGE, ((g.line, *g.value) for g in rows))
            sql = ROOM_CHECK
        with connection.cursor() as cursor:  # copy_into_temp has analyzed the staged table
            cursor.execute(sql, {"scope": self.scope})
            return [RowError(line, name, message) for line, name, message in cursor.fetchall()]

    def write(self, rows: list[Good]) -> int:
        written = self._write_buildings() if self.buildings else self._write_rooms()
        audit(self.actor, AuditRecord.Action.ADDRESS_CHANGE, target=self.source[:200], rows=written,
              detail={"import": self.kind, "allocated": self.allocated, "scope": self.scope})
        return written

    def _allocate(self, kind: allocate.Kind, table: str, prefix_sql: str) -> None:
        """Codes for the rows without one: explicit codes first count as used, then each prefix (in
        order, so that concurrent imports lock counters in one order) takes a block of numbers."""
        with connection.cursor() as cursor:
            cursor.execute(f"""
                INSERT INTO addresses_addresscounter AS c (prefix, last)
                SELECT left(code, {kind.prefix_length}), max(substr(code, {kind.prefix_length + 1})::int)
                FROM {table} WHERE code IS NOT NULL GROUP BY 1 ORDER BY 1
                ON CONFLICT (prefix) DO UPDATE SET last = GREATEST(c.last, EXCLUDED.last)""")
            cursor.execute(f"SELECT {prefix_sql} AS prefix, count(*) FROM {table} WHERE code IS NULL "
                           "GROUP BY 1 ORDER BY 1")
            needs = dict(cursor.fetchall())
            starts = allocate.allocate_many(kind, needs)
            self.allocated += sum(needs.values())
            prefixes = list(starts)
            firsts = [starts[p] for p in prefixes]
            if prefixes:
                number = "s.first + r.n - 1"
                extra = "" if self.buildings else f", room = {number}"
                cursor.execute(f"""
                    UPDATE {table} t SET code = r.prefix || lpad(({number})::text, {kind.width}, '0'){extra}
                    FROM (SELECT line, {prefix_sql} AS prefix,
                                 row_number() OVER (PARTITION BY {prefix_sql} ORDER BY line) AS n
                          FROM {table} WHERE code IS NULL) r
                    JOIN unnest(%s::text[], %s::int[]) AS s(prefix, first) ON s.prefix = r.prefix
                    WHERE t.line = r.line""", [prefixes, firsts])

    def _write_buildings(self) -> int:
        self._allocate(allocate.BUILDING, "import_buildings", "village")
        with connection.cursor() as cursor:
            for statement in PLACE_BUILDINGS:
                cursor.execute(statement)
            # The batch is placed (above, by gridmap_area_at's rule): the trigger keeps these grid codes
            # for this one INSERT only (layers/sql/functions/placement.sql).
            cursor.execute("SET LOCAL gridmap.preplaced = 'on'")
            cursor.execute(f"""
                INSERT INTO layers_building (address_code, name, street, door_plate, use, floors, location,
                                             grid_code)
                SELECT t.code, t.name, t.street, t.door_plate, t.use, t.floors, p.geom, placed.grid_code
                FROM import_buildings t JOIN import_points p ON p.line = t.line
                LEFT JOIN ({PLACED}) placed ON placed.line = t.line
                ORDER BY t.line""")  # noqa: S608 - PLACED is code
            written = cursor.rowcount
            cursor.execute("SET LOCAL gridmap.preplaced = 'off'")
            cursor.execute("SELECT line, code FROM import_buildings ORDER BY line")
            self.codes = cursor.fetchall()
        return written

    def _write_rooms(self) -> int:
        self._allocate(allocate.ROOM, "import_rooms",
                       "building || lpad(unit::text, 2, '0') || lpad(floor::text, 3, '0')")
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO layers_room (building_id, unit, floor, number, address_code, households, residents)
                SELECT b.id, t.unit, t.floor,
                       COALESCE(NULLIF(t.number, ''), t.floor::text || lpad(t.room::text, 2, '0')),
                       t.code, t.households, t.residents
                FROM import_rooms t JOIN layers_building b ON b.address_code = t.building ORDER BY t.line""")
            written = cursor.rowcount
            cursor.execute("SELECT line, code FROM import_rooms ORDER BY line")
            self.codes = cursor.fetchall()
        return written


def run(path: Path | str, kind: str, *, scope: str | None = None, actor: Any = "import_addresses",
        dry_run: bool = False, encoding: str | None = None, sheet: str | None = None,
        progress: bool = False) -> tuple[imports.Report, Run]:
    """Import a building or room register; the report lists every bad row (see the module doc)."""
    if kind not in ("buildings", "rooms"):
        raise InvalidInput(f"kind {kind!r}: use buildings or rooms", field="kind")
    job = Run(kind=kind, scope=scope or None, actor=actor, source=Path(path).name)
    report = imports.run(path, job.columns(), job.clean, job.write, dry_run=dry_run, encoding=encoding,
                         sheet=sheet, unique=job.unique(), check=job.check, progress=progress)
    if not report.ok:
        job.codes = []
    return report, job


def write_codes(job: Run, target: Path) -> None:
    """line, address_code of every row written (or that a dry run would write), for the register."""
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "address_code"])
        writer.writerows(job.codes)
