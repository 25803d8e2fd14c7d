"""Intake: placement, time limits, idempotent retries (one after the other and at the same moment),
duplicate links, and bad input refused with a message naming the field, with nothing saved."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from geo.access import access_for_user
from geo.sql import load
from layers.incidents.intake import Report, _replay
from layers.incidents.timelimits import add_days
from layers.models import Incident, IncidentEvent, TimeLimit
from tests.support.concurrent import at_once
from tests.support.incidents import (
    EAST_BUILDING,
    EAST_POINT,
    SCHOOL,
    SCHOOL_POINT,
    WEST_BUILDING,
    WEST_POINT,
    make_world,
)


@pytest.fixture(params=["django", "wsgi"])
def world(request, tree):
    """Every intake test runs twice: through the Django view, and through the production WSGI
    application, whose fast path (layers.incidents.fastpath) answers token JSON posts without Django's stack."""
    return make_world(tree, transport=request.param)


def props(response) -> dict:
    assert response.status_code in (200, 201), response.content
    return response.json()["properties"]


# ---- placement -------------------------------------------------------------------------------------

def test_intake_places_the_incident_in_its_grid_with_worker_and_due_time(world):
    before = timezone.now()
    p = props(world.report(point=WEST_POINT, client_id="phone-1"))
    assert (p["grid"], p["dedicated_grid"], p["status"]) == (world.tree["west"].code, None, "reported")
    assert p["assignee"] == {"employee_no": "W-WEST", "name": "w-west"}
    incident = Incident.objects.get(pk=p["id"])
    assert before <= incident.reported_at <= timezone.now()
    assert incident.due_at == incident.reported_at + dt.timedelta(days=1)  # dispute, general: 1 day
    assert IncidentEvent.objects.filter(incident=incident, action="report", to_status="reported").count() == 1


def test_dedicated_grid_worker_comes_first(world):
    p = props(world.report(point=SCHOOL_POINT))
    assert (p["grid"], p["dedicated_grid"]) == (world.tree["west"].code, SCHOOL)
    assert p["assignee"]["employee_no"] == "D-SCHOOL"


def test_chief_is_the_fallback_when_no_one_else_is_assigned(world):
    assert props(world.report(point=(112.58, 35.08)))["assignee"]["employee_no"] == "C-EAST"


def test_ended_assignments_do_not_count(world):
    world.workers["W-WEST"].assignments.update(valid_to=timezone.localdate())
    assert props(world.report(point=WEST_POINT))["assignee"] is None


def test_point_in_a_building_footprint_is_placed_in_that_building(world):
    assert props(world.report(point=(112.5505, 35.0505)))["building"] == EAST_BUILDING
    # No footprint: the nearest building point within 30 m (112.46, 35.06 is the west building's point).
    assert props(world.report(point=(112.4602, 35.0601)))["building"] == WEST_BUILDING
    assert props(world.report(point=(112.47, 35.07)))["building"] is None


def test_intake_by_unified_address_code_uses_the_building_point(world):
    p = props(world.report(address_code=EAST_BUILDING))
    assert p["building"] == EAST_BUILDING
    assert p["grid"] == world.tree["east"].code
    incident = Incident.objects.get(pk=p["id"])
    assert (incident.location.x, incident.location.y) == EAST_POINT


def test_geojson_feature_is_accepted(world):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(EAST_POINT)},
               "properties": {"category": "safety_hazard", "severity": "larger", "source": "public_report",
                              "description": "井盖缺失"}}
    response = world.post("op", "/api/incidents", feature)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/geo+json"
    p = props(response)
    assert (p["grid"], p["severity"], p["description"]) == (world.tree["east"].code, "larger", "井盖缺失")
    incident = Incident.objects.get(pk=p["id"])
    assert incident.due_at - incident.reported_at == dt.timedelta(days=7)


def test_petition_time_limits(world):
    p = props(world.report(category="petition"))
    incident = Incident.objects.get(pk=p["id"])
    assert incident.accept_due_at - incident.reported_at == dt.timedelta(days=15)
    # 60 days count from acceptance: until accepted, the due time assumes acceptance at its limit.
    assert incident.due_at - incident.accept_due_at == dt.timedelta(days=60)


def test_an_edited_time_limit_applies_to_the_next_report(world):
    TimeLimit.objects.filter(category="dispute", severity="general").update(handle_days=3, unit="working")
    incident = Incident.objects.get(pk=props(world.report())["id"])
    assert incident.due_at == add_days(incident.reported_at, 3, "working")


