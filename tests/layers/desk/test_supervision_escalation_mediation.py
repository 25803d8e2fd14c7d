"""Supervision (set, listed, reminded, overdue; opened at intake for a large risk), escalation with a
target and the resolved-at-level figures, mediation outcomes and success rates: each figure in
/api/stats equal to the same count done by hand in SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from layers.desk.models import Escalation, Mediation, Supervision
from layers.models import Incident, IncidentEvent
from tests.layers.desk.test_departments import accepted
from tests.support.incidents import WEST_POINT
from tests.support.tiles import features


def stats(desk, who="op", code="419001", **params):
    response = desk.get(who, f"/api/stats/{code}", params)
    assert response.status_code == 200, response.content
    return response.json()


# ------------------------------------------------------------------------------------ supervision

def test_supervise_list_remind_and_overdue(desk, client):
    plain, listed, late = accepted(), accepted(), accepted()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert desk.post("leader", f"/api/incidents/{plain.pk}/supervise", {"note": "跟踪督办"}).status_code == 200
    response = desk.post("op", f"/api/incidents/{listed.pk}/supervise",
                         {"kind": "listed", "owner": "王副县长", "deadline": tomorrow})
    assert response.status_code == 200, response.content
    assert desk.post("op", f"/api/incidents/{late.pk}/supervise", {}).status_code == 200
    assert desk.post("op", f"/api/incidents/{listed.pk}/remind", {"note": "请加快办理"}).status_code == 200
    assert IncidentEvent.objects.filter(incident=listed, action="remind", note="请加快办理").exists()
    s = Supervision.objects.get(incident=listed)
    assert (s.kind, s.owner, s.opened_by) == ("listed", "王副县长", "op")
    # The third one's deadline (its due time) passes without closing: supervision overdue.
    Supervision.objects.filter(incident=late).update(deadline=timezone.now() - dt.timedelta(hours=1))
    figures = stats(desk)["desk"]["supervision"]
    assert figures == {"supervised": 3, "listed": 1, "supervision_overdue": 1, "supervised_closed": 0, "reminders": 1}
    # The same filter on every path.
    listing = desk.get("op", "/api/incidents", {"supervision": "overdue"}).json()["features"]
    assert [f["id"] for f in listing] == [late.pk]
    listing = desk.get("op", "/api/incidents", {"supervision": "listed"}).json()["features"]
    assert [f["id"] for f in listing] == [listed.pk]
    assert len(desk.get("op", "/api/incidents", {"supervision": "supervised"}).json()["features"]) == 3
    found = features(client, desk.keys["op"], "incidents", 16, *WEST_POINT, supervision="overdue")
    assert sum(f["properties"].get("count", 1) for f in found) == 1
    items = desk.get("op", "/ogc/collections/incidents/items", {"supervision": "supervised"}).json()
    assert len(items["features"]) == 3
    assert desk.get("op", "/api/incidents", {"supervision": "late"}).json()["error"]["field"] == "supervision"


@pytest.mark.parametrize(("body", "field"), [({"kind": "listed", "deadline": "2099-01-01"}, "owner"),
                                             ({"kind": "listed", "owner": "王"}, "deadline"),
                                             ({"kind": "crowned"}, "kind"),
                                             ({"deadline": "2001-01-01"}, "deadline")])
def test_bad_supervision_is_a_400_naming_the_field(desk, body, field):
    incident = accepted()
    response = desk.post("op", f"/api/incidents/{incident.pk}/supervise", body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field
    assert not Supervision.objects.exists()


def test_who_may_supervise_and_remind(desk):
    incident = accepted()
    assert desk.post("gw_west", f"/api/incidents/{incident.pk}/supervise").status_code == 403
    assert desk.post("op", f"/api/incidents/{incident.pk}/remind").status_code == 409  # not supervised
    closed = accepted(status="closed", closed_at=timezone.now())
    assert desk.post("op", f"/api/incidents/{closed.pk}/supervise").status_code == 409


def test_a_large_risk_opens_supervision_at_intake(desk):
    response = desk.report(risk_level="large", severity="major")
    assert response.status_code == 201, response.content
    supervision = Supervision.objects.get(incident_id=response.json()["id"])
    assert (supervision.kind, supervision.automatic) == ("supervised", True)
    small = desk.report(risk_level="small")
    assert not Supervision.objects.filter(incident_id=small.json()["id"]).exists()


# ------------------------------------------------------------------------------------ escalation

def test_escalation_names_its_level_and_holder(desk):
    incident = accepted()
    assert desk.post("gw_west", f"/api/incidents/{incident.pk}/escalate", {"note": "村里解决不了"}).status_code == 200
    first = Escalation.objects.get(incident=incident)
    assert (first.level, first.holder) == ("village", "承留村综治中心")
    Incident.objects.filter(pk=incident.pk).update(status="accepted")
    response = desk.post("op", f"/api/incidents/{incident.pk}/escalate",
                         {"note": "跨镇", "level": "county", "holder": "县矛盾纠纷联合调处组"})
    assert response.status_code == 200
    assert list(Escalation.objects.filter(incident=incident).values_list("level", "holder")) == [
        ("village", "承留村综治中心"), ("county", "县矛盾纠纷联合调处组")]
    Incident.objects.filter(pk=incident.pk).update(status="accepted")
    lower = desk.post("op", f"/api/incidents/{incident.pk}/escalate", {"note": "x", "level": "township"})
    assert lower.status_code == 409
    assert desk.post("op", f"/api/incidents/{incident.pk}/escalate", {"note": "x", "level": "moon"}
                     ).json()["error"]["field"] == "level"


def hand_count(sql_text: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql_text)
        return cursor.fetchone()[0]


def test_resolved_at_level_figures_equal_sql_counts(desk):
    now = timezone.now()
    rows = [accepted(status="closed", closed_at=now) for _ in range(5)] + [accepted()]
    for incident, level in zip(rows, ["", "", "village", "township", "county", "village"], strict=True):
        if level:
            Escalation.objects.create(incident=incident, level=level, holder="x", at=now - dt.timedelta(minutes=30))
    esc = stats(desk)["desk"]["escalation"]
    closed = hand_count("SELECT count(*) FROM layers_incident WHERE closed_at IS NOT NULL")
    in_grid = hand_count("SELECT count(*) FROM layers_incident i WHERE closed_at IS NOT NULL AND NOT EXISTS "
                         "(SELECT 1 FROM layers_escalation e WHERE e.incident_id = i.id)")
    in_village = hand_count("SELECT count(*) FROM layers_incident i WHERE closed_at IS NOT NULL AND NOT EXISTS "
                            "(SELECT 1 FROM layers_escalation e WHERE e.incident_id = i.id "
                            "AND e.level IN ('township', 'county'))")
    assert (closed, in_grid, in_village) == (5, 2, 3)
    assert (esc["resolved_in_grid"], esc["resolved_in_village"]) == (in_grid, in_village)
    assert (esc["resolved_in_grid_share"], esc["resolved_in_village_share"]) == (0.4, 0.6)
    assert (esc["escalated_village"], esc["escalated_township"], esc["escalated_county"]) == (2, 1, 1)
    child = stats(desk, children="1")["children"][0]["desk"]["escalation"]
    assert child["resolved_in_grid"] == in_grid


# ------------------------------------------------------------------------------------ mediation

def test_mediation_outcomes_and_success_rate_by_route(desk):
    disputes = [accepted() for _ in range(4)]
    today = timezone.localdate().isoformat()
    bodies = [{"route": "people", "body": "承留村人民调解委员会", "outcome": "agreement", "agreement_date": today},
              {"route": "people", "body": "承留村人民调解委员会", "outcome": "failed", "next_step": "litigation"},
              {"route": "judicial", "body": "承留法庭", "outcome": "partial", "agreement_date": today},
              {"route": "administrative", "body": "承留镇司法所"}]
    for incident, body in zip(disputes, bodies, strict=True):
        response = desk.post("op", f"/api/incidents/{incident.pk}/mediate", body)
        assert response.status_code == 200, response.content
    first = Mediation.objects.get(incident=disputes[0])
    assert first.followup_due == timezone.localdate() + dt.timedelta(days=30)
    assert desk.post("op", f"/api/incidents/{disputes[0].pk}/followup").status_code == 200
    assert desk.post("op", f"/api/incidents/{disputes[0].pk}/followup").status_code == 409
    # The pending one ends in agreement later; an ended one is not re-recorded.
    assert desk.post("op", f"/api/incidents/{disputes[3].pk}/mediate",
                     {"outcome": "agreement", "agreement_date": today}).status_code == 200
    assert desk.post("op", f"/api/incidents/{disputes[1].pk}/mediate", {"outcome": "agreement",
                                                                         "agreement_date": today}).status_code == 409
    m = stats(desk)["desk"]["mediation"]
    assert (m["referred"], m["succeeded"], m["partial"], m["failed"], m["pending"]) == (4, 2, 1, 1, 0)
    assert (m["success_rate"], m["to_litigation"], m["followups_done"]) == (0.5, 1, 1)
    assert m["routes"]["people"] == {"referred": 2, "succeeded": 1, "success_rate": 0.5}
    assert m["routes"]["administrative"]["success_rate"] == 1.0
    hand = hand_count("SELECT count(*) FROM layers_mediation WHERE outcome = 'agreement'")
    assert m["succeeded"] == hand


@pytest.mark.parametrize(("body", "field"), [
    ({"body": "x"}, "route"), ({"route": "people"}, "body"),
    ({"route": "people", "body": "x", "outcome": "failed"}, "next_step"),
    ({"route": "people", "body": "x", "outcome": "agreement"}, "agreement_date"),
    ({"route": "people", "body": "x", "next_step": "petition"}, "next_step"),
    ({"route": "tea", "body": "x"}, "route"),
])
def test_bad_mediation_is_a_400_naming_the_field(desk, body, field):
    incident = accepted()
    response = desk.post("op", f"/api/incidents/{incident.pk}/mediate", body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field, response.content
    assert not Mediation.objects.exists()


def test_only_disputes_are_mediated(desk):
    hazard = accepted(category="safety_hazard")
    response = desk.post("op", f"/api/incidents/{hazard.pk}/mediate", {"route": "people", "body": "x"})
    assert response.status_code == 409


def test_desk_rows_follow_their_incident(desk):
    """The copy of the cohort columns the figures count by is filled on insert and follows every update
    (a closing, a redraw's reassignment), whatever the write path."""
    incident = accepted()
    desk.post("op", f"/api/incidents/{incident.pk}/supervise")
    desk.post("op", f"/api/incidents/{incident.pk}/mediate", {"route": "people", "body": "x"})
    Escalation.objects.create(incident=incident, level="village", holder="x")
    closed = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE layers_incident SET grid_code = %s, status = 'closed', closed_at = %s WHERE id = %s",
                       ["419001103200002", closed, incident.pk])
    for model in (Supervision, Mediation, Escalation):
        row = model.objects.get(incident=incident)
        assert (row.grid_code, row.reported_at, row.closed_at) == ("419001103200002", incident.reported_at, closed)


