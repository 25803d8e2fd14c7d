"""The closed loop: every action from every status (allowed → the step is taken, logged and audited;
refused → 409 naming what is allowed), who may take which step, scope, extensions, comments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geo.models import AuditRecord
from layers.incidents.loop import ROLE_ACTIONS, STEPS, allowed_from
from layers.models import Incident, IncidentEvent
from tests.support.incidents import EAST_POINT, WEST_POINT, make_world

STATUSES = [s for s, _ in Incident.Status.choices]
PAYLOADS = {"return": {"note": "不属本网格"}, "escalate": {"note": "涉及多部门"}, "extend": {"note": "需现场测量"},
            "rate": {"satisfaction": 5}, "close": {"satisfaction": 4}}
# Expected (status after, time field set) for every allowed step.
EXPECTED = {"accept": ("accepted", "accepted_at"), "dispatch": ("dispatched", "dispatched_at"),
            "start": ("in_progress", "started_at"), "resolve": ("resolved", "resolved_at"),
            "verify": ("verified", "verified_at"), "close": ("closed", "closed_at"),
            "return": ("returned", "returned_at"), "escalate": ("escalated", "escalated_at"),
            "extend": (None, "extended_at"), "rate": (None, None)}


@pytest.fixture
def world(tree):
    return make_world(tree)


def incident_in(world, status: str, point=WEST_POINT, **extra) -> Incident:
    now = timezone.now()
    return Incident.objects.create(
        location=Point(*point, srid=4326), category="dispute", source="walk_in", status=status,
        reported_at=now - dt.timedelta(hours=2), due_at=now + dt.timedelta(hours=22),
        closed_at=now - dt.timedelta(minutes=5) if status == "closed" else None,
        assignee=world.workers["W-WEST"], **extra)


ALL_PAIRS = [(status, action) for status in STATUSES for action in STEPS]


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_every_action_from_every_status(world, status, action):
    incident = incident_in(world, status)
    response = world.post("op", f"/api/incidents/{incident.pk}/{action}", PAYLOADS.get(action, {}))
    incident.refresh_from_db()
    if status in STEPS[action].sources:
        assert response.status_code == 200, response.content
        target, stamp = EXPECTED[action]
        assert incident.status == (target or status)
        assert response.json()["properties"]["status"] == incident.status
        if stamp:
            assert getattr(incident, stamp) is not None
        event = IncidentEvent.objects.get(incident=incident, action=action)
        assert (event.from_status, event.to_status, event.actor) == (status, target or status, "op")
        assert event.note == PAYLOADS.get(action, {}).get("note", "")
        record = AuditRecord.objects.get(action="incident_transition", target=str(incident.pk))
        assert (record.username, record.detail["action"], record.detail["from"]) == ("op", action, status)
    else:
        assert response.status_code == 409
        allowed = ", ".join(allowed_from(status)) or "nothing"
        assert response.json()["error"]["message"] == (
            f"cannot {action} an incident that is {status}; allowed from {status}: {allowed}")
        assert incident.status == status
        assert not IncidentEvent.objects.filter(incident=incident).exists()
        assert not AuditRecord.objects.filter(action="incident_transition").exists()


def test_the_409_message_reads_as_documented(world):
    incident = incident_in(world, "dispatched")
    response = world.post("op", f"/api/incidents/{incident.pk}/verify")
    assert response.json()["error"]["message"] == (
        "cannot verify an incident that is dispatched; allowed from dispatched: start, return, escalate, extend")


def test_the_whole_loop_by_the_people_who_do_it(world):
    """Reported by a grid worker, accepted and dispatched by the center, handled by the worker,
    verified and closed by the leader: every step logged with its actor, every step audited."""
    response = world.post("gw_west", "/api/incidents", {"category": "dispute", "subcategory": "neighbour",
                                                        "lon": WEST_POINT[0], "lat": WEST_POINT[1]})
    pk = response.json()["id"]
    steps = [("op", "accept", {}), ("op", "dispatch", {"assignee": "W-WEST"}), ("gw_west", "start", {}),
             ("gw_west", "resolve", {"note": "双方达成调解协议"}), ("leader", "verify", {}),
             ("leader", "close", {"satisfaction": 5})]
    for who, action, payload in steps:
        response = world.post(who, f"/api/incidents/{pk}/{action}", payload)
        assert response.status_code == 200, (action, response.content)
    incident = Incident.objects.get(pk=pk)
    assert (incident.status, incident.satisfaction) == ("closed", 5)
    assert None not in (incident.accepted_at, incident.dispatched_at, incident.started_at, incident.resolved_at,
                        incident.verified_at, incident.closed_at)
    events = world.get("analyst", f"/api/incidents/{pk}/events").json()["events"]
    assert [(e["action"], e["actor"]) for e in events] == [("report", "gw_west")] + [(a, w) for w, a, _ in steps]
    assert AuditRecord.objects.filter(action="incident_transition", target=str(pk)).count() == len(steps)


ROLE_CASES = [(who, role, action) for who, role in (("leader", "leader"), ("gw_west", "grid_worker"))
              for action in STEPS]


@pytest.mark.parametrize(("who", "role", "action"), ROLE_CASES)
def test_role_table(world, who, role, action):
    source = STEPS[action].sources[0]
    incident = incident_in(world, source)
    response = world.post(who, f"/api/incidents/{incident.pk}/{action}", PAYLOADS.get(action, {}))
    if action in ROLE_ACTIONS[role]:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403
        assert f"may not {action} incidents" in response.json()["error"]["message"]
        assert Incident.objects.get(pk=incident.pk).status == source


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("analyst", 403), ("planner", 403)])
def test_callers_without_the_transition_right(world, who, status):
    incident = incident_in(world, "reported")
    assert world.post(who, f"/api/incidents/{incident.pk}/accept").status_code == status
    assert Incident.objects.get(pk=incident.pk).status == "reported"


def test_grid_worker_outside_their_grid_gets_404(world):
    east = incident_in(world, "dispatched", point=EAST_POINT)
    response = world.post("gw_west", f"/api/incidents/{east.pk}/start")
    assert response.status_code == 404
    assert world.get("gw_west", f"/api/incidents/{east.pk}").status_code == 404
    assert world.post("gw_east", f"/api/incidents/{east.pk}/start").status_code == 200


def test_unknown_incident_and_unknown_action(world):
    assert world.post("op", "/api/incidents/999999/accept").status_code == 404
    incident = incident_in(world, "reported")
    response = world.post("op", f"/api/incidents/{incident.pk}/teleport")
    assert response.status_code == 404 and "no loop action 'teleport'" in response.json()["error"]["message"]


@pytest.mark.parametrize(("action", "status"), [("return", "dispatched"), ("escalate", "reported"),
                                                ("extend", "in_progress")])
def test_return_escalate_and_extend_need_a_note(world, action, status):
    incident = incident_in(world, status)
    response = world.post("op", f"/api/incidents/{incident.pk}/{action}", {"note": "  "})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid_input", "field": "note",
                                         "message": f"note: {action} needs a note saying why"}


def test_extend_moves_the_due_time_once(world):
    incident = incident_in(world, "in_progress", severity="larger")
    due = incident.due_at
    assert world.post("op", f"/api/incidents/{incident.pk}/extend", {"note": "等待鉴定"}).status_code == 200
    incident.refresh_from_db()
    assert incident.due_at == due + dt.timedelta(days=7)  # the larger-matter extension
    again = world.post("op", f"/api/incidents/{incident.pk}/extend", {"note": "再等等"})
    assert again.status_code == 409 and "extended once" in again.json()["error"]["message"]


def test_dispatch_to_a_department_or_a_worker(world):
    incident = incident_in(world, "accepted")
    response = world.post("op", f"/api/incidents/{incident.pk}/dispatch", {"department": "司法所"})
    p = response.json()["properties"]
    assert (p["status"], p["department"], p["assignee"]) == ("dispatched", "司法所", None)
    audit = AuditRecord.objects.get(target=str(incident.pk))
    assert (audit.detail["department"], audit.detail["assignee_id"]) == ("司法所", None)


@pytest.mark.parametrize(("payload", "message"), [
    ({"assignee": "NOBODY"}, "no active worker NOBODY in your area"),
    ({"assignee": "W-WEST", "department": "司法所"}, "not both"),
    ({}, "dispatch needs an assignee"),
])
def test_bad_dispatches(world, payload, message):
    incident = incident_in(world, "accepted")
    Incident.objects.filter(pk=incident.pk).update(assignee=None)
    response = world.post("op", f"/api/incidents/{incident.pk}/dispatch", payload)
    assert response.status_code == 400 and message in response.json()["error"]["message"]
    assert Incident.objects.get(pk=incident.pk).status == "accepted"


@pytest.mark.parametrize("satisfaction", [0, 6, "good", 4.5])
def test_close_refuses_a_bad_satisfaction(world, satisfaction):
    incident = incident_in(world, "verified")
    response = world.post("op", f"/api/incidents/{incident.pk}/close", {"satisfaction": satisfaction})
    assert response.status_code == 400 and response.json()["error"]["field"] == "satisfaction"
    assert Incident.objects.get(pk=incident.pk).status == "verified"


def test_comments_and_updates(world):
    incident = incident_in(world, "in_progress")
    response = world.post("gw_west", f"/api/incidents/{incident.pk}/events", {"note": "已联系双方"})
    assert response.status_code == 201
    assert (response.json()["action"], response.json()["from"], response.json()["to"]) == (
        "comment", "in_progress", "in_progress")
    assert world.post("leader", f"/api/incidents/{incident.pk}/events", {"note": "请尽快办结"}).status_code == 201
    assert world.post("analyst", f"/api/incidents/{incident.pk}/events", {"note": "hi"}).status_code == 403
    assert world.post("op", f"/api/incidents/{incident.pk}/events", {"note": ""}).status_code == 400
    assert world.post("gw_east", f"/api/incidents/{incident.pk}/events", {"note": "x"}).status_code == 404
    notes = [e["note"] for e in world.get("op", f"/api/incidents/{incident.pk}/events").json()["events"]]
    assert notes == ["已联系双方", "请尽快办结"]
    assert Incident.objects.get(pk=incident.pk).status == "in_progress"


def test_list_is_scoped_and_filtered(world):
    west = incident_in(world, "in_progress")
    east = incident_in(world, "reported", point=EAST_POINT)
    Incident.objects.filter(pk=east.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    ids = lambda who, **params: [f["id"] for f in world.get(who, "/api/incidents", params).json()["features"]]  # noqa: E731
    assert set(ids("op")) == {west.pk, east.pk}
    assert ids("gw_west") == [west.pk]
    assert ids("op", overdue="1") == [east.pk]
    assert ids("op", status="in_progress") == [west.pk]
    assert world.get("op", "/api/incidents", {"status": "lost"}).status_code == 400


def test_the_time_limit_table_is_editable_in_the_admin(admin_client, db):
    assert admin_client.get("/admin/layers/timelimit/").status_code == 200
    page = admin_client.get("/admin/layers/incident/add/").content.decode()
    assert 'name="status"' not in page  # loop fields are read-only there: steps go through the API