def test_grid_worker_report_defaults_to_grid_discovery_and_records_the_worker(world):
    response = world.post("gw_west", "/api/incidents", {"category": "livelihood", "lon": WEST_POINT[0],
                                                        "lat": WEST_POINT[1]})
    incident = Incident.objects.get(pk=props(response)["id"])
    assert (incident.source, incident.reporter_worker.employee_no, incident.reported_by) == (
        "grid_discovery", "W-WEST", "gw_west")


def test_grid_worker_cannot_report_outside_their_grid(world):
    response = world.post("gw_west", "/api/incidents", {"category": "livelihood", "lon": EAST_POINT[0],
                                                        "lat": EAST_POINT[1]})
    assert response.status_code == 403
    assert "outside your area" in response.json()["error"]["message"]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("analyst", 403), ("leader", 403), ("planner", 403)])
def test_who_may_report(world, who, status):
    assert world.report(who=who).status_code == status
    assert Incident.objects.count() == 0


def test_personal_fields_only_for_callers_with_the_right(world):
    p = props(world.report(reporter_name="张三", reporter_phone="13800000000", parties="张三; 李四"))
    assert p["reporter_name"] == "张三"
    seen_by_leader = world.get("leader", f"/api/incidents/{p['id']}").json()["properties"]
    assert not {"reporter_name", "reporter_phone", "parties"} & seen_by_leader.keys()
    assert Incident.objects.get(pk=p["id"]).reporter_phone == "13800000000"


def test_a_read_of_personal_fields_is_audited_and_a_read_without_them_is_not(world):
    from geo.models import AuditRecord

    pk = props(world.report(reporter_name="张三", reporter_phone="13800000000"))["id"]
    reads = AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ)
    world.get("leader", f"/api/incidents/{pk}")
    world.get("leader", "/api/incidents")
    assert reads.count() == 0  # the leader has no personal-data right: no fields, nothing to record
    assert world.get("op", f"/api/incidents/{pk}").json()["properties"]["reporter_phone"] == "13800000000"
    world.get("op", "/api/incidents")
    assert [(r.username, r.detail["incidents"]) for r in reads.order_by("id")] == [("op", [pk]), ("op", [pk])]


# ---- idempotent retries ----------------------------------------------------------------------------

def test_the_same_client_id_twice_creates_one_incident_and_the_same_answer(world):
    first = world.report(client_id="phone-7:42", description="路灯坏了")
    second = world.report(client_id="phone-7:42", description="路灯坏了")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Incident.objects.count() == 1
    assert IncidentEvent.objects.count() == 1


def test_a_different_report_under_a_used_client_id_is_a_conflict(world):
    world.report(client_id="phone-7:43", description="路灯坏了")
    response = world.report(client_id="phone-7:43", description="something else")
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "client_id"
    assert Incident.objects.count() == 1


