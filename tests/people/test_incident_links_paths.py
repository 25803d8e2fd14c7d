"""The person or enterprise an incident concerns on every path: the incident list, each loop step's
answer, Open311 (`attribute[person]`, `attribute[enterprise]`) and the incident's admin page. The
enterprise shows to every viewer; the person only with the personal-data right, inside the scope, each
answer that shows one audited; a user without the right sees no person by any of them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from geo.access import create_user
from geo.models import AuditRecord, Profile
from layers.models import Incident
from people.models import IncidentLink

WEST = (112.45, 35.05)


def reads(**filters) -> int:
    return AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ, **filters).count()


@pytest.fixture
def linked(world):
    """An incident naming a person and an enterprise, reported by an operator with the right."""
    for name, scope, personal in (("op_personal", "419001", True), ("op_plain", "419001", False)):
        _, world.keys[name] = create_user(name, "operator", scope, personal_data=personal)
    person, ent = world.objs["people"][0], world.objs["enterprise"]
    answer = world.api("op_personal").post("/api/incidents", {
        "category": "dispute", "source": "walk_in", "lon": WEST[0], "lat": WEST[1], "person": person.pk,
        "enterprise": ent.credit_code})
    assert answer.status_code == 201, answer.content
    world.objs["incident"] = answer.json()["id"]
    return world


def person_href(world) -> str:
    return f"/api/people/{world.objs['people'][0].pk}"


def test_the_list_carries_the_links_the_person_only_with_the_right_audited_once(linked):
    person = linked.objs["people"][0]
    page = linked.api("officer").get("/api/incidents").json()
    mine = next(f for f in page["features"] if f["id"] == linked.objs["incident"])
    assert mine["properties"]["person"] == {"id": person.pk, "href": person_href(linked)}
    assert mine["properties"]["enterprise"]["name"] == "演示企业"
    assert reads(username="officer", target=f"person:{person.pk}") == 1
    row = AuditRecord.objects.get(action=AuditRecord.Action.PERSONAL_READ, target=f"person:{person.pk}",
                                  username="officer")
    assert row.detail["person"] == [person.pk]
    before = reads()
    plain = linked.api("leader").get("/api/incidents")
    mine = next(f for f in plain.json()["features"] if f["id"] == linked.objs["incident"])
    assert "person" not in mine["properties"] and mine["properties"]["enterprise"]["name"] == "演示企业"
    assert person_href(linked) not in plain.content.decode()
    assert reads() == before
    # Outside the caller's area (east grid) neither the person nor the incident shows.
    east = linked.api("eastie").get("/api/incidents").json()
    assert linked.objs["incident"] not in [f["id"] for f in east["features"]]


def test_a_loop_steps_answer_carries_the_links_the_same_way(linked):
    pk = linked.objs["incident"]
    target = f"person:{linked.objs['people'][0].pk}"
    shown_before = reads(username="op_personal", target=target)  # the intake answer showed the person once
    before = reads()
    plain = linked.api("op_plain").post(f"/api/incidents/{pk}/accept", {})
    assert plain.status_code == 200, plain.content
    assert "person" not in plain.json()["properties"] and plain.json()["properties"]["enterprise"]["id"]
    assert reads() == before
    step = linked.api("op_personal").post(f"/api/incidents/{pk}/dispatch", {"assignee": "W001"})
    assert step.status_code == 200, step.content
    assert step.json()["properties"]["person"]["id"] == linked.objs["people"][0].pk
    assert reads(username="op_personal", target=target) == shown_before + 1


def open311_form(**attributes) -> dict:
    return {"service_code": "dispute.neighbour", "lat": WEST[1], "long": WEST[0], "description": "邻里纠纷",
            **{f"attribute[{k}]": v for k, v in attributes.items()}}


def test_open311_takes_the_attributes_with_the_same_checks(linked):
    person, ent = linked.objs["people"][0], linked.objs["enterprise"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {linked.keys['op_personal']}"}
    answer = linked.client.post("/open311/v2/requests.json", open311_form(person=person.pk,
                                                                             enterprise=ent.credit_code), **headers)
    assert answer.status_code == 201, answer.content
    pk = int(answer.json()[0]["service_request_id"])
    link = IncidentLink.objects.get(incident_id=pk)
    assert (link.person_id, link.enterprise_id, link.linked_by) == (person.pk, ent.pk, "op_personal")
    assert str(person.pk) not in str(answer.json())  # the GeoReport answer names no one
    # A JSON body's `attribute` object works too.
    json_answer = linked.api("op_personal").post("/open311/v2/requests.json", {
        "service_code": "dispute", "lat": WEST[1], "long": WEST[0], "attribute": {"enterprise": ent.pk}})
    assert json_answer.status_code == 201, json_answer.content
    made = int(json_answer.json()[0]["service_request_id"])
    assert IncidentLink.objects.get(incident_id=made).enterprise_id == ent.pk
    before = (Incident.objects.count(), IncidentLink.objects.count())
    plain = {"HTTP_AUTHORIZATION": f"Bearer {linked.keys['op_plain']}"}
    refused = linked.client.post("/open311/v2/requests.json", open311_form(person=person.pk), **plain)
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    assert "person" in refused.json()[0]["description"]
    for bad, status in ((open311_form(person="abc"), 400), (open311_form(enterprise=ent.credit_code[:17] + "0"), 400),
                        (open311_form(person=999999), 404), (open311_form(pet="cat"), 400)):
        got = linked.client.post("/open311/v2/requests.json", bad, **headers)
        assert got.status_code == status, (bad, got.content)
    assert (Incident.objects.count(), IncidentLink.objects.count()) == before
    # The enterprise alone needs no right.
    ok = linked.client.post("/open311/v2/requests.json", open311_form(enterprise=ent.credit_code), **plain)
    assert ok.status_code == 201, ok.content


def test_open311_services_declare_the_attributes(linked):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {linked.keys['leader']}"}
    services = linked.client.get("/open311/v2/services.json", **headers).json()
    assert all(s["metadata"] is True for s in services)
    definition = linked.client.get("/open311/v2/services/dispute.neighbour.json", **headers).json()
    assert definition["service_code"] == "dispute.neighbour"
    assert [a["code"] for a in definition["attributes"]] == ["person", "enterprise"]
    assert linked.client.get("/open311/v2/services/nothing_such.json", **headers).status_code == 404


def staff(client, name: str, role: str, personal: bool) -> None:
    user = get_user_model().objects.create_user(name, password="pw-123456", is_staff=True, is_superuser=True)
    Profile.objects.create(user=user, role=role, scope="", personal_data=personal)
    client.force_login(user)


def test_the_incident_admin_shows_the_links_the_person_only_with_the_right(linked, client):
    pk, person = linked.objs["incident"], linked.objs["people"][0]
    staff(client, "plainadmin", "leader", False)
    page = client.get(f"/admin/layers/incident/{pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert linked.objs["enterprise"].credit_code in text and f"person #{person.pk}" not in text
    assert reads(username="plainadmin") == 0
    staff(client, "personaladmin", "administrator", True)
    page = client.get(f"/admin/layers/incident/{pk}/change/")
    assert page.status_code == 200 and f"person #{person.pk}" in page.content.decode()
    assert reads(username="personaladmin", target=f"person:{person.pk}") == 1


def test_without_the_right_no_person_by_any_path(linked, client):
    """The leader (no right) reads the incident by every path: the person is on none of them."""
    pk = linked.objs["incident"]
    api = linked.api("leader")
    answers = [api.get(f"/api/incidents/{pk}"), api.get("/api/incidents"), api.get(f"/api/incidents/{pk}/events"),
               api.post(f"/api/incidents/{pk}/accept", {}),
               linked.client.get(f"/open311/v2/requests/{pk}.json",
                                 HTTP_AUTHORIZATION=f"Bearer {linked.keys['leader']}")]
    for answer in answers:
        assert answer.status_code == 200, answer.content
        assert person_href(linked) not in answer.content.decode() and '"person"' not in answer.content.decode()
    assert reads(username="leader") == 0
