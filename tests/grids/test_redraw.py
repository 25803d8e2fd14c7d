"""Redraw in two steps: preview (nothing kept) and commit (atomic, versioned, reassigned, audited).

The `row` village holds four grids side by side, 0.05° wide (about 4.6 km), 35.0..35.1:

    001 | 002 | 003 | 004      112.40 | 112.45 | 112.50 | 112.55 | 112.60

Things are placed near the 002|003 edge, so moving that edge moves them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.utils import timezone

from geo.models import AuditRecord
from grids import changes
from grids.models import Area, BoundaryVersion
from layers.models import Building, Incident, Place
from tests.support.grids import (
    NORTH,
    SOUTH,
    add_building,
    add_incident,
    add_place,
    add_worker,
    api_as,
    box,
    frozen,
    gj,
)

V = "419001103200"
G1, G2, G3, G4 = (f"{V}00{i}" for i in range(1, 5))
SINCE = dt.date(2020, 1, 1)


@pytest.fixture
def row(tree):
    """Four grids in a row (the tree's two, redrawn from 2020, and two more)."""
    BoundaryVersion.objects.update(valid_from=dt.date(2000, 1, 1))
    tree["west"].replace_boundary(box(112.40, SOUTH, 112.45, NORTH), on=SINCE, reason="setup")
    tree["east"].replace_boundary(box(112.45, SOUTH, 112.50, NORTH), on=SINCE, reason="setup")
    for code, west in ((G3, 112.50), (G4, 112.55)):
        Area.objects.create(code=code, name=f"网格{code[-1]}", level=4, kind="rural", parent=tree["village"],
                            boundary=box(west, SOUTH, west + 0.05, NORTH), valid_from=SINCE)
    add_building(1, 112.49, 35.02, rooms=2)
    add_building(2, 112.49, 35.05, rooms=1)
    add_building(3, 112.49, 35.08)
    add_building(4, 112.46, 35.05)
    add_building(5, 112.51, 35.05, rooms=3)
    add_building(6, 112.51, 35.06)
    add_building(7, 112.44, 35.05)
    add_incident(112.49, 35.03)
    add_incident(112.49, 35.04, status="closed")
    add_incident(112.51, 35.03, status="reported")
    add_place("CAM1", 112.49, 35.09)
    add_worker("W002", Area.objects.get(code=G2))
    add_worker("W003", Area.objects.get(code=G3), role="chief")
    return tree


@pytest.fixture
def planner(client, row):
    return api_as(client, "planner", "planner", "419001103")


def redraw(api, code, boundary, commit=False, **extra):
    body = {"boundary": gj(boundary), "reason": "新小区建成", **extra}
    return api.post(f"/api/areas/{code}/redraw/{'commit' if commit else 'preview'}", body)


def grid_of(number: int) -> str:
    return Building.objects.get(address_code=f"{V}{number:05d}").grid_id


def test_preview_reports_gain_neighbours_moves_workers_and_problems_and_keeps_nothing(planner):
    before = frozen()
    response = redraw(planner, G2, box(112.45, SOUTH, 112.52, NORTH))
    assert response.status_code == 200
    body = response.json()
    assert (body["committed"], body["can_commit"]) == (False, False)
    assert body["gained"]["area_m2"] == pytest.approx(0.02 / 0.05 * body["changes"][0]["area_before_m2"], rel=1e-3)
    assert body["lost"] == {"area_m2": 0.0, "geometry": None}
    [overlap] = body["problems"]
    assert (overlap["kind"], overlap["codes"]) == ("overlap", [G2, G3])
    assert overlap["area_m2"] == pytest.approx(body["gained"]["area_m2"], rel=1e-6)
    assert body["moves"]["buildings"]["count"] == 2  # 112.51 lies in both: the lower code, 002, wins
    assert [w["employee_no"] for w in body["workers"]] == ["W002"]
    assert frozen() == before


def test_commit_that_would_overlap_a_neighbour_is_refused_with_409(planner):
    before = frozen()
    response = redraw(planner, G2, box(112.45, SOUTH, 112.52, NORTH), commit=True)
    assert response.status_code == 409
    error = response.json()["error"]
    assert "1 overlap" in error["message"] and "gained_from" in error["message"]
    assert error["detail"]["problems"][0]["codes"] == [G2, G3]
    assert frozen() == before


def test_commit_that_would_open_a_gap_is_refused_with_409(planner):
    before = frozen()
    response = redraw(planner, G2, box(112.45, SOUTH, 112.48, NORTH), commit=True)
    assert response.status_code == 409
    assert "1 gap" in response.json()["error"]["message"]
    assert response.json()["error"]["detail"]["problems"][0]["kind"] == "gap"
    assert frozen() == before


def test_gained_area_taken_from_the_neighbour(planner):
    response = redraw(planner, G2, box(112.45, SOUTH, 112.52, NORTH), commit=True, gained_from="neighbours")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["committed"], body["problems"], body["neighbours_affected"]) == (True, [], [G3])
    assert Area.objects.get(code=G3).boundary.extent == pytest.approx((112.52, SOUTH, 112.55, NORTH))
    assert Area.objects.get(code=G2).boundary.extent == pytest.approx((112.45, SOUTH, 112.52, NORTH))
    assert [grid_of(n) for n in (5, 6)] == [G2, G2]
    moves = body["moves"]
    assert (moves["buildings"]["count"], moves["rooms"]["count"], moves["open_incidents"]["count"]) == (2, 3, 1)
    assert moves["buildings"]["by_grid"] == [{"from": G3, "to": G2, "count": 2}]
    assert sorted(w["employee_no"] for w in body["workers"]) == ["W002", "W003"]