def test_a_client_id_used_in_another_area_is_a_conflict_not_a_leak(world):
    world.report(client_id="shared-1", point=EAST_POINT)
    response = world.post("gw_west", "/api/incidents", {"category": "dispute", "source": "walk_in",
                                                        "lon": EAST_POINT[0], "lat": EAST_POINT[1],
                                                        "client_id": "shared-1"})
    assert response.status_code == 409
    assert "grid" not in response.json()["error"]["message"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_create_one_incident(tree):
    """Eight threads, each with its own connection, post the same report at the same moment."""
    world = make_world(tree)
    body = json.dumps({"category": "dispute", "source": "walk_in", "lon": WEST_POINT[0], "lat": WEST_POINT[1],
                       "client_id": "burst-1"})

    def post() -> tuple[int, bytes]:
        response = Client().post("/api/incidents", body, content_type="application/json", **world.headers("op"))
        return response.status_code, response.content

    results = at_once(8, post)
    assert [status for status, _ in results] == [201] * 8
    assert len({json.loads(content)["id"] for _, content in results}) == 1
    assert len({content for _, content in results}) == 1
    assert Incident.objects.filter(client_id="burst-1").count() == 1
    assert IncidentEvent.objects.filter(action="report").count() == 1


# ---- duplicates ------------------------------------------------------------------------------------

def test_likely_duplicates_are_linked_to_the_earliest_not_dropped(world):
    original = props(world.report(point=WEST_POINT))
    near = props(world.report(point=(WEST_POINT[0] + 0.0003, WEST_POINT[1])))  # ~27 m east
    nearer = props(world.report(point=(WEST_POINT[0], WEST_POINT[1] + 0.0002)))  # ~22 m north
    assert near["duplicate_of"] == original["id"]
    assert nearer["duplicate_of"] == original["id"]  # the original, not the first duplicate
    assert Incident.objects.count() == 3
    note = IncidentEvent.objects.get(incident_id=near["id"], action="report").note
    assert note == f"likely duplicate of #{original['id']}"


def test_reports_at_the_same_address_are_linked(world):
    first = props(world.report(address_code=EAST_BUILDING))
    near = props(world.report(point=(EAST_POINT[0] + 0.0005, EAST_POINT[1])))  # ~45 m east of the building
    again = props(world.report(address_code=EAST_BUILDING))
    assert near["duplicate_of"] == again["duplicate_of"] == first["id"]


@pytest.mark.parametrize(("offset", "category", "days_ago", "linked"), [
    ((0.0005, 0), "dispute", 0, True),  # ~45.6 m east at 35°N
    ((0.0006, 0), "dispute", 0, False),  # ~54.7 m
    ((0, 0), "livelihood", 0, False),  # another class
    ((0, 0), "dispute", 6.9, True),
    ((0, 0), "dispute", 7.1, False),
])
def test_duplicate_window_is_50_m_7_days_same_class(world, offset, category, days_ago, linked):
    earlier = props(world.report(point=WEST_POINT))
    Incident.objects.filter(pk=earlier["id"]).update(reported_at=timezone.now() - dt.timedelta(days=days_ago))
    later = props(world.report(point=(WEST_POINT[0] + offset[0], WEST_POINT[1] + offset[1]), category=category))
    assert later["duplicate_of"] == (earlier["id"] if linked else None)


@override_settings(GRIDMAP_DUPLICATE_RADIUS_M=100, GRIDMAP_DUPLICATE_DAYS=1)
def test_duplicate_window_follows_the_settings(world):
    earlier = props(world.report(point=WEST_POINT))
    assert props(world.report(point=(WEST_POINT[0] + 0.001, WEST_POINT[1])))["duplicate_of"] == earlier["id"]
    Incident.objects.update(reported_at=timezone.now() - dt.timedelta(days=2))
    assert props(world.report(point=WEST_POINT))["duplicate_of"] is None


# ---- bad input -------------------------------------------------------------------------------------

BAD_REPORTS = [
    ({"source": "walk_in", "lon": 112.45, "lat": 35.05}, "category", "category is required"),
    ({"category": "fire", "source": "walk_in", "lon": 112.45, "lat": 35.05}, "category",
     "category: 'fire' is not one of dispute, petition"),
    ({"category": "dispute", "severity": "huge", "source": "walk_in", "lon": 112.45, "lat": 35.05}, "severity",
     "severity: 'huge' is not one of general, larger, major"),
    ({"category": "dispute", "source": "rumour", "lon": 112.45, "lat": 35.05}, "source",
     "source: 'rumour' is not one of"),
    ({"category": "dispute", "lon": 112.45, "lat": 35.05}, "source", "source is required"),
    ({"category": "dispute", "subcategory": "aliens", "source": "walk_in", "lon": 112.45, "lat": 35.05},
     "subcategory", "'aliens' is not a kind of dispute"),
    ({"category": "dispute", "source": "walk_in", "lon": 35.05, "lat": 112.45}, "location",
     "look like lat, lon"),
    ({"category": "dispute", "source": "walk_in", "lon": 200, "lat": 35.05}, "location",
     "longitude 200.000000..200.000000 is out of range"),
    ({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 95}, "location", "out of range -90..90"),
    ({"category": "dispute", "source": "walk_in", "lon": "east", "lat": 35.05}, "location",
     "lon and lat must be numbers"),
    ({"category": "dispute", "source": "walk_in", "lon": True, "lat": 35.05}, "location",
     "lon and lat must be numbers"),
    ({"category": "dispute", "source": "walk_in", "lon": 112.45}, "location", "give both lon and lat"),
    ({"category": "dispute", "source": "walk_in"}, "location", "exactly one of"),
    ({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05, "address_code": EAST_BUILDING},
     "location", "exactly one of"),
    ({"category": "dispute", "source": "walk_in", "lon": 113.5, "lat": 35.05}, "location",
     "is not inside any grid"),
    ({"category": "dispute", "source": "walk_in", "address_code": "41900110320099999"}, "address_code",
     "no building with address code 41900110320099999"),
    ({"category": "dispute", "source": "walk_in", "address_code": "4190011"}, "address_code", "has 17 digits"),
    ({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05, "client_id": "has space"},
     "client_id", "client_id: 1-64 letters"),
    ({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05, "description": 42},
     "description", "expected text, got int"),
    ({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05, "description": "x" * 4001},
     "description", "at most 4000 characters"),
    ({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05, "reporter_phone": "call me"},
     "reporter_phone", "not a phone number"),
    ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[112.4, 35], [112.5, 35]]},
      "properties": {"category": "dispute", "source": "walk_in"}}, "geometry", "expected Point, got LineString"),
    ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [112.45, 35.05]}, "properties": [1]},
     "properties", "expected an object"),
    ([1, 2], "body", "expected a JSON object"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_REPORTS)
