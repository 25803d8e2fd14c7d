"""Import areas of one level from GeoJSON, GeoPackage or Shapefile (plain or zipped).

Every row is checked as the API checks it: the code rules (grids/codes.py), the parent, the geometry
(geo/geometry.py: CRS transform to WGS84, lon/lat ranges, OGC validity). A row that fails is refused
with its reason, never dropped silently; --fix-invalid repairs invalid polygons with make_valid and
says which. A dry run (the default) is the import itself rolled back, so it reports exactly what a
commit would create, change and refuse, the coverage problems the result would have and what would
change grid. A commit is one transaction: all rows or none.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db import transaction
from django.utils import timezone
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry.base import BaseGeometry

from geo import crs
from geo.access import audit
from geo.errors import GridmapError, InvalidCode, InvalidGeometry, InvalidInput
from geo.geometry import parse_geometry
from geo.models import AuditRecord
from grids import coverage
from grids.changes import areas_m2, move_placed
from grids.codes import CODE_LENGTH, PARENT_LEVEL, Level, default_kind
from grids.models import Area, BoundaryVersion

# A boundary that moved by less than this (degrees, about 0.1 mm) is unchanged: a file exported and
# read back through another CRS rounds coordinates.
SAME_BOUNDARY_DEG = 1e-9


@dataclass
class Row:
    number: int
    code: str
    name: str = ""
    action: str = "refuse"  # create | change | unchanged | refuse
    reason: str = ""
    fixed: str = ""
    changed: list[str] = field(default_factory=list)
    boundary: GEOSGeometry | None = None
    parent: str | None = None
    kind: str = ""
    area_m2: float | None = None
    previous: GEOSGeometry | None = None


@dataclass
class Options:
    level: Level
    code_field: str
    name_field: str | None = None
    parent_field: str | None = None
    kind_field: str | None = None
    srid: int | None = None
    from_gcj02: bool = False
    fix_invalid: bool = False
    layer: str | None = None
    valid_from: dt.date | None = None
    reason: str = ""


@dataclass
class Result:
    source: str
    source_srid: int
    rows: list[Row]
    committed: bool
    problems: list[coverage.Problem] = field(default_factory=list)
    moves: dict[str, Any] = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def read(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """The features of a GeoJSON, GeoPackage or (zipped) Shapefile, with the file's CRS."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    try:
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            names = ", ".join(str(name) for name, _ in layers)
            raise InvalidInput(f"{path} has {len(layers)} layers ({names}); choose one with --layer")
        return gpd.read_file(path, engine="pyogrio", layer=layer)
    except (DataSourceError, DataLayerError) as exc:
        raise InvalidInput(f"{path}: cannot read it as GeoJSON, GeoPackage or Shapefile: {exc}") from exc


def source_srid(frame: gpd.GeoDataFrame, options: Options, path: Path) -> int:
    """The CRS of the coordinates: --srid, or the one the file declares."""
    declared = frame.crs.to_epsg() if frame.crs is not None else None
    if options.srid is not None:
        srid = options.srid
    elif frame.crs is None:
        raise InvalidInput(f"{path} does not say its CRS (a Shapefile without .prj?); give it with --srid")
    elif declared is None:
        raise InvalidInput(f"{path}: its CRS ({frame.crs.name}) is not an EPSG code Gridmap knows; give it with --srid")
    else:
        srid = declared
    if not crs.is_supported(srid):
        raise InvalidInput(f"EPSG:{srid} is not supported; use {crs.describe_supported()}")
    if options.from_gcj02 and srid not in crs.GEOGRAPHIC_SRIDS:
        raise InvalidInput(f"--from-gcj02 applies to lon/lat coordinates (EPSG:4326 or 4490), not EPSG:{srid}")
    return srid