def test_lost_area_handed_to_a_chosen_neighbour(planner):
    closed = Incident.objects.get(status="closed")
    response = redraw(planner, G2, box(112.45, SOUTH, 112.48, NORTH), commit=True, lost_to=G3)
    assert response.status_code == 200, response.content
    body = response.json()
    assert Area.objects.get(code=G3).boundary.extent == pytest.approx((112.48, SOUTH, 112.55, NORTH))
    assert [grid_of(n) for n in (1, 2, 3, 4)] == [G3, G3, G3, G2]
    moves = body["moves"]
    counts = {k: moves[k]["count"] for k in ("buildings", "rooms", "open_incidents", "places")}
    assert counts == {"buildings": 3, "rooms": 3, "open_incidents": 1, "places": 1}
    assert Place.objects.get().grid_id == G3
    # A closed incident keeps the grid that handled it: its figures for the period stay put.
    assert Incident.objects.get(pk=closed.pk).grid_id == G2
    assert AuditRecord.objects.filter(action="boundary_change").count() == 1


def test_both_resolutions_at_once_keep_coverage_whole(planner):
    # Move the whole grid east by 0.01°: gain from 003, lose to 001.
    response = redraw(planner, G2, box(112.46, SOUTH, 112.51, NORTH), commit=True, gained_from="neighbours",
                      lost_to=G1)
    assert response.status_code == 200, response.content
    assert sorted(response.json()["neighbours_affected"]) == [G1, G3]
    from grids import coverage

    assert coverage.check().ok


def test_commit_keeps_the_old_boundary_as_a_version_with_its_end_date(planner):
    redraw(planner, G2, box(112.45, SOUTH, 112.52, NORTH), commit=True, gained_from="neighbours")
    today = timezone.localdate()
    for code in (G2, G3):
        versions = list(BoundaryVersion.objects.filter(area_id=code).order_by("valid_from", "id"))
        assert [(v.valid_from, v.valid_to) for v in versions][-2:] == [(SINCE, today), (today, None)]
        assert versions[-1].reason == "redraw: 新小区建成"
        assert versions[-1].author == "planner"


def test_every_commit_leaves_an_audit_record_with_before_and_after(planner):
    redraw(planner, G2, box(112.45, SOUTH, 112.52, NORTH), commit=True, gained_from="neighbours")
    record = AuditRecord.objects.get(action="boundary_change")
    assert (record.username, record.target) == ("planner", G2)
    assert record.detail["reason"] == "新小区建成"
    assert set(record.detail["before"]) == set(record.detail["after"]) == {G2, G3}
    assert GEOSGeometry(str(record.detail["before"][G2]).replace("'", '"')).extent[2] == pytest.approx(112.50)
    assert record.detail["moves"]["buildings"] == 2
    assert record.rows == 2 + 2 + 3 + 1  # two areas, two buildings, three rooms... counted as moved rows
    assert AuditRecord.objects.filter(action="boundary_change").count() == 1


