"""/api/areas: one area with parent, children, boundary and counts; lists filtered by level and parent."""

from __future__ import annotations

import pytest

from tests.support.grids import add_building, add_incident, add_place, add_worker, api_as

W, E = "419001103200001", "419001103200002"


@pytest.fixture
def api(client, tree):
    return api_as(client, "leader", "leader", tree["county"].code)


@pytest.fixture
def things(tree):
    add_building(1, 112.45, 35.05, rooms=3)
    add_building(2, 112.46, 35.05, rooms=1)
    add_building(3, 112.55, 35.05)
    add_incident(112.45, 35.06)
    add_incident(112.45, 35.07, status="closed")
    add_incident(112.55, 35.06, status="reported")
    add_place("CAM1", 112.45, 35.08)
    add_worker("W1", tree["west"])
    add_worker("W2", tree["east"])


def test_grid_detail_has_parent_boundary_and_counts(api, tree, things):
    body = api.get(f"/api/areas/{W}").json()
    assert (body["code"], body["name"], body["level_name"], body["kind"]) == (W, "西网格", "grid", "rural")
    assert body["parent"]["code"] == "419001103200"
    assert body["children"] == []
    assert body["boundary"]["type"] == "MultiPolygon"
    assert body["counts"] == {"buildings": 2, "rooms": 4, "open_incidents": 1, "places": 1, "workers": 1}


def test_village_detail_lists_children_and_sums_counts(api, tree, things):
    body = api.get("/api/areas/419001103200").json()
    assert [c["code"] for c in body["children"]] == [W, E]
    assert body["counts"] == {"buildings": 3, "rooms": 4, "open_incidents": 2, "places": 1, "workers": 2}


def test_dedicated_grid_counts_what_lies_inside_it(api, tree, things):
    from grids.models import Area
    from tests.support.grids import box

    Area.objects.create(code="4190011032009001", name="学校", level=5, kind="school", parent=tree["village"],
                        boundary=box(112.44, 35.04, 112.455, 35.065))
    add_incident(112.45, 35.05)  # placed after the dedicated grid exists: its dedicated column is set
    body = api.get("/api/areas/4190011032009001").json()
    assert body["counts"]["buildings"] == 1
    assert body["counts"]["open_incidents"] == 1


def test_list_filtered_by_level_and_parent(api, tree):
    assert api.get("/api/areas", level="grid").json()["count"] == 2
    assert [a["code"] for a in api.get("/api/areas", level="4", parent="419001103200").json()["results"]] == [W, E]
    assert [a["code"] for a in api.get("/api/areas", level="township").json()["results"]] == ["419001103"]
    assert api.get("/api/areas", parent="419001103").json()["count"] == 1
    assert api.get("/api/areas", limit="1", offset="1").json()["results"][0]["code"] == "419001103"


def test_list_leaves_retired_areas_out_unless_asked_for_a_date(api, tree):
    from grids.models import Area

    Area.objects.filter(code=E).update(valid_to="2025-01-01")
    assert [a["code"] for a in api.get("/api/areas", level="grid").json()["results"]] == [W]
    assert api.get("/api/areas", level="grid", at="2024-06-01").json()["count"] == 2
    assert api.get(f"/api/areas/{E}").json()["valid_to"] == "2025-01-01"


@pytest.mark.parametrize(("path", "params", "status", "message"), [
    ("/api/areas", {"level": "hamlet"}, 400, "unknown level 'hamlet'"),
    ("/api/areas", {"level": "9"}, 400, "unknown level '9'"),
    ("/api/areas", {"parent": "41900l"}, 400, "must be a string of digits"),
    ("/api/areas", {"limit": "many"}, 400, "limit must be an integer"),
    ("/api/areas", {"limit": "0"}, 400, "limit must be 1..5000"),
    ("/api/areas", {"at": "2025/01/01"}, 400, "at: '2025/01/01' is not a date; use YYYY-MM-DD"),
    ("/api/areas/4190O1", {}, 400, "must be a string of digits"),
    ("/api/areas/419009", {}, 404, "no area with code 419009"),
])
def test_bad_requests_name_the_problem(api, path, params, status, message):
    response = api.get(path, **params)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]


def test_out_of_scope_is_404_and_absent_from_lists(client, tree):
    other = api_as(client, "t104", "leader", "419001104")
    assert other.get(f"/api/areas/{W}").status_code == 404
    assert other.get("/api/areas/419001103").status_code == 404
    assert other.get("/api/areas").json()["count"] == 0
    mine = api_as(client, "v", "leader", "419001103200")
    assert [a["code"] for a in mine.get("/api/areas").json()["results"]] == ["419001103200", W, E]
    assert mine.get("/api/areas/419001103200").json()["parent"]["code"] == "419001103"
