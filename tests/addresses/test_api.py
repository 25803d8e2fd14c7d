"""POST /api/addresses/buildings and /rooms: allocated codes, scope, roles, audit, 4xx on bad input."""

from __future__ import annotations

import pytest

from geo.models import AuditRecord
from grids.models import Area
from layers.models import Building, Room
from tests.support.grids import add_building, api_as, box

V = "419001103200"
B = "/api/addresses/buildings"
R = "/api/addresses/rooms"


@pytest.fixture
def planner(client, tree):
    return api_as(client, "planner", "planner", tree["county"].code)


def test_a_planner_creates_a_building_with_the_next_code_and_it_is_audited(planner):
    add_building(4, 112.45, 35.05)
    response = planner.post(B, {"village": V, "lon": 112.55, "lat": 35.05, "name": "3号楼", "use": "商住",
                                "floors": 6})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address_code"] == f"{V}00005"
    assert (body["grid"], body["use"], body["floors"]) == (f"{V}002", "mixed", 6)
    record = AuditRecord.objects.get(action=AuditRecord.Action.ADDRESS_CHANGE)
    assert (record.username, record.target, record.rows) == ("planner", f"{V}00005", 1)
    assert planner.post(B, {"village": V, "lon": 112.45, "lat": 35.05}).json()["address_code"] == f"{V}00006"


def test_an_operator_creates_rooms_numbered_on_their_floor(client, tree):
    add_building(1, 112.45, 35.05, rooms=2)
    Building.objects.filter(address_code=f"{V}00001").update(floors=3)
    operator = api_as(client, "op", "operator", tree["township"].code)
    first = operator.post(R, {"building": f"{V}00001", "unit": 1, "floor": 1}).json()
    assert first["address_code"] == f"{V}00001" + "01" + "001" + "003"
    assert first["number"] == "103"
    upper = operator.post(R, {"building": f"{V}00001", "floor": 3, "households": 2, "residents": 5})
    assert upper.status_code == 201
    assert upper.json()["address_code"].endswith("01003001")
    assert Room.objects.get(address_code=upper.json()["address_code"]).residents == 5
    assert AuditRecord.objects.filter(action=AuditRecord.Action.ADDRESS_CHANGE).count() == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"lon": 112.45, "lat": 35.05}, "village"),
    ({"village": "41900110320", "lon": 112.45, "lat": 35.05}, "village"),
    ({"village": V, "lon": "east", "lat": 35.05}, "location"),
    ({"village": V, "lat": 35.05}, "location"),
    ({"village": V, "lon": 35.05, "lat": 112.45}, "location"),  # swapped
    ({"village": V, "lon": 113.5, "lat": 35.05}, "location"),  # outside the village
    ({"village": V, "lon": 112.45, "lat": 35.05, "use": "castle"}, "use"),
    ({"village": V, "lon": 112.45, "lat": 35.05, "floors": 0}, "floors"),
    ({"village": V, "lon": 112.45, "lat": 35.05, "name": "x" * 101}, "name"),
])
def test_bad_building_input_is_a_400_naming_the_field_and_writes_nothing(planner, body, field):
    response = planner.post(B, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field
    assert not Building.objects.exists()
    assert not AuditRecord.objects.filter(action=AuditRecord.Action.ADDRESS_CHANGE).exists()


def test_swapped_coordinates_are_named(planner):
    message = planner.post(B, {"village": V, "lon": 35.05, "lat": 112.45}).json()["error"]["message"]
    assert "lat" in message and "lon" in message


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"floor": 1}, 400, "building"),
    ({"building": f"{V}00009", "floor": 1}, 404, None),
    ({"building": f"{V}00001"}, 400, "floor"),
    ({"building": f"{V}00001", "floor": 2}, 400, "floor"),  # the building has 1 floor
    ({"building": f"{V}00001", "floor": 1, "unit": 100}, 400, "unit"),
    ({"building": f"{V}00001", "floor": 1, "residents": -1}, 400, "residents"),
])
def test_bad_room_input_is_refused(planner, body, status, field):
    add_building(1, 112.45, 35.05)
    response = planner.post(R, body)
    assert response.status_code == status, response.content
    assert response.json()["error"].get("field") == field
    assert not Room.objects.exists()


def test_outside_the_scope_is_not_found(client, tree):
    other = Area.objects.create(code="419001104", name="别镇", level=2, parent=tree["county"],
                                boundary=box(112.6, 35.0, 112.7, 35.1))
    elsewhere = api_as(client, "far", "planner", other.code)
    assert elsewhere.post(B, {"village": V, "lon": 112.45, "lat": 35.05}).status_code == 404
    add_building(1, 112.45, 35.05)
    assert elsewhere.post(R, {"building": f"{V}00001", "floor": 1}).status_code == 404
    # A grid-scoped planner may add a building in their grid, not in the neighbouring one.
    west = api_as(client, "west", "planner", tree["west"].code)
    assert west.post(B, {"village": V, "lon": 112.45, "lat": 35.05}).status_code == 201
    response = west.post(B, {"village": V, "lon": 112.55, "lat": 35.05})
    assert response.status_code == 400 and response.json()["error"]["field"] == "location"


@pytest.mark.parametrize("role", ["leader", "analyst", "grid_worker"])
def test_roles_without_the_address_right_are_forbidden(client, tree, role):
    api = api_as(client, role, role, tree["county"].code)
    assert api.post(B, {"village": V, "lon": 112.45, "lat": 35.05}).status_code == 403
    assert not Building.objects.exists()


def test_anonymous_is_401_and_get_is_405(client, planner):
    assert client.post(B, "{}", content_type="application/json").status_code == 401
    assert planner.get(B).status_code == 405
    assert planner.post(B, "not json").status_code == 400
