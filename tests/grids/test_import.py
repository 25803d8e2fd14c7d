"""import_areas: GeoJSON, GeoPackage, Shapefile (plain and zipped), Gauss-Krüger and GCJ-02 files.

The file re-tiles the `tree` village into three grids:

    001 112.40..112.48 (changed: it was ..112.50) | 003 112.48..112.50 (new) | 002 112.50..112.60 (unchanged)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import Point as SPoint
from shapely.geometry import Polygon as SPolygon
from shapely.geometry import box as sbox

from geo import crs
from geo.models import AuditRecord
from grids import coverage
from grids.models import Area, BoundaryVersion
from layers.models import Incident
from tests.support.grids import add_building, add_incident, frozen

V = "419001103200"
G1, G2, G3 = f"{V}001", f"{V}002", f"{V}003"
BOWTIE = SPolygon([(112.48, 35.0), (112.50, 35.1), (112.48, 35.1), (112.50, 35.0)])
GOOD = {"code": [G1, G2, G3], "name": ["西网格", "东网格", "新网格"],
        "geometry": [sbox(112.40, 35.0, 112.48, 35.1), sbox(112.50, 35.0, 112.60, 35.1),
                     sbox(112.48, 35.0, 112.50, 35.1)]}


def write(tmp_path: Path, fmt: str, data: dict, epsg: int = 4326, name: str = "grids") -> Path:
    frame = gpd.GeoDataFrame({k: v for k, v in data.items() if k != "geometry"}, geometry=data["geometry"], crs=4326)
    if epsg != 4326:
        frame = frame.to_crs(epsg)
    if fmt == "geojson":
        path = tmp_path / f"{name}.geojson"
        frame.to_file(path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = tmp_path / f"{name}.gpkg"
        frame.to_file(path, driver="GPKG", layer=name)
    else:
        folder = tmp_path / "shp"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.shp"
        frame.to_file(path, driver="ESRI Shapefile", encoding="utf-8")
        if fmt == "shp.zip":
            zipped = tmp_path / f"{name}.zip"
            with zipfile.ZipFile(zipped, "w") as archive:
                for part in folder.iterdir():
                    archive.write(part, part.name)
            path = zipped
    return path


def run(path: Path, *extra: str, level: str = "grid") -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_areas", str(path), "--level", level, "--code-field", "code", "--name-field", "name",
                 *extra, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_dry_run_reports_what_would_happen_and_writes_nothing(tree, tmp_path):
    add_building(1, 112.49, 35.05)
    before = frozen()
    out = run(write(tmp_path, "geojson", GOOD))
    assert f"change   {G1} 西网格: boundary" in out
    assert f"unchanged {G2} 东网格" in out
    assert f"create   {G3} 新网格" in out
    assert "1 to create, 1 to change, 1 unchanged, 0 refused" in out
    assert "coverage after the import: no problems" in out
    assert "buildings changing grid: 1" in out
    assert "dry run: nothing was written" in out
    assert frozen() == before


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "shp.zip"])
def test_commit_from_each_format(tree, tmp_path, fmt):
    building = add_building(1, 112.49, 35.05)
    out = run(write(tmp_path, fmt, GOOD), "--commit", "--reason", "第三次网格调整")
    assert "committed 1 new and 1 changed areas" in out
    assert Area.objects.get(code=G3).boundary.extent == pytest.approx((112.48, 35.0, 112.50, 35.1))
    assert Area.objects.get(code=G1).boundary.extent == pytest.approx((112.40, 35.0, 112.48, 35.1))
    versions = BoundaryVersion.objects.filter(area_id=G1).order_by("valid_from", "id")
    assert versions.count() == 2 and versions.last().reason == "第三次网格调整"
    assert Area.objects.get(code=G3).kind == "rural"  # from its village (村委会)
    building.refresh_from_db()
    assert building.grid_id == G3
    record = AuditRecord.objects.get(action="boundary_change")
    assert (record.detail["created"], record.detail["changed"]) == ([G3], {G1: ["boundary"]})
    assert coverage.check().ok


def test_cgcs2000_gauss_kruger_file_is_transformed(tree, tmp_path):
    path = write(tmp_path, "gpkg", GOOD, epsg=4546)  # CGCS2000 / 3-degree GK CM 111E, metres
    out = run(path, "--commit")
    assert "(EPSG:4546)" in out
    assert Area.objects.get(code=G3).boundary.extent == pytest.approx((112.48, 35.0, 112.50, 35.1), abs=1e-6)
    assert coverage.check().ok


def test_gcj02_file_has_its_offset_removed(tree, tmp_path):
    def to_gcj02(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(crs.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    shifted = dict(GOOD, geometry=[shapely.transform(g.segmentize(0.01), to_gcj02) for g in GOOD["geometry"]])
    assert shifted["geometry"][2].bounds[0] - 112.48 > 0.004  # hundreds of metres off as given
    run(write(tmp_path, "geojson", shifted), "--from-gcj02", "--commit")
    assert Area.objects.get(code=G3).boundary.extent == pytest.approx((112.48, 35.0, 112.50, 35.1), abs=1e-6)


BAD_ROWS = [
    (f"{V}00X", sbox(112.48, 35.0, 112.49, 35.1), "must be a string of digits"),
    (f"{V}900", sbox(112.48, 35.0, 112.49, 35.1), "suffix 900 is outside"),
    ("419001104200001", sbox(112.48, 35.0, 112.49, 35.1), "parent 419001104200 does not exist"),
    (G3, sbox(112.48, 35.0, 112.49, 35.1), None),  # accepted
    (G3, sbox(112.49, 35.0, 112.50, 35.1), f"code {G3} appears again (first in row 4)"),
    (f"{V}004", BOWTIE, "invalid geometry: Self-intersection"),
    (f"{V}005", SPoint(112.49, 35.05), "expected MultiPolygon, got Point"),
    (f"{V}006", sbox(35.0, 112.48, 35.1, 112.49), "look like lat, lon"),
    (f"{V}007", None, "the row has no geometry"),
]


def test_refused_rows_are_listed_with_their_reasons(tree, tmp_path):
    data = {"code": [c for c, _, _ in BAD_ROWS], "name": ["x"] * len(BAD_ROWS), "geometry": [g for _, g, _ in BAD_ROWS]}
    path = write(tmp_path, "gpkg", data)
    out = run(path)
    for number, (code, _, reason) in enumerate(BAD_ROWS, start=1):
        if reason:
            assert f"refuse  row {number} ({code}): " in out and reason in out
    assert "1 to create, 0 to change, 0 unchanged, 8 refused" in out
    before = frozen()
    with pytest.raises(CommandError, match="8 row\\(s\\) refused; nothing was written"):
        run(path, "--commit")
    assert frozen() == before
    out = run(path, "--commit", "--skip-refused")
    assert Area.objects.filter(code=G3).exists()
    assert not Area.objects.filter(code=f"{V}004").exists()
    assert "8 refused" in out


def test_fix_invalid_repairs_and_says_so(tree, tmp_path):
    Area.objects.filter(code=G2).update(boundary="MULTIPOLYGON(((112.5 35, 112.6 35, 112.6 35.1, 112.5 35.1, "
                                                 "112.5 35)))")
    path = write(tmp_path, "geojson", {"code": [G3], "name": ["蝴蝶"], "geometry": [BOWTIE]})
    out = run(path, "--fix-invalid", "--commit")
    assert f"fixed   row 1 ({G3}): Self-intersection" in out and "repaired with make_valid" in out
    assert Area.objects.get(code=G3).boundary.num_geom == 2


def test_codes_stored_as_numbers(tree, tmp_path):
    as_int = write(tmp_path, "gpkg", {"code": [int(G3)], "name": ["n"], "geometry": [GOOD["geometry"][2]]}, name="i")
    assert f"create   {G3}" in run(as_int)
    as_float = write(tmp_path, "gpkg", {"code": [float(G3)], "name": ["n"], "geometry": [GOOD["geometry"][2]]},
                     name="f")
    assert "stored as a decimal number" in run(as_float)


def test_a_retired_code_is_never_reused(tree, tmp_path):
    Area.objects.filter(code=G2).update(valid_to="2025-01-01")
    out = run(write(tmp_path, "geojson", GOOD))
    assert f"refuse  row 2 ({G2}): code {G2} belonged to an area retired on 2025-01-01" in out


def test_shapefile_without_prj_needs_srid(tree, tmp_path):
    path = write(tmp_path, "shp", GOOD, epsg=4546)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CommandError, match="does not say its CRS"):
        run(path)
    assert "(EPSG:4546)" in run(path, "--srid", "4546")


def test_dedicated_grids_import_places_incidents_in_them(tree, tmp_path):
    incident = add_incident(112.45, 35.05)
    assert incident.dedicated_grid_id is None
    data = {"code": [f"{V}9001"], "name": ["学校"], "kind": ["school"],
            "geometry": [sbox(112.44, 35.04, 112.46, 35.06)]}
    out = run(write(tmp_path, "geojson", data), "--kind-field", "kind", "--commit", level="dedicated")
    assert "open_incidents changing grid: 1" in out
    assert Incident.objects.get(pk=incident.pk).dedicated_grid_id == f"{V}9001"
    assert Area.objects.get(code=f"{V}9001").kind == "school"


@pytest.mark.parametrize(("args", "message"), [
    (["--level", "hamlet", "--code-field", "code"], "unknown level"),
    (["--level", "grid", "--code-field", "gridcode"], "no field 'gridcode'"),
    (["--level", "grid", "--code-field", "code", "--srid", "2000"], "EPSG:2000 is not supported"),
    (["--level", "grid", "--code-field", "code", "--srid", "4546", "--from-gcj02"], "--from-gcj02 applies to lon/lat"),
    (["--level", "grid", "--code-field", "code", "--valid-from", "soon"], "is not a date; use YYYY-MM-DD"),
])
def test_bad_arguments_are_command_errors(tree, tmp_path, args, message):
    path = write(tmp_path, "geojson", GOOD)
    with pytest.raises(CommandError, match=message):
        call_command("import_areas", str(path), *args)


def test_unreadable_or_missing_files(tree, tmp_path):
    junk = tmp_path / "junk.geojson"
    junk.write_text("not a file format")
    with pytest.raises(CommandError, match="cannot read it"):
        call_command("import_areas", str(junk), "--level", "grid", "--code-field", "code")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_areas", str(tmp_path / "nope.gpkg"), "--level", "grid", "--code-field", "code")