def test_a_failure_during_commit_leaves_everything_as_it_was(planner, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(changes, "audit", broken_audit)
    before = frozen()
    with pytest.raises(RuntimeError, match="disk full"):
        redraw(planner, G2, box(112.45, SOUTH, 112.52, NORTH), commit=True, gained_from="neighbours")
    assert frozen() == before


def test_lookup_in_the_past_after_a_redraw(planner):
    redraw(planner, G2, box(112.45, SOUTH, 112.52, NORTH), commit=True, gained_from="neighbours",
           valid_from="2024-06-01")
    assert planner.get("/api/locate", lon="112.51", lat="35.05").json()["grid"]["code"] == G2
    assert planner.get("/api/locate", lon="112.51", lat="35.05", at="2024-05-31").json()["grid"]["code"] == G3
    assert planner.get("/api/locate", lon="112.51", lat="35.05", at="2024-06-01").json()["grid"]["code"] == G2


def test_boundary_in_gauss_kruger_is_transformed(planner):
    gk = box(112.45, SOUTH, 112.52, NORTH)
    gk.transform(4546)
    response = redraw(planner, G2, gk, commit=True, srid=4546, gained_from="neighbours")
    assert response.status_code == 200, response.content
    assert Area.objects.get(code=G2).boundary.extent == pytest.approx((112.45, SOUTH, 112.52, NORTH), abs=1e-6)
    from grids import coverage

    assert coverage.check().ok


def test_snapping_brings_a_hand_drawn_edge_onto_the_village_edge(planner):
    drawn = box(112.45, SOUTH - 0.00001, 112.52, NORTH)  # about 1 m south of the village
    assert redraw(planner, G2, drawn, commit=True, gained_from="neighbours").status_code == 400
    response = redraw(planner, G2, drawn, commit=True, gained_from="neighbours", snap_m=2)
    assert response.status_code == 200, response.content
    assert Area.objects.get(code=G2).boundary.extent[1] == pytest.approx(SOUTH, abs=1e-9)


BAD_BODIES = [
    ("not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    ({}, "boundary is required"),
    ({"boundary": "I AM OBVIOUSLY WRONG"}, "cannot read geometry"),
    ({"boundary": {"type": "Polygon", "coordinates": [[[112.45, 35.0], [112.5, 35.1], [112.45, 35.1],
                                                        [112.5, 35.0], [112.45, 35.0]]]}}, "Self-intersection"),
    ({"boundary": {"type": "Point", "coordinates": [112.47, 35.05]}}, "expected MultiPolygon, got Point"),
    ({"boundary": gj(box(35.0, 112.45, 35.1, 112.52))}, "look like lat, lon"),
    ({"boundary": gj(box(112.45, 35.0, 112.52, 35.1)), "srid": 2000}, "srid 2000 is not supported"),
    ({"boundary": gj(box(112.45, 35.0, 112.52, 35.1)), "srid": "4326"}, "srid must be an integer"),
    ({"boundary": gj(box(112.45, 35.0, 112.52, 35.1)), "gained_from": "all"}, 'gained_from must be "neighbours"'),
    ({"boundary": gj(box(112.45, 35.0, 112.52, 35.1)), "lost_to": 42}, "lost_to must be a grid code"),
    ({"boundary": gj(box(112.45, 35.0, 112.48, 35.1)), "lost_to": G4}, f"lost_to {G4} is not a neighbour"),
    ({"boundary": gj(box(112.45, 35.0, 112.48, 35.1)), "lost_to": G1}, f"does not border {G1}"),
    ({"boundary": gj(box(112.45, 35.0, 112.48, 35.1)), "lost_to": f"{V}009"}, "is not a grid of village"),
    ({"boundary": gj(box(112.45, 35.0, 112.48, 35.1)), "valid_from": "2199-01-01"}, "is in the future"),
    ({"boundary": gj(box(112.45, 35.0, 112.48, 35.1)), "valid_from": "2019-01-01"}, "cannot start on 2019-01-01"),
    ({"boundary": gj(box(112.45, 35.0, 112.48, 35.1)), "snap_m": 500}, "snap_m must be"),
    ({"boundary": gj(box(112.45, 35.0, 112.52, 35.11))}, "lie outside village 419001103200"),
    ({"boundary": gj(box(112.45, 35.0, 112.50, 35.1))}, "same as the current boundary"),
    ({"boundary": gj(box(112.45, 35.0, 112.55, 35.1)), "gained_from": "neighbours"}, f"take all of grid {G3}"),
    ({"boundary": gj(box(112.45, 35.0, 112.52, 35.1)), "gained_from": "neighbours", "reason": ""},
     "reason is required"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_bad_requests_are_400_naming_the_problem_and_change_nothing(planner, body, message):
    before = frozen()
    if isinstance(body, dict):
        body = {"reason": "x", **body}
    response = planner.post(f"/api/areas/{G2}/redraw/commit", body)
    assert response.status_code == 400, response.content
    assert message in response.json()["error"]["message"]
    assert frozen() == before


def test_only_basic_grids_are_redrawn(planner):
    response = redraw(planner, V, box(112.4, SOUTH, 112.6, NORTH))
    assert response.status_code == 400
    assert "work on basic grids" in response.json()["error"]["message"]


def test_access_planner_may_leader_may_not_scope_hides(client, row):
    boundary = box(112.45, SOUTH, 112.52, NORTH)
    leader = api_as(client, "leader", "leader", "419001")
    assert redraw(leader, G2, boundary).status_code == 403
    assert redraw(leader, G2, boundary, commit=True, gained_from="neighbours").status_code == 403
    elsewhere = api_as(client, "p104", "planner", "419001104")
    assert redraw(elsewhere, G2, boundary).status_code == 404
    grid_only = api_as(client, "p002", "planner", G2)
    response = redraw(grid_only, G2, boundary, commit=True, gained_from="neighbours")
    assert response.status_code == 403
    assert "whole village" in response.json()["error"]["message"]
    assert client.post(f"/api/areas/{G2}/redraw/preview", "{}", content_type="application/json").status_code == 401
    assert client.get(f"/api/areas/{G2}/redraw/preview").status_code == 405


def test_a_retired_grid_cannot_be_redrawn(planner):
    Area.objects.filter(code=G4).update(valid_to="2025-01-01")
    response = redraw(planner, G4, box(112.55, SOUTH, 112.6, 35.05))
    assert response.status_code == 409
    assert "retired on 2025-01-01" in response.json()["error"]["message"]


ODD_VALUES = [None, 1.5, True, "x", [1], {"type": "Polygon", "coordinates": "abc"}]
FIELDS_BY_PATH = {
    f"/api/areas/{G2}/redraw/preview": ["boundary", "srid", "gained_from", "lost_to", "reason", "valid_from",
                                        "snap_m", "sliver_m2"],
    f"/api/areas/{G2}/split": ["line", "names", "preview", "valid_from"],
    "/api/areas/merge": ["codes", "name", "reason"],
}


@pytest.mark.parametrize(("path", "field"), [(p, f) for p, fields in FIELDS_BY_PATH.items() for f in fields])
def test_odd_values_are_never_a_500(planner, path, field):
    base = {"boundary": gj(box(112.45, SOUTH, 112.52, NORTH)), "gained_from": "neighbours", "reason": "r",
            "line": gj(GEOSGeometry("LINESTRING(112.47 34.9, 112.47 35.2)", srid=4326)), "codes": [G2, G3],
            "preview": True}
    for value in ODD_VALUES:
        response = planner.post(path, {**base, field: value})
        assert response.status_code < 500, (field, value, response.content)
        assert response["Content-Type"] == "application/json"


def test_overlap_next_to_a_shared_edge_is_measured(planner):
    # An L: into 003 in the south half, along the old edge in the north half. Its intersection with 003
    # is a polygon and a line, which GEOS refuses as input to a further overlay unless cut down first.
    ell = GEOSGeometry("SRID=4326;MULTIPOLYGON(((112.45 35.0, 112.52 35.0, 112.52 35.05, 112.50 35.05, "
                       "112.50 35.1, 112.45 35.1, 112.45 35.0)))")
    response = redraw(planner, G2, ell)
    assert response.status_code == 200, response.content
    [overlap] = response.json()["problems"]
    assert overlap["codes"] == [G2, G3]
    assert overlap["area_m2"] == pytest.approx(response.json()["gained"]["area_m2"], rel=1e-6)
    assert redraw(planner, G2, ell, commit=True, gained_from="neighbours").status_code == 200