def test_mediation_figures_over_whole_months_come_from_the_rollup_and_equal_the_rows(desk):
    """A period of several months counts its whole months from layers_mediationrollup and its edge days
    from the rows; both must equal a count of the rows, and follow a redraw's reassignment."""
    now = timezone.now()
    today = timezone.localdate().isoformat()
    outcomes = [{"outcome": "agreement", "agreement_date": today}, {"outcome": "failed", "next_step": "petition"},
                {"outcome": "agreement", "agreement_date": today}, {}]
    for days, body in zip((100, 70, 40, 3), outcomes, strict=True):
        incident = accepted(reported_at=now - dt.timedelta(days=days))
        response = desk.post("op", f"/api/incidents/{incident.pk}/mediate",
                             {"route": "people", "body": "承留村人民调解委员会", **body})
        assert response.status_code == 200, response.content
    since = (timezone.localdate() - dt.timedelta(days=120)).isoformat()
    for code in ("419001", "419001103200001"):
        m = stats(desk, code=code, since=since)["desk"]["mediation"]
        assert (m["referred"], m["succeeded"], m["failed"], m["pending"], m["to_petition"]) == (4, 2, 1, 1, 1)
    assert hand_count("SELECT sum(n) FROM layers_mediationrollup WHERE level = 1") == \
        hand_count("SELECT count(*) FROM layers_mediation")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE layers_incident SET grid_code = '419001103200002'")
    assert stats(desk, code="419001103200001", since=since)["desk"]["mediation"]["referred"] == 0
    assert stats(desk, code="419001103200002", since=since)["desk"]["mediation"]["referred"] == 4