def test_bad_reports_are_refused_naming_the_field_and_nothing_is_saved(world, body, field, message):
    response = world.post("op", "/api/incidents", body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["field"], message in error["message"]) == (field, True), error
    assert Incident.objects.count() == 0 and IncidentEvent.objects.count() == 0


@pytest.mark.parametrize(("raw", "status", "message"), [
    ('{"category": "dispute", "lon": 112.4', 400, "body: not valid JSON"),
    ("\xff\xfe", 400, "body: not valid JSON"),
    ('{"category": "dispute", "description": "' + "x" * 70_000 + '"}', 413, "more than the 65536 bytes"),
])
def test_malformed_and_oversized_bodies(world, raw, status, message):
    response = world.post("op", "/api/incidents", raw.encode("utf-8", errors="surrogateescape")
                          if raw.startswith("\xff") else raw)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]
    assert Incident.objects.count() == 0


def test_form_posts_work_too(world):
    response = world.client.post("/api/incidents", {"category": "dispute", "source": "walk_in",
                                                    "lon": "112.45", "lat": "35.05"}, **world.headers("op"))
    assert response.status_code == 201
    assert props(response)["grid"] == world.tree["west"].code


def test_token_callers_need_no_csrf_token_but_sessions_do(world, django_user_model):
    csrf_client = Client(enforce_csrf_checks=True)
    body = json.dumps({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05})
    assert csrf_client.post("/api/incidents", body, content_type="application/json",
                            **world.headers("op")).status_code == 201
    user = django_user_model.objects.get(username="op")
    csrf_client.force_login(user)
    assert csrf_client.post("/api/incidents", body, content_type="application/json").status_code == 403


# ---- time arithmetic -------------------------------------------------------------------------------

def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.mark.parametrize(("start", "days", "unit", "due"), [
    (local(2025, 3, 7, 15, 0), 1, "calendar", local(2025, 3, 8, 15, 0)),  # Friday
    (local(2025, 3, 7, 15, 0), 1, "working", local(2025, 3, 10, 15, 0)),  # → Monday
    (local(2025, 3, 3, 9, 30), 5, "working", local(2025, 3, 10, 9, 30)),  # Monday → next Monday
    (local(2025, 3, 8, 12, 0), 1, "working", local(2025, 3, 11, 0, 0)),  # Saturday: clock starts Monday 00:00
    (local(2025, 3, 31, 23, 0), 1, "calendar", local(2025, 4, 1, 23, 0)),  # local days, not UTC days
])
def test_calendar_and_working_days(db, start, days, unit, due):
    assert add_days(start, days, unit) == due


def test_the_insert_yields_to_a_row_that_took_the_client_id_first(world):
    """What a retry that loses the race sees: the insert does nothing, and intake answers with the winner."""
    first = props(world.report(client_id="race-1"))
    report = Report(client_id="race-1", category="dispute", subcategory="", severity="general", source="walk_in",
                    risk_level="", description="", reporter_name="", reporter_phone="", parties="",
                    lonlat=WEST_POINT, address_code=None)
    params = {name: "" for name in ("subcategory", "risk_level", "description", "reporter_name", "reporter_phone",
                                    "parties", "reported_by", "intake_digest", "note")}
    params.update(client_id="race-1", lon=WEST_POINT[0], lat=WEST_POINT[1], category="dispute", severity="general",
                  source="walk_in", reported_at=timezone.now(), accept_due_at=None, due_at=None, limit_note="",
                  building_id=None,
                  assignee_id=None, reporter_worker_id=None, duplicate_of_id=None,
                  # The same place, so the same county: the partition the winner is in (the key is per county).
                  county_code=Incident.objects.get(pk=first["id"]).county_code)
    assert params["county_code"] and Incident.objects.get(pk=first["id"]).grid_id.startswith(params["county_code"])
    with connection.cursor() as cursor:
        cursor.execute(load("layers.incidents", "intake_insert"), params)
        assert cursor.fetchone() is None
    assert Incident.objects.count() == 1 and IncidentEvent.objects.count() == 1
    replay = _replay(access_for_user(User.objects.get(username="op")), report)
    assert (replay.incident.pk, replay.created) == (first["id"], False)
