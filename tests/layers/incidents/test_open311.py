"""Open311 GeoReport v2: services, requests (list, create, one), the spec's field names and error shape,
api_key as a token, and scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from layers.models import Incident
from tests.support.incidents import EAST_BUILDING, EAST_POINT, WEST_POINT, make_world

REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}


@pytest.fixture
def world(tree):
    return make_world(tree)


def test_services_list_categories_and_dispute_kinds(world):
    response = world.client.get("/open311/v2/services.json", {"api_key": world.keys["analyst"]})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    services = {s["service_code"]: s for s in response.json()}
    assert {"dispute", "petition", "safety_hazard", "dispute.neighbour", "dispute.labour"} <= services.keys()
    assert services["dispute.neighbour"] == {"service_code": "dispute.neighbour", "service_name": "邻里纠纷",
                                             "description": "dispute 矛盾纠纷: 邻里纠纷", "metadata": True,
                                             "type": "realtime", "keywords": "dispute", "group": "dispute"}


# metadata: every service takes the attributes person and enterprise (the people app's links: docs/people.md).


def test_post_a_request_with_api_key_in_the_form(world):
    response = world.client.post("/open311/v2/requests.json", {
        "api_key": world.keys["op"], "service_code": "dispute.property_management", "lat": str(EAST_POINT[1]),
        "long": str(EAST_POINT[0]), "description": "物业费纠纷", "first_name": "三", "last_name": "张",
        "phone": "13800000000"})
    assert response.status_code == 201, response.content
    [created] = response.json()
    assert created == {"service_request_id": created["service_request_id"], "service_notice": "", "account_id": None}
    incident = Incident.objects.get(pk=int(created["service_request_id"]))
    assert (incident.category, incident.subcategory, incident.source) == ("dispute", "property_management",
                                                                         "hotline_12345")
    assert (incident.grid_id, incident.reporter_name, incident.reporter_phone) == (
        world.tree["east"].code, "张三", "13800000000")
    assert incident.due_at is not None and incident.assignee.employee_no == "C-EAST"


def test_post_by_address_id_and_retry_with_client_id(world):
    form = {"service_code": "safety_hazard", "address_id": EAST_BUILDING, "client_id": "hotline-20250301-0007",
            "severity": "larger"}
    first = world.client.post("/open311/v2/requests.json", form, **world.headers("op"))
    again = world.client.post("/open311/v2/requests.json", form, **world.headers("op"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    incident = Incident.objects.get()
    assert (incident.building.address_code, incident.severity) == (EAST_BUILDING, "larger")


@pytest.mark.parametrize(("form", "status", "message"), [
    ({"service_code": "fireworks", "lat": "35.05", "long": "112.45"}, 400, "'fireworks' is not a service"),
    ({"service_code": "dispute.aliens", "lat": "35.05", "long": "112.45"}, 400, "not a kind of dispute"),
    ({"lat": "35.05", "long": "112.45"}, 400, "service_code is required"),
    ({"service_code": "dispute", "address_string": "承留镇政府"}, 400, "no geocoder"),
    ({"service_code": "dispute", "lat": "35.05"}, 400, "long is required with lat"),
    ({"service_code": "dispute", "lat": "north", "long": "112.45"}, 400, "lat: expected a number"),
    ({"service_code": "dispute", "lat": "112.45", "long": "35.05"}, 400, "look like lat, lon"),
    ({"service_code": "dispute", "lat": "35.05", "long": "113.5"}, 400, "not inside any grid"),
])
def test_bad_posts_get_the_spec_error_shape(world, form, status, message):
    response = world.client.post("/open311/v2/requests.json", {"api_key": world.keys["op"], **form})
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and message in error["description"], error
    assert Incident.objects.count() == 0


def make(world, point, status="in_progress", days_ago=1.0, category="dispute", subcategory="") -> Incident:
    reported = timezone.now() - dt.timedelta(days=days_ago)
    return Incident.objects.create(location=Point(*point, srid=4326), category=category, subcategory=subcategory,
                                   source="walk_in", status=status, reported_at=reported,
                                   due_at=reported + dt.timedelta(days=1),
                                   closed_at=reported + dt.timedelta(hours=3) if status == "closed" else None)


def test_get_requests_with_filters_and_scope(world):
    west_open = make(world, WEST_POINT)
    west_closed = make(world, WEST_POINT, status="closed", category="petition")
    east = make(world, EAST_POINT, subcategory="neighbour")
    old = make(world, WEST_POINT, days_ago=120)

    def ids(who, **params):
        response = world.client.get("/open311/v2/requests.json", {"api_key": world.keys[who], **params})
        assert response.status_code == 200, response.content
        return {int(r["service_request_id"]) for r in response.json()}

    assert ids("op") == {west_open.pk, west_closed.pk, east.pk}  # the last 90 days by default
    assert ids("op", start_date="2000-01-01") == {west_open.pk, west_closed.pk, east.pk, old.pk}
    assert ids("op", status="closed") == {west_closed.pk}
    assert ids("op", status="open") == {west_open.pk, east.pk}
    assert ids("op", service_code="dispute.neighbour") == {east.pk}
    assert ids("op", service_code="petition") == {west_closed.pk}
    assert ids("op", service_request_id=f"{east.pk},{old.pk}") == {east.pk, old.pk}
    assert ids("gw_west") == {west_open.pk, west_closed.pk}


def test_one_request_by_id_with_spec_fields(world):
    incident = make(world, EAST_POINT, status="closed")
    Incident.objects.filter(pk=incident.pk).update(department="司法所")
    response = world.client.get(f"/open311/v2/requests/{incident.pk}.json", {"api_key": world.keys["leader"]})
    [body] = response.json()
    assert set(body) == REQUEST_FIELDS
    assert (body["status"], body["agency_responsible"], body["lat"], body["long"]) == (
        "closed", "司法所", EAST_POINT[1], EAST_POINT[0])
    assert body["expected_datetime"] == timezone.localtime(incident.due_at).isoformat()
    assert world.client.get(f"/open311/v2/requests/{incident.pk}.json",
                            {"api_key": world.keys["gw_west"]}).status_code == 404


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/open311/v2/services.json", {}, 401),
    ("/open311/v2/services.json", {"api_key": "wrong"}, 401),
    ("/open311/v2/services.xml", {"api_key": "{analyst}"}, 400),
    ("/open311/v2/requests.json", {"api_key": "{analyst}", "status": "pending"}, 400),
    ("/open311/v2/requests.json", {"api_key": "{analyst}", "service_request_id": "1,x"}, 400),
    ("/open311/v2/requests/12345.json", {"api_key": "{analyst}"}, 404),
])
def test_open311_errors(world, path, params, status):
    params = {k: v.format(**world.keys) for k, v in params.items()}
    response = world.client.get(path, params)
    assert response.status_code == status
    assert response.json()[0]["code"] == status


def test_analysts_may_read_but_not_post(world):
    response = world.client.post("/open311/v2/requests.json", {"api_key": world.keys["analyst"],
                                                               "service_code": "dispute", "lat": "35.05",
                                                               "long": "112.45"})
    assert response.status_code == 403 and response.json()[0]["code"] == 403
