"""POST /api/visits and GET /api/visits: a visit names one target in the caller's area; an incident may be
opened in the same call, both stored or neither.

The world (tests/support/incidents.py): building EAST_BUILDING in the east grid, WEST_BUILDING in the west;
gw_west's scope is the west grid.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.db import IntegrityError
from django.utils import timezone

from field.models import Visit
from geo import once
from geo.errors import Conflict
from geo.models import AuditRecord
from layers.models import Building, Incident, Place, Room
from tests.support.incidents import EAST_BUILDING, WEST_BUILDING, make_world

ROOM = WEST_BUILDING + "01002003"
ENTERPRISE = "91419001MA47ABCD1X"


@pytest.fixture
def world(tree):
    world = make_world(tree)
    Room.objects.create(building=Building.objects.get(address_code=WEST_BUILDING), unit=1, floor=2, number="3",
                        address_code=ROOM, households=1)
    Place.objects.create(kind="school", name="承留小学", code="SCH-1", location=Point(112.42, 35.02, srid=4326))
    return world


def visit(world, who="gw_west", **body):
    return world.post(who, "/api/visits", {"task": "household", **body})


def test_a_household_visit_is_placed_in_the_grid_of_its_room_and_audited(world):
    response = visit(world, room=ROOM, note="独居老人，身体好", photo="photos/2026/12/07/a.jpg")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target"]["kind"] == "room" and body["grid_code"] == "419001103200001"
    stored = Visit.objects.get()
    assert stored.worker.employee_no == "W-WEST" and stored.room.address_code == ROOM
    assert AuditRecord.objects.filter(action="visit", username="gw_west", target=f"room {ROOM}").count() == 1


@pytest.mark.parametrize(("target", "kind"), [({"building": WEST_BUILDING}, "building"),
                                              ({"place": "SCH-1"}, "place"),
                                              ({"enterprise": ENTERPRISE, "lon": 112.45, "lat": 35.05}, "enterprise")])
def test_buildings_key_places_and_enterprises_are_visited(world, target, kind):
    response = visit(world, task="inspection", **target)
    assert response.status_code == 201, response.content
    assert response.json()["target"]["kind"] == kind


def test_a_target_outside_the_area_does_not_exist(world):
    response = visit(world, building=EAST_BUILDING)
    assert response.status_code == 404 and response.json()["error"]["field"] == "building"
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({}, "target"),
    ({"room": ROOM, "building": WEST_BUILDING}, "target"),
    ({"room": ROOM, "task": "chat"}, "task"),
    ({"room": ROOM, "visited_at": "2020-12-01T09:00:00+08:00"}, "visited_at"),
    ({"room": ROOM, "note": "x" * 2001}, "note"),
    ({"room": ROOM, "colour": "red"}, "colour"),
    ({"enterprise": "123"}, "enterprise"),
    ({"enterprise": ENTERPRISE}, "location"),
    ({"room": ROOM, "incident": "fire"}, "incident"),
])
def test_bad_visits_are_refused_naming_the_field(world, body, field):
    response = visit(world, **body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field
    assert Visit.objects.count() == 0


def test_a_visit_opens_an_incident_at_the_target_in_one_call(world):
    response = visit(world, task="inspection", building=WEST_BUILDING,
                     incident={"category": "safety_hazard", "description": "楼道堆放杂物"})
    assert response.status_code == 201, response.content
    incident = Incident.objects.get()
    assert response.json()["incident"] == incident.pk and Visit.objects.get().incident_id == incident.pk
    assert incident.grid_id == "419001103200001" and incident.source == "grid_discovery"
    assert incident.location.coords == pytest.approx((112.46, 35.06))


def test_a_bad_incident_stores_neither(world):
    response = visit(world, building=WEST_BUILDING, incident={"category": "nonsense"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "category"
    assert (Visit.objects.count(), Incident.objects.count()) == (0, 0)
    placed = visit(world, building=WEST_BUILDING, incident={"category": "safety_hazard", "lon": 1, "lat": 2})
    assert placed.status_code == 400 and (Visit.objects.count(), Incident.objects.count()) == (0, 0)


def test_the_same_client_id_stores_one_visit(world):
    first = visit(world, room=ROOM, client_id="v-1")
    again = visit(world, room=ROOM, client_id="v-1")
    assert first.status_code == 201 and again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"] and Visit.objects.count() == 1


def test_a_retry_racing_the_first_is_answered_the_first_and_any_other_violation_is_a_409(world):
    """The race geo.once covers: the retry's early look found nothing, then the first committed the same
    client id before the retry's insert (simulated by an insert that repeats the stored row)."""
    first = Visit.objects.get(pk=visit(world, room=ROOM, client_id="v-race").json()["id"])
    copy = {f.attname: getattr(first, f.attname) for f in Visit._meta.concrete_fields if not f.primary_key}
    replayed, created = once.create_once(Visit, "v-race", lambda: Visit.objects.create(**copy), lambda v: v, "retry")
    assert (replayed.pk, created) == (first.pk, False) and Visit.objects.count() == 1

    def violation():
        raise IntegrityError("another constraint")
    with pytest.raises(Conflict, match="could not be stored"):
        once.create_once(Visit, "v-new", violation, lambda v: v, "the visit could not be stored; retry")
    assert Visit.objects.count() == 1


def test_visits_are_listed_in_scope_with_notes_only_for_the_personal_data_right(world):
    visit(world, room=ROOM, note="家中有困难")
    visit(world, "gw_east", building=EAST_BUILDING, task="publicity")
    west = world.get("gw_west", "/api/visits").json()["visits"]
    assert [v["grid_code"] for v in west] == ["419001103200001"] and "note" not in west[0]
    county = world.get("op", "/api/visits").json()["visits"]
    assert len(county) == 2 and {v.get("note") for v in county} == {"家中有困难", ""}
    assert AuditRecord.objects.filter(action="personal_read", username="op").count() == 1
    only = world.get("op", "/api/visits", {"task": "publicity"}).json()["visits"]
    assert [v["task"] for v in only] == ["publicity"]
    old = world.get("op", "/api/visits", {"until": str(timezone.localdate() - dt.timedelta(days=3))}).json()
    assert old["visits"] == []
    assert world.get("op", "/api/visits", {"task": "x"}).status_code == 400
