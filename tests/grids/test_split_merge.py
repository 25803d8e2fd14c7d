"""Split a grid along a line, merge adjacent grids: new codes, old ones retired and never reused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString
from django.utils import timezone

from geo.models import AuditRecord
from grids import coverage
from grids.models import Area, AreaPart, Assignment, BoundaryVersion
from layers.models import Building, Incident
from tests.support.grids import (
    EAST,
    MID,
    NORTH,
    SOUTH,
    WEST,
    add_building,
    add_incident,
    add_worker,
    api_as,
    box,
    frozen,
    gj,
)

V = "419001103200"
W, E = f"{V}001", f"{V}002"
ACROSS_WEST = LineString((112.45, 34.99), (112.45, 35.11), srid=4326)  # cuts west into two halves, side by side


@pytest.fixture
def planner(client, tree):
    BoundaryVersion.objects.update(valid_from=dt.date(2020, 1, 1))
    add_building(1, 112.42, 35.05, rooms=2)
    add_building(2, 112.48, 35.05)
    add_building(3, 112.55, 35.05)
    add_incident(112.48, 35.06)
    add_incident(112.48, 35.07, status="closed")
    add_worker("W1", tree["west"])
    add_worker("C1", tree["west"], role="chief")
    add_worker("W2", tree["east"])
    return api_as(client, "planner", "planner", "419001103")


def split(api, code, line, **extra):
    return api.post(f"/api/areas/{code}/split", {"line": gj(line), "reason": "人口增长", **extra})


def merge(api, codes, **extra):
    return api.post("/api/areas/merge", {"codes": codes, "reason": "村庄合并", **extra})


def current_codes() -> list[str]:
    return list(Area.objects.current().filter(level=4).values_list("code", flat=True))


def test_split_creates_grids_with_new_codes_and_retires_the_old_one(planner):
    response = split(planner, W, ACROSS_WEST)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["retired"]) == ([f"{V}003", f"{V}004"], [W])
    today = timezone.localdate()
    old = Area.objects.get(code=W)
    assert old.valid_to == today
    assert BoundaryVersion.objects.get(area=old, valid_from=dt.date(2020, 1, 1)).valid_to == today
    assert not AreaPart.objects.filter(area_id=W).exists()
    assert current_codes() == [E, f"{V}003", f"{V}004"]
    # Numbered west→east: 003 is the western half.
    assert Area.objects.get(code=f"{V}003").boundary.extent == pytest.approx((WEST, SOUTH, 112.45, NORTH))
    assert Area.objects.get(code=f"{V}004").boundary.extent == pytest.approx((112.45, SOUTH, MID, NORTH))
    assert Area.objects.get(code=f"{V}003").name == "西网格-1"
    assert coverage.check().ok


def test_split_moves_things_and_carries_workers_to_every_piece(planner):
    body = split(planner, W, ACROSS_WEST).json()
    assert [Building.objects.get(address_code=f"{V}{n:05d}").grid_id for n in (1, 2, 3)] == [f"{V}003", f"{V}004", E]
    open_incident, closed = Incident.objects.order_by("status")  # accepted < closed
    assert (open_incident.grid_id, closed.grid_id) == (f"{V}004", W)
    assert body["moves"]["buildings"]["by_grid"] == [{"from": W, "to": f"{V}003", "count": 1},
                                                      {"from": W, "to": f"{V}004", "count": 1}]
    assert body["moves"]["rooms"]["count"] == 2
    current = Assignment.objects.filter(valid_to__isnull=True)
    assert sorted(current.values_list("worker__employee_no", "area_id")) == [
        ("C1", f"{V}003"), ("C1", f"{V}004"), ("W1", f"{V}003"), ("W1", f"{V}004"), ("W2", E)]
    assert Assignment.objects.filter(area_id=W, valid_to=timezone.localdate()).count() == 2
    assert {w["employee_no"]: w["carried_to"] for w in body["workers"]} == {
        "C1": [f"{V}003", f"{V}004"], "W1": [f"{V}003", f"{V}004"]}
    assert AuditRecord.objects.get(action="boundary_change").detail["operation"] == "split"


def test_split_preview_changes_nothing(planner):
    before = frozen()
    body = split(planner, W, ACROSS_WEST, preview=True).json()
    assert (body["committed"], body["created"]) == (False, [f"{V}003", f"{V}004"])
    assert frozen() == before


def test_merge_creates_one_grid_and_codes_are_never_reused(planner):
    split(planner, W, ACROSS_WEST)
    response = merge(planner, [f"{V}003", f"{V}004"], name="西网格")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == [f"{V}005"]  # not 001, though 001 covered exactly this
    merged = Area.objects.get(code=f"{V}005")
    assert merged.boundary.extent == pytest.approx((WEST, SOUTH, MID, NORTH))
    assert merged.boundary.num_geom == 1
    assert current_codes() == [E, f"{V}005"]
    assert [Building.objects.get(address_code=f"{V}{n:05d}").grid_id for n in (1, 2)] == [f"{V}005"] * 2
    current = Assignment.objects.filter(valid_to__isnull=True, area_id=f"{V}005")
    assert sorted(current.values_list("worker__employee_no", flat=True)) == ["C1", "W1"]
    assert coverage.check().ok
    record = AuditRecord.objects.filter(action="boundary_change").first()  # the newest
    assert (record.target, record.detail["operation"], record.detail["reason"]) == (
        f"{V}003,{V}004", "merge", "村庄合并")
    assert record.detail["roles"] == {f"{V}003": "retired", f"{V}004": "retired", f"{V}005": "created"}


def test_merge_of_the_two_grids_and_lookup_in_the_past(planner):
    merge(planner, [E, W], valid_from="2024-01-01")
    assert planner.get("/api/locate", lon="112.55", lat="35.05").json()["grid"]["code"] == f"{V}003"
    assert planner.get("/api/locate", lon="112.55", lat="35.05", at="2023-12-31").json()["grid"]["code"] == E
    assert planner.get("/api/areas/419001103200").json()["children"][0]["code"] == f"{V}003"


@pytest.mark.parametrize(("body", "message"), [
    ({"codes": W}, "codes must be a list"),
    ({"codes": [W]}, "at least two different grids"),
    ({"codes": [W, W]}, "at least two different grids"),
    ({"codes": [W, "x"]}, "must be a string of digits"),
    ({"codes": [W, f"{V}009"]}, f"no area with code {V}009"),
    ({"codes": [W, V]}, "work on basic grids"),
])
def test_merge_refuses_bad_requests(planner, body, message):
    before = frozen()
    response = planner.post("/api/areas/merge", {"reason": "x", **body})
    assert response.status_code in (400, 404)
    assert message in response.json()["error"]["message"]
    assert frozen() == before


def test_only_adjacent_grids_of_one_village_merge(planner, tree):
    Area.objects.filter(code=E).update(boundary=box(MID, SOUTH, EAST, 35.05))
    Area.objects.create(code=f"{V}003", name="北", level=4, kind="rural", parent=tree["village"],
                        boundary=box(MID, 35.05, EAST, NORTH))
    Area.objects.filter(code=W).update(boundary=box(WEST, SOUTH, MID, 35.05))
    Area.objects.create(code=f"{V}004", name="西北", level=4, kind="rural", parent=tree["village"],
                        boundary=box(WEST, 35.05, MID, NORTH))
    # 001 (south-west) and 003 (north-east) meet only at the centre point.
    response = merge(planner, [W, f"{V}003"])
    assert response.status_code == 400
    assert "share no edge" in response.json()["error"]["message"]
    other_village = Area.objects.create(code="419001103201", name="邻村", level=3, parent=tree["township"],
                                        boundary=box(EAST, SOUTH, 112.7, NORTH))
    Area.objects.create(code="419001103201001", name="邻村网格", level=4, kind="rural", parent=other_village,
                        boundary=box(EAST, SOUTH, 112.7, NORTH))
    response = merge(planner, [E, "419001103201001"])
    assert response.status_code == 400
    assert "different villages" in response.json()["error"]["message"]


@pytest.mark.parametrize(("line", "message"), [
    (LineString((112.45, 35.02), (112.45, 35.08), srid=4326), "does not cut grid"),
    (LineString((112.6, 34.9), (112.7, 35.2), srid=4326), "does not cut grid"),
    # Cuts a triangle of about 0.9 m × 1.1 m / 2 off the south-west corner: below the 1 m² sliver threshold.
    (LineString((112.399995, 35.000015), (112.400015, 34.999995), srid=4326), "cut off a piece of 0.5"),
])
def test_split_refuses_a_line_that_does_not_cut(planner, line, message):
    before = frozen()
    response = split(planner, W, line)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert frozen() == before


def test_split_refuses_other_bad_input(planner):
    assert "line is required" in planner.post(f"/api/areas/{W}/split", {"reason": "x"}).json()["error"]["message"]
    polygon = {"line": gj(box(112.4, 35.0, 112.5, 35.1)), "reason": "x"}
    message = planner.post(f"/api/areas/{W}/split", polygon).json()["error"]["message"]
    assert "expected LineString or MultiLineString, got MultiPolygon" in message
    assert "reason is required" in split(planner, W, ACROSS_WEST, reason="").json()["error"]["message"]
    assert "names has 1 names for 2 pieces" in split(planner, W, ACROSS_WEST, names=["a"]).json()["error"]["message"]


def test_a_retired_grid_can_be_neither_split_nor_merged(planner):
    split(planner, W, ACROSS_WEST)
    assert split(planner, W, ACROSS_WEST).status_code == 409
    assert merge(planner, [W, E]).status_code == 409


def test_leader_may_not_split_or_merge(client, tree):
    leader = api_as(client, "leader", "leader", "419001")
    assert split(leader, W, ACROSS_WEST).status_code == 403
    assert merge(leader, [W, E]).status_code == 403
