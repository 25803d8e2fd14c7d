"""locate_points: a CSV of points in, the same rows with their area codes out (set-based in PostGIS)."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from geo import crs
from grids.models import Area, BoundaryVersion
from tests.support.grids import NORTH, SOUTH, box

V = "419001103200"
W, E = f"{V}001", f"{V}002"

ROWS = [  # (id, lon, lat, expected grid, expected dedicated)
    ("inside west", "112.45", "35.05", W, ""),
    ("inside east", "112.55", "35.05", E, "4190011032009001"),
    ("on the edge", "112.5", "35.05", W, ""),
    ("outside", "113.5", "35.05", "", ""),
    ("not a number", "east", "35.05", "", ""),
    ("swapped", "35.05", "112.55", "", ""),
    ("inside west again", "112.41", "35.01", W, ""),
]


@pytest.fixture
def points(tree, tmp_path):
    Area.objects.create(code="4190011032009001", name="学校", level=5, kind="school", parent=tree["village"],
                        boundary=box(112.54, 35.04, 112.56, 35.06))
    path = tmp_path / "points.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "lon", "lat", "note"])
        writer.writerows([(name, lon, lat, "备注") for name, lon, lat, _, _ in ROWS])
    return path


def read(path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_row_gets_its_codes_in_input_order(points, capsys):
    call_command("locate_points", str(points))
    out = points.with_suffix(".located.csv")
    rows = read(out)
    assert [r["id"] for r in rows] == [name for name, *_ in ROWS]
    assert [r["grid_code"] for r in rows] == [g for *_, g, _ in ROWS]
    assert [r["dedicated_codes"] for r in rows] == [d for *_, d in ROWS]
    assert rows[0]["county_code"] == "419001" and rows[0]["township_code"] == "419001103"
    assert rows[0]["village_code"] == V and rows[0]["note"] == "备注"
    captured = capsys.readouterr()
    assert "7 rows: 4 in an area (4 in a grid), 2 refused" in captured.out
    assert "refused row 5: lon/lat 'east', '35.05' are not numbers" in captured.err
    assert "refused row 6: 35.05, 112.55 looks like lat, lon" in captured.err


def test_lookup_on_a_past_date(points, tree, tmp_path):
    BoundaryVersion.objects.update(valid_from=dt.date(2020, 1, 1))
    tree["west"].replace_boundary(box(112.4, SOUTH, 112.56, NORTH), on=dt.date(2025, 1, 1), reason="t")
    tree["east"].replace_boundary(box(112.56, SOUTH, 112.6, NORTH), on=dt.date(2025, 1, 1), reason="t")
    now, then = tmp_path / "now.csv", tmp_path / "then.csv"
    call_command("locate_points", str(points), "-o", str(now))
    call_command("locate_points", str(points), "-o", str(then), "--at", "2024-12-31")
    assert read(now)[1]["grid_code"] == W
    assert read(then)[1]["grid_code"] == E


def test_gcj02_points_are_corrected(tree, tmp_path):
    lon, lat = crs.wgs84_to_gcj02(np.array([112.499]), np.array([35.05]))  # 100 m west of the edge
    path = tmp_path / "gcj.csv"
    path.write_text(f"x;y\n{float(lon[0])!r};{float(lat[0])!r}\n")
    call_command("locate_points", str(path), "--lon-field", "x", "--lat-field", "y", "--delimiter", ";",
                 "--from-gcj02")
    assert read_semicolon(path.with_suffix(".located.csv"))[0]["grid_code"] == W
    call_command("locate_points", str(path), "--lon-field", "x", "--lat-field", "y", "--delimiter", ";")
    assert read_semicolon(path.with_suffix(".located.csv"))[0]["grid_code"] == E  # as given, hundreds of m off


def read_semicolon(path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.mark.parametrize(("content", "args", "message"), [
    ("a,b\n1,2\n", [], "no column 'lon', 'lat' in the header"),
    ("", [], "is empty"),
    ("lon,lat,grid_code\n1,2,3\n", [], "already has column(s) grid_code"),
    ("lon,lat\n112,35\n", ["--at", "2025-13-01"], "is not a date; use YYYY-MM-DD"),
])
def test_bad_files_and_arguments(tree, tmp_path, content, args, message):
    path = tmp_path / "p.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message.replace("(", "\\(").replace(")", "\\)")):
        call_command("locate_points", str(path), *args)


def test_missing_file_and_overwriting_the_input(tree, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("locate_points", str(tmp_path / "none.csv"))
    path = tmp_path / "p.csv"
    path.write_text("lon,lat\n112.45,35.05\n")
    with pytest.raises(CommandError, match="would overwrite the input"):
        call_command("locate_points", str(path), "-o", str(path))