def _gcj02_to_wgs84(coords: np.ndarray) -> np.ndarray:
    lon, lat = crs.gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def _text(value: Any) -> str | None:
    """A cell as text; None when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _code(value: Any) -> str:
    """A code cell as text; a decimal number is refused (it has lost digits or will)."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidCode(f"code {value!r} is not a code")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            raise InvalidCode("the code is empty")
        raise InvalidCode(f"the code is stored as a decimal number ({value!r}); store codes as text, a number "
                          "loses leading zeros and precision")
    text = _text(value)
    if text is None:
        raise InvalidCode("the code is empty")
    return text


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygonal part of a repaired geometry (make_valid can return lines and points too)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _geometry(shape: BaseGeometry | None, srid: int, fix_invalid: bool, row: Row) -> GEOSGeometry:
    if shape is None or shape.is_empty:
        raise InvalidGeometry("the row has no geometry")
    try:
        return parse_geometry(GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=srid), kinds=("MultiPolygon",))
    except InvalidGeometry as exc:
        if not fix_invalid or shape.is_valid:
            raise
        reason = shapely.is_valid_reason(shape)
        repaired = _polygonal(shapely.make_valid(shape))
        if repaired is None or repaired.is_empty:
            raise InvalidGeometry(f"invalid geometry ({reason}) and make_valid left no polygon") from exc
        row.fixed = f"{reason}; repaired with make_valid"
        return parse_geometry(GEOSGeometry(memoryview(shapely.to_wkb(repaired)), srid=srid), kinds=("MultiPolygon",))


def _default_kind(level: Level, code: str, parent: Area | None) -> str:
    if level == Level.GRID:
        return "urban" if parent is not None and parent.kind == "community" else "rural"
    if level == Level.DEDICATED:
        return "other"
    return default_kind(code, level) or ""


def check_rows(frame: gpd.GeoDataFrame, options: Options, srid: int) -> list[Row]:
    """One Row per feature: what the import would do with it, or why it is refused."""
    for name in (options.code_field, options.name_field, options.parent_field, options.kind_field):
        if name and name not in frame.columns:
            fields = ", ".join(c for c in frame.columns if c != frame.geometry.name)
            raise InvalidInput(f"no field {name!r} in the file; its fields are: {fields}")
    if options.from_gcj02:
        frame = frame.set_geometry(shapely.transform(frame.geometry.values, _gcj02_to_wgs84))
    existing = {a.code: a for a in Area.objects.filter(level__in=[options.level, PARENT_LEVEL.get(options.level, 0)])}
    first_seen: dict[str, int] = {}
    rows = []
    # Records and geometries side by side (iterrows would turn a missing geometry into NaN).
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    for number, (feature, shape) in enumerate(zip(records, frame.geometry.values, strict=True), start=1):
        row = Row(number=number, code=str(feature[options.code_field]))
        rows.append(row)
        try:
            row.code = _code(feature[options.code_field])
            if row.code in first_seen:
                raise InvalidCode(f"code {row.code} appears again (first in row {first_seen[row.code]})")
            first_seen[row.code] = number
            _check_row(row, feature, shape, options, srid, existing)
        except GridmapError as exc:
            row.action, row.reason = "refuse", exc.message
    return rows


def _check_row(row: Row, feature: dict[str, Any], shape: BaseGeometry | None, options: Options, srid: int,
               existing: dict[str, Area]) -> None:
    level = options.level
    if level == Level.COUNTY:
        row.parent = None
    elif options.parent_field:
        row.parent = _text(feature[options.parent_field])
    else:
        row.parent = row.code[:CODE_LENGTH[PARENT_LEVEL[level]]]
    parent = existing.get(row.parent) if row.parent else None
    if row.parent and parent is None:
        raise InvalidCode(f"parent {row.parent} does not exist (import the level above first, with --commit)")
    if parent is not None and parent.valid_to is not None:
        raise InvalidCode(f"parent {row.parent} was retired on {parent.valid_to}")
    row.name = (_text(feature[options.name_field]) if options.name_field else None) or row.code
    if len(row.name) > 100:
        raise InvalidInput(f"name is longer than 100 characters: {row.name[:30]}...")
    current = existing.get(row.code)
    kind = _text(feature[options.kind_field]) if options.kind_field else None
    row.kind = kind or (current.kind if current else _default_kind(level, row.code, parent))
    row.boundary = _geometry(shape, srid, options.fix_invalid, row)
    candidate = Area(code=row.code, name=row.name, level=level, kind=row.kind, parent=parent, boundary=row.boundary)
    candidate.validate()
    if current is None:
        row.action = "create"
        return
    if current.valid_to is not None:
        raise InvalidCode(f"code {row.code} belonged to an area retired on {current.valid_to}; codes are never reused")
    if current.parent_id != row.parent:
        raise InvalidCode(f"{row.code} exists under {current.parent_id}; an import does not move an area to "
                          "another parent")
    # Normalised first: the same rings may start at another vertex or run the other way round.
    if not current.boundary.normalize(clone=True).equals_exact(row.boundary.normalize(clone=True),
                                                               tolerance=SAME_BOUNDARY_DEG):
        row.changed.append("boundary")
        row.previous = current.boundary
    if options.name_field and current.name != row.name:
        row.changed.append("name")
    if options.kind_field and kind and current.kind != kind:
        row.changed.append("kind")
    row.action = "change" if row.changed else "unchanged"


