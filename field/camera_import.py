"""import_cameras: a camera register (雪亮工程 point list, a platform's device export) from CSV or Excel, on
grids/imports.py: every bad row named by its line and field, all rows written or none, a dry run.

Per row (Python, no database): the code fits, a GB/T 28181 channel id or a stream URL is given and valid
(field/channels.py), lon/lat are numbers in range and not swapped, the name fits. The code defaults to the
channel id. Then, set-based over all good rows staged in a temporary table: the point lies in a grid of the
county and inside the importer's area, the department (code or name) exists, the code is not a place of
another kind, the channel id is not another camera's.

Writing: a code that is already a camera is updated (name, position, channel id, URL, department): a county
re-imports its register as it changes. A bare camera point of the same code (loaded before cameras carried
ids) becomes a camera. Every other row is a new camera, placed by the places' trigger.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from field import channels
from geo.access import audit
from geo.errors import GridmapError
from geo.geometry import CHINA_LAT, CHINA_LON
from geo.models import AuditRecord
from grids import imports
from grids.imports import Column, Good, Invalid, RowError

COLUMNS = [
    Column("code", ("设备编码", "点位编码", "摄像头编码", "编号", "camera code", "device code"), required=False,
           text_only=True),
    Column("name", ("名称", "点位名称", "设备名称", "摄像头名称", "camera name")),
    Column("channel_id", ("国标编码", "通道编码", "国标ID", "GB28181", "GB28181编码", "通道国标编码", "channel",
                          "gb id"), required=False, text_only=True),
    Column("stream_url", ("视频流地址", "取流地址", "流地址", "URL", "stream", "rtsp"), required=False),
    Column("lon", ("经度", "longitude", "x")),
    Column("lat", ("纬度", "latitude", "y")),
    Column("department", ("所属单位", "权属单位", "管理单位", "所属部门", "owner", "department code"), required=False),
]
CODE_MAX, NAME_MAX, DEPARTMENT_MAX = 32, 100, 100

STAGE = [("line", "integer"), ("code", "text"), ("name", "text"), ("channel_id", "text"), ("stream_url", "text"),
         ("lon", "float8"), ("lat", "float8"), ("department", "text")]

# Every staged point placed at once, by gridmap_area_at's rule (the basic grid part it lies in, the lowest code on
# a shared edge), one join against the grid parts' index instead of a function call per row, twice (the check
# and the places' trigger): the new places are then written pre-placed (layers/sql/functions/placement.sql).
PLACE = """
ALTER TABLE import_cameras ADD COLUMN grid text;
UPDATE import_cameras t SET grid = q.area_code
FROM (SELECT DISTINCT ON (s.line) s.line, a.area_code
      FROM import_cameras s
      JOIN grids_areapart a ON a.level = 4 AND a.geom && ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)
                           AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
      ORDER BY s.line, a.area_code) q
WHERE q.line = t.line
"""

# The set-based checks: one statement, every problem of every row.
CHECK = """
WITH staged AS (
    SELECT t.* FROM import_cameras t
)
SELECT line, 'location', CASE
        WHEN gridmap_area_at(ST_SetSRID(ST_MakePoint(lat, lon), 4326), 4) IS NOT NULL
        THEN format('lon %%s, lat %%s is in no grid; lon and lat look swapped (%%s, %%s is in grid %%s)', lon, lat,
                    lat, lon, gridmap_area_at(ST_SetSRID(ST_MakePoint(lat, lon), 4326), 4))
        ELSE format('lon %%s, lat %%s is in no grid of the county', lon, lat) END
FROM staged WHERE grid IS NULL
UNION ALL
SELECT line, 'location', format('lon %%s, lat %%s is in grid %%s, outside your area %%s', lon, lat, grid,
                                %(scope)s::text)
