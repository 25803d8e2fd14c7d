"""Coverage check: every kind of problem, from small named shapes, with its geometry and area in m².

The `tree` village (112.4..112.6 × 35.0..35.1) is tiled by `west` (..112.5) and `east` (112.5..).
Each shape below redraws one or two grids (directly in the table: the check reads current
boundaries, however they got there) and says what the check must find.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command
from django.db import connection
from pyproj import Geod
from shapely.geometry import box as sbox

from grids import coverage
from grids.models import Area
from tests.support.grids import EAST, MID, NORTH, SOUTH, WEST, api_as, box, notched

GEOD = Geod(ellps="WGS84")
VILLAGE = "419001103200"
W, E = "419001103200001", "419001103200002"
# A 5e-6° × 1e-5° rectangle is about 0.46 m × 1.11 m ≈ 0.5 m² at latitude 35°: below the 1 m² threshold.
TINY = (112.45, 35.05, 112.450005, 35.05001)


def m2(west: float, south: float, east: float, north: float) -> float:
    return abs(GEOD.geometry_area_perimeter(sbox(west, south, east, north))[0])


def set_boundary(code: str, geom) -> None:
    Area.objects.filter(code=code).update(boundary=geom)


def with_tiny_part(west, south, east, north, tiny) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((west, south, east, north)), Polygon.from_bbox(tiny), srid=4326)


# name: (changes {code: boundary}, expected [(kind, of, codes, expected m² or None)])
SHAPES = {
    "tiling": ({}, []),
    "gap": ({E: box(112.51, SOUTH, EAST, NORTH)}, [("gap", "gap", [], m2(MID, SOUTH, 112.51, NORTH))]),
    "overlap": ({E: box(112.49, SOUTH, EAST, NORTH)},
                [("overlap", "overlap", [W, E], m2(112.49, SOUTH, MID, NORTH))]),
    "outside": ({E: box(MID, SOUTH, 112.61, NORTH)}, [("outside", "outside", [E], m2(EAST, SOUTH, 112.61, NORTH))]),
    "sliver gap": ({E: notched(MID, SOUTH, EAST, NORTH, (MID, 35.05, MID + 5e-6, 35.05001))},
                   [("sliver", "gap", [], m2(MID, 35.05, MID + 5e-6, 35.05001))]),
    "sliver overlap": ({E: with_tiny_part(MID, SOUTH, EAST, NORTH, TINY)},
                       [("sliver", "overlap", [W, E], m2(*TINY)), ("sliver", "part", [E], m2(*TINY))]),
    "sliver part": ({W: notched(WEST, SOUTH, MID, NORTH, TINY), E: with_tiny_part(MID, SOUTH, EAST, NORTH, TINY)},
                    [("sliver", "part", [E], m2(*TINY))]),
    # Edges that differ by rounding (1e-12°, a nanometre) are not problems.
    "noise gap": ({E: box(MID + 1e-12, SOUTH, EAST, NORTH)}, []),
    "noise overlap": ({E: box(MID - 1e-12, SOUTH, EAST, NORTH)}, []),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_each_kind_of_problem_is_found_with_its_area(tree, name):
    changes, expected = SHAPES[name]
    for code, geom in changes.items():
        set_boundary(code, geom)
    report = coverage.check()
    found = sorted((p.kind, p.of, p.codes, p.area_m2) for p in report.problems)
    assert [(k, o, c) for k, o, c, _ in found] == sorted((k, o, c) for k, o, c, _ in expected)
    for (_, _, _, area), (_, _, _, want) in zip(found, sorted(expected), strict=True):
        assert area == pytest.approx(want, rel=0.01)
    assert report.ok is (not expected)


def test_problems_carry_their_geometry_as_geojson(tree):
    set_boundary(E, box(112.51, SOUTH, EAST, NORTH))
    [gap] = coverage.check().problems
    assert gap.geometry["type"] == "Polygon"
    xs = [x for x, _ in gap.geometry["coordinates"][0]]
    assert (min(xs), max(xs)) == pytest.approx((MID, 112.51))
    assert gap.parent == VILLAGE


def test_invalid_boundary_is_reported_with_its_reason(tree):
    # Written past the model's validation, as a careless bulk load could.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grids_area SET boundary = ST_Multi(ST_GeomFromText("
                       "'POLYGON((112.4 35.0, 112.5 35.1, 112.4 35.1, 112.5 35.0, 112.4 35.0))', 4326)) "
                       "WHERE code = %s", [W])
    problems = coverage.check().problems
    [invalid] = [p for p in problems if p.kind == "invalid"]
    assert invalid.codes == [W]
    assert "Self-intersection" in invalid.detail
    assert invalid.area_m2 > 0


def test_dedicated_grids_may_overlap_basic_grids_but_not_each_other(tree):
    school = Area.objects.create(code="4190011032009001", name="学校", level=5, kind="school", parent=tree["village"],
                                 boundary=box(112.49, 35.04, 112.51, 35.06))  # across the west|east edge: fine
    assert coverage.check().ok
    Area.objects.create(code="4190011032009002", name="医院", level=5, kind="hospital", parent=tree["village"],
                        boundary=box(112.505, 35.05, 112.52, 35.07))
    [overlap] = coverage.check().problems
    assert (overlap.kind, overlap.codes) == ("overlap", [school.code, "4190011032009002"])
    assert overlap.area_m2 == pytest.approx(m2(112.505, 35.05, 112.51, 35.06), rel=0.01)


def test_a_village_without_grids_is_one_gap(tree):
    Area.objects.filter(code__in=["419001", "419001103"]).update(boundary=box(WEST, SOUTH, EAST, 35.2))
    Area.objects.create(code="419001103201", name="空村", level=3, parent=tree["township"],
                        boundary=box(WEST, NORTH, EAST, 35.2))
    [gap] = coverage.check().problems
    assert (gap.kind, gap.parent, gap.detail) == ("gap", "419001103201", "no children cover this area")


def test_checking_one_grid_reports_only_its_problems(tree):
    Area.objects.create(code="419001103200003", name="三", level=4, kind="rural", parent=tree["village"],
                        boundary=box(112.55, 35.0, 112.6, 35.01))  # overlaps east only
    set_boundary(W, box(WEST, SOUTH, 112.49, NORTH))  # a gap beside west, not touching grid 003
    everything = coverage.check(tree["village"])
    assert sorted(p.kind for p in everything.problems) == ["gap", "overlap"]
    assert [p.kind for p in coverage.check(Area.objects.get(code="419001103200003")).problems] == ["overlap"]
    assert sorted(p.kind for p in coverage.check(tree["west"]).problems) == ["gap"]


def test_retired_grids_are_not_checked(tree):
    Area.objects.filter(code=E).update(valid_to="2025-01-01")
    [gap] = coverage.check().problems
    assert gap.area_m2 == pytest.approx(m2(MID, SOUTH, EAST, NORTH), rel=0.01)


def test_sliver_threshold_is_a_parameter(tree):
    set_boundary(E, notched(MID, SOUTH, EAST, NORTH, (MID, 35.05, MID + 5e-6, 35.05001)))
    assert [p.kind for p in coverage.check(sliver_m2=1.0).problems] == ["sliver"]
    assert [p.kind for p in coverage.check(sliver_m2=0.1).problems] == ["gap"]


def test_check_grids_command_exits_non_zero_and_writes_geojson(tree, tmp_path, capsys):
    call_command("check_grids")
    assert "no problems" in capsys.readouterr().out
    set_boundary(E, box(112.51, SOUTH, EAST, NORTH))
    out = tmp_path / "problems.geojson"
    with pytest.raises(CommandError, match="1 coverage problem"):
        call_command("check_grids", "--area", VILLAGE, "--geojson", str(out))
    assert "gap in 419001103200" in capsys.readouterr().out
    features = json.loads(out.read_text())["features"]
    assert [f["properties"]["kind"] for f in features] == ["gap"]
    assert features[0]["properties"]["area_m2"] > 10_000_000


@pytest.mark.parametrize(("args", "message"), [
    (["--area", "41900X"], "must be a string of digits"),
    (["--area", "419009"], "no area with that code"),
    (["--sliver-m2", "-1"], "must be 0 or more"),
])
def test_check_grids_refuses_bad_arguments(tree, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("check_grids", *args)


def test_check_endpoint_answers_within_scope(client, tree):
    set_boundary(E, box(112.49, SOUTH, EAST, NORTH))
    api = api_as(client, "leader", "leader", tree["township"].code)
    body = api.get(f"/api/areas/{VILLAGE}/check").json()
    assert (body["ok"], body["counts"]["overlap"]) == (False, 1)
    assert body["problems"][0]["geometry"]["type"] == "Polygon"
    assert api.get("/api/areas/419001103200/check", sliver_m2="x").status_code == 400
    other = api_as(client, "other", "leader", "419001104")
    assert other.get(f"/api/areas/{VILLAGE}/check").status_code == 404
