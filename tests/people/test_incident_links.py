"""Intake naming the person or enterprise concerned (people/links.py): a person only with the
personal-data right, both only inside the caller's area, nothing written on a refusal, the link audited,
and the incident's answer showing the person only to callers with the right."""

from __future__ import annotations

import pytest

from geo.access import create_user
from geo.models import AuditRecord
from layers.models import Incident
from people.models import IncidentLink

WEST = (112.45, 35.05)


@pytest.fixture
def ops(world):
    for name, scope, personal in (("op_personal", "419001", True), ("op_plain", "419001", False),
                                  ("op_west", "419001103200001", True)):
        _, world.keys[name] = create_user(name, "operator", scope, personal_data=personal)
    return world


def report(**links) -> dict:
    return {"category": "dispute", "source": "walk_in", "lon": WEST[0], "lat": WEST[1], **links}


def counts() -> tuple[int, int, int]:
    return (Incident.objects.count(), IncidentLink.objects.count(),
            AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE).count())


def test_a_caller_with_the_right_names_a_person_and_an_enterprise(ops):
    person, ent = ops.objs["people"][0], ops.objs["enterprise"]
    answer = ops.api("op_personal").post("/api/incidents", report(person=person.pk, enterprise=ent.credit_code))
    assert answer.status_code == 201, answer.content
    props = answer.json()["properties"]
    assert props["person"] == {"id": person.pk, "href": f"/api/people/{person.pk}"}
    assert props["enterprise"]["id"] == ent.pk and props["enterprise"]["href"] == f"/api/enterprises/{ent.pk}"
    assert "legal_representative" not in props["enterprise"]
    link = IncidentLink.objects.get(incident_id=props["id"])
    assert (link.person_id, link.enterprise_id, link.linked_by) == (person.pk, ent.pk, "op_personal")
    row = AuditRecord.objects.filter(action=AuditRecord.Action.PEOPLE_CHANGE).get()
    assert row.username == "op_personal" and row.target == f"incident:{props['id']}"
    assert row.detail["linked"] == {"person": person.pk, "enterprise": ent.pk}
    # The followed link answers the same caller.
    assert ops.api("op_personal").get(props["person"]["href"]).json()["id"] == person.pk


def test_the_incident_shows_the_person_only_to_callers_with_the_right_audited(ops):
    person, ent = ops.objs["people"][0], ops.objs["enterprise"]
    pk = ops.api("op_personal").post("/api/incidents", report(person=person.pk, enterprise=ent.pk)).json()["id"]
    reads = AuditRecord.objects.filter(action=AuditRecord.Action.PERSONAL_READ)
    before = reads.filter(target=f"person:{person.pk}").count()
    shown = ops.api("officer").get(f"/api/incidents/{pk}").json()["properties"]
    assert shown["person"]["id"] == person.pk and shown["enterprise"]["name"] == "演示企业"
    assert reads.filter(target=f"person:{person.pk}", username="officer").count() == 1
    hidden = ops.api("leader").get(f"/api/incidents/{pk}")
    assert hidden.status_code == 200
    props = hidden.json()["properties"]
    assert "person" not in props and props["enterprise"]["credit_code"] == ent.credit_code
    assert f"/api/people/{person.pk}" not in hidden.content.decode()
    assert reads.filter(target=f"person:{person.pk}").count() == before + 1


def test_without_the_right_naming_a_person_is_a_403_and_nothing_is_written(ops):
    before = counts()
    answer = ops.api("op_plain").post("/api/incidents", report(person=ops.objs["people"][0].pk))
    assert answer.status_code == 403 and answer.json()["error"]["field"] == "person"
    assert counts() == before
    # An enterprise needs no right.
    answer = ops.api("op_plain").post("/api/incidents", report(enterprise=ops.objs["enterprise"].pk))
    assert answer.status_code == 201, answer.content
    props = answer.json()["properties"]
    assert "person" not in props and props["enterprise"]["id"] == ops.objs["enterprise"].pk


@pytest.mark.parametrize(("links", "status", "field"), [
    ({"person": 999999}, 404, "person"),
    ({"person": "x1"}, 400, "person"),
    ({"person": 0}, 400, "person"),
    ({"person": True}, 400, "person"),
    ({"person": [1]}, 400, "person"),
    ({"enterprise": 999999}, 404, "enterprise"),
    ({"enterprise": "91419001MA0000001X"}, 400, "enterprise"),  # wrong check character
    ({"enterprise": "nope"}, 400, "enterprise"),
])
def test_unknown_or_malformed_ids_are_refused_naming_the_field(ops, links, status, field):
    before = counts()
    answer = ops.api("op_personal").post("/api/incidents", report(**links))
    assert answer.status_code == status, answer.content
    assert answer.json()["error"]["field"] == field
    assert counts() == before


def test_a_person_or_enterprise_outside_the_callers_area_is_a_404(ops):
    east_person, ent = ops.objs["people"][3], ops.objs["enterprise"]  # both in the east grid
    before = counts()
    for links, field in (({"person": east_person.pk}, "person"), ({"enterprise": ent.credit_code}, "enterprise"),
                         ({"person": ops.objs["people"][0].pk, "enterprise": ent.pk}, "enterprise")):
        answer = ops.api("op_west").post("/api/incidents", report(**links))
        assert answer.status_code == 404, links
        assert answer.json()["error"]["field"] == field
    assert counts() == before


def test_a_retry_naming_another_person_is_a_different_report(ops):
    first, second = ops.objs["people"][0], ops.objs["people"][1]
    api = ops.api("op_personal")
    created = api.post("/api/incidents", report(person=first.pk, client_id="phone-1"))
    replay = api.post("/api/incidents", report(person=first.pk, client_id="phone-1"))
    assert created.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["properties"]["person"]["id"] == first.pk
    assert api.post("/api/incidents", report(person=second.pk, client_id="phone-1")).status_code == 409
    assert IncidentLink.objects.count() == 1


def test_a_report_naming_nobody_has_no_link_properties(ops):
    answer = ops.api("op_personal").post("/api/incidents", report())
    assert answer.status_code == 201
    props = answer.json()["properties"]
    assert "person" not in props and "enterprise" not in props
    assert not IncidentLink.objects.exists()