def prepare(path: Path, options: Options,
            progress: Callable[[str], None] = lambda message: None) -> tuple[list[Row], int]:
    """Read and check every row (nothing is written): the rows with their verdicts, and the file's CRS."""
    frame = read(path, options.layer)
    srid = source_srid(frame, options, path)
    progress(f"read {len(frame):,} features from {path.name} (EPSG:{srid}{', GCJ-02' if options.from_gcj02 else ''})")
    rows = check_rows(frame, options, srid)
    measured = [r for r in rows if r.boundary is not None and r.action != "refuse"]
    for row, m2 in zip(measured, areas_m2([r.boundary for r in measured]), strict=True):
        row.area_m2 = m2
    return rows, srid


def run(path: Path, options: Options, *, commit: bool, skip_refused: bool = False) -> Result:
    """Check and import a file (see execute)."""
    rows, srid = prepare(path, options)
    return execute(path, options, rows, srid, commit=commit, skip_refused=skip_refused)


def execute(path: Path, options: Options, rows: list[Row], srid: int, *, commit: bool,
            skip_refused: bool = False) -> Result:
    """Write the accepted rows in one transaction, then report coverage and moves; roll back unless `commit`."""
    refused = [r for r in rows if r.action == "refuse"]
    if commit and refused and not skip_refused:
        raise InvalidInput(f"{len(refused)} row(s) refused; nothing was written. Fix them, or pass --skip-refused "
                           "to import the other rows")
    result = Result(source=str(path), source_srid=srid, rows=rows, committed=commit)
    with transaction.atomic():
        written = write(rows, options, path)
        if written:
            parents = sorted({r.parent for r in written if r.parent}) or [r.code for r in written]
            result.problems = [p for code in parents for p in coverage.check(Area.objects.get(code=code)).problems]
            if options.level in (Level.GRID, Level.DEDICATED):
                result.moves = move_placed(_envelope(written), [], level=options.level)
        if commit:
            audit("import_areas", AuditRecord.Action.BOUNDARY_CHANGE, target=path.name[:200], rows=len(written),
                  detail={"operation": "import", "file": str(path), "level": int(options.level),
                          "source_srid": srid, "from_gcj02": options.from_gcj02, "reason": options.reason,
                          "created": [r.code for r in written if r.action == "create"],
                          "changed": {r.code: r.changed for r in written if r.action == "change"},
                          "refused": {str(r.number): r.reason for r in refused},
                          "moves": {k: v["count"] for k, v in result.moves.items()}})
        else:
            transaction.set_rollback(True)
    return result


def write(rows: list[Row], options: Options, path: Path) -> list[Row]:
    """Create and change the areas of the accepted rows (each old boundary is kept in the history)."""
    why = (options.reason or f"import of {path.name}")[:200]
    on = options.valid_from or timezone.localdate()
    written = []
    for row in rows:
        if row.action == "create":
            area = Area(code=row.code, name=row.name, level=options.level, kind=row.kind, parent_id=row.parent,
                        boundary=row.boundary)
            if options.valid_from:
                area.valid_from = options.valid_from
            area.save()
            BoundaryVersion.objects.filter(area=area).update(reason=why, author="import_areas")
            written.append(row)
        elif row.action == "change":
            area = Area.objects.get(code=row.code)
            if "name" in row.changed or "kind" in row.changed:
                Area.objects.filter(pk=area.pk).update(name=row.name, kind=row.kind)
            if "boundary" in row.changed:
                area.replace_boundary(row.boundary, on=on, reason=why, author="import_areas")
            written.append(row)
    return written


def _envelope(rows: list[Row]) -> GEOSGeometry:
    """The box around every written boundary, old and new: nothing outside it changes area."""
    extents = [g.extent for r in rows for g in (r.boundary, r.previous) if g is not None]
    box = Polygon.from_bbox((min(e[0] for e in extents), min(e[1] for e in extents),
                             max(e[2] for e in extents), max(e[3] for e in extents)))
    box.srid = 4326
    return box