FROM staged WHERE grid IS NOT NULL AND %(scope)s::text IS NOT NULL AND grid NOT LIKE %(scope)s || '%%'
UNION ALL
SELECT t.line, 'department', format('no department %%s (give its code, e.g. 419001-GAJ, or its name)', t.department)
FROM import_cameras t
WHERE t.department IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM layers_department d WHERE d.code = t.department OR d.name = t.department)
UNION ALL
SELECT t.line, 'code', format('%%s is already a place of kind %%s, not a camera', t.code, p.kind)
FROM import_cameras t JOIN layers_place p ON p.code = t.code WHERE p.kind <> 'camera'
UNION ALL
SELECT t.line, 'channel_id', format('%%s is already the channel of camera %%s', t.channel_id, p.code)
FROM import_cameras t
JOIN field_camera c ON c.channel_id = t.channel_id
JOIN layers_place p ON p.id = c.place_ptr_id
WHERE p.code <> t.code
"""

WRITE = [
    # Cameras already registered, and bare camera points of the same code: new name and position (the places'
    # trigger places a moved point again).
    """UPDATE layers_place p SET name = t.name, location = ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)
       FROM import_cameras t WHERE p.code = t.code AND p.kind = 'camera'""",
    "SET LOCAL gridmap.preplaced = 'on'",
    """INSERT INTO layers_place (kind, name, code, location, attributes, grid_code)
       SELECT 'camera', t.name, t.code, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), '{}'::jsonb, t.grid
       FROM import_cameras t WHERE NOT EXISTS (SELECT 1 FROM layers_place p WHERE p.code = t.code)
       ORDER BY t.line""",
    "SET LOCAL gridmap.preplaced = 'off'",
    """INSERT INTO field_camera (place_ptr_id, channel_id, stream_url, department_id)
       SELECT p.id, t.channel_id, coalesce(t.stream_url, ''),
              (SELECT d.id FROM layers_department d WHERE d.code = t.department OR d.name = t.department
               ORDER BY d.code = t.department DESC, d.code LIMIT 1)
       FROM import_cameras t JOIN layers_place p ON p.code = t.code
       ON CONFLICT (place_ptr_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, stream_url = EXCLUDED.stream_url,
                                                department_id = EXCLUDED.department_id""",
]


def _number(value: str | None, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(name, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise Invalid(name, f"{value!r} is not a number")
    return number


def clean(row: dict[str, str | None]) -> tuple:
    """(code, name, channel id or None, stream URL or None, lon, lat, department or None); every problem of the
    row at once."""
    problems: list[tuple[str, str]] = []
    channel = url = None
    if row["channel_id"] is not None:
        try:
            channel = channels.check_channel_id(row["channel_id"])
        except GridmapError as exc:
            problems.append(("channel_id", exc.message))
    if row["stream_url"] is not None:
        try:
            url = channels.check_stream_url(row["stream_url"])
        except GridmapError as exc:
            problems.append(("stream_url", exc.message))
    if row["channel_id"] is None and row["stream_url"] is None:
        problems.append(("channel_id", "is empty: a camera needs a GB/T 28181 channel id or a stream URL"))
    code = row["code"] or channel
    if code is None and row["channel_id"] is None:
        problems.append(("code", "is empty: give the camera's code (or its channel id, which is then its code)"))
    elif code is not None and (len(code) > CODE_MAX or not code.isprintable() or code != code.strip()):
        problems.append(("code", f"{code[:40]!r}: at most {CODE_MAX} printable characters"))
    name = row["name"] or ""
    if len(name) > NAME_MAX:
        problems.append(("name", f"is longer than {NAME_MAX} characters"))
    department = row["department"]
    if department is not None and len(department) > DEPARTMENT_MAX:
        problems.append(("department", f"is longer than {DEPARTMENT_MAX} characters"))
    lonlat = []
    for axis in ("lon", "lat"):
        try:
            lonlat.append(_number(row[axis], axis))
        except Invalid as exc:
            problems.extend(exc.pairs)
    if len(lonlat) == 2:
        lon, lat = lonlat
        if CHINA_LAT[0] <= lon <= CHINA_LAT[1] and CHINA_LON[0] <= lat <= CHINA_LON[1]:
            problems.append(("location", f"lon {lon}, lat {lat} look swapped: longitude comes first ({lat}, {lon})"))
        elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(("location", f"lon {lon}, lat {lat} is out of the lon/lat range"))
    if problems:
        raise Invalid(problems)
    return (code, name, channel, url, lonlat[0], lonlat[1], department)


@dataclass
class Run:
    scope: str | None = None
    actor: Any = "import_cameras"
    source: str = ""
    updated: int = 0

    def check(self, rows: list[Good]) -> list[RowError]:
        # Dropped at commit; two imports inside one outer transaction (a script, a test) would meet the first's.
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.import_cameras")
        imports.copy_into_temp("import_cameras", STAGE, ((g.line, *g.value) for g in rows))
        with connection.cursor() as cursor:
            cursor.execute(PLACE)
            cursor.execute("ANALYZE import_cameras")
            cursor.execute(CHECK, {"scope": self.scope})
            return [RowError(line, name, message) for line, name, message in cursor.fetchall()]

    def write(self, rows: list[Good]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(WRITE[0])
            self.updated = cursor.rowcount
            for statement in WRITE[1:]:
                cursor.execute(statement)
        audit(self.actor, AuditRecord.Action.CAMERA_CHANGE, target=self.source[:200], rows=len(rows),
              detail={"import": "cameras", "updated": self.updated, "scope": self.scope})
        return len(rows)


def run(path: Path, *, scope: str | None = None, actor: Any = "import_cameras", dry_run: bool = False,
        encoding: str | None = None, sheet: str | None = None, progress: bool = False) -> tuple[imports.Report, Run]:
    job = Run(scope=scope, actor=actor, source=Path(path).name)
    report = imports.run(path, COLUMNS, clean, job.write, dry_run=dry_run, encoding=encoding, sheet=sheet,
                         unique={"code": lambda v: v[0], "channel_id": lambda v: v[2]}, check=job.check,
                         progress=progress)
    return report, job
