"""Departments: seeded kinds, dispatch to a lead and co-handlers, returns, and a department account that
sees nothing outside its department and scope on any path (API, Open311, tiles, exports, OGC, stats,
dashboards)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geo.models import AuditRecord
from layers.desk.models import Department, Dispatch
from layers.models import Incident, IncidentEvent
from tests.support.incidents import EAST_POINT, WEST_POINT
from tests.support.tiles import features


def accepted(point=WEST_POINT, **extra) -> Incident:
    now = timezone.now()
    values = {"category": "dispute", "source": "walk_in", "status": "accepted",
              "reported_at": now - dt.timedelta(hours=3), "accepted_at": now - dt.timedelta(hours=2),
              "due_at": now + dt.timedelta(days=6)} | extra
    return Incident.objects.create(location=Point(*point, srid=4326), **values)


def dispatch(desk, incident, lead="419001-SFJ", co=("419001-ZJJ",), who="op"):
    return desk.post(who, f"/api/incidents/{incident.pk}/dispatch",
                     {"lead_department": lead, "co_departments": list(co)})


def test_seeded_departments_are_the_countys_bodies(desk):
    kinds = set(Department.objects.values_list("kind", flat=True))
    assert {"justice", "ecology", "housing", "transport", "agriculture", "health", "market", "emergency",
            "police", "human_resources", "natural_resources", "civil_affairs", "education", "petitions"} <= kinds
    assert Department.objects.get(code="419001-SFJ").name == "济源示范区司法局"
    assert Department.objects.filter(code="419001103-SFS", unit_id="419001103").exists()


def test_dispatch_to_a_lead_and_co_handlers(desk):
    incident = accepted()
    response = dispatch(desk, incident)
    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert (incident.status, incident.department) == ("dispatched", "济源示范区司法局")
    rows = {(d.department_id, d.role, d.ended_at) for d in Dispatch.objects.filter(incident=incident)}
    assert rows == {("419001-SFJ", "lead", None), ("419001-ZJJ", "co", None)}
    detail = AuditRecord.objects.get(target=str(incident.pk)).detail
    assert (detail["lead_department"], detail["co_departments"]) == ("419001-SFJ", ["419001-ZJJ"])


@pytest.mark.parametrize(("body", "field"), [
    ({"lead_department": "419001-NOPE"}, "lead_department"),
    ({"co_departments": ["419001-ZJJ"]}, "lead_department"),
    ({"lead_department": "419001-SFJ", "co_departments": ["419001-SFJ"]}, "co_departments"),
    ({"lead_department": "419001-SFJ", "co_departments": ["419001-ZJJ", "419001-ZJJ"]}, "co_departments"),
    ({"lead_department": "419001-SFJ", "co_departments": 5}, "co_departments"),
    ({"lead_department": "419001-SFJ", "assignee": "W-WEST"}, "lead_department"),
])
def test_bad_dispatches_are_400s_naming_the_field_and_write_nothing(desk, body, field):
    incident = accepted()
    response = desk.post("op", f"/api/incidents/{incident.pk}/dispatch", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field
    assert not Dispatch.objects.exists()
    incident.refresh_from_db()
    assert incident.status == "accepted"


def test_redispatch_ends_the_open_parts(desk):
    incident = accepted()
    dispatch(desk, incident)
    Incident.objects.filter(pk=incident.pk).update(status="returned")
    assert dispatch(desk, incident, lead="419001-ZJJ", co=()).status_code == 200
    ended = Dispatch.objects.filter(incident=incident, end="redispatched")
    assert {d.department_id for d in ended} == {"419001-SFJ", "419001-ZJJ"}
    assert Dispatch.objects.get(incident=incident, ended_at__isnull=True).department_id == "419001-ZJJ"


def test_the_lead_department_returns_a_matter_with_a_reason(desk):
    incident = accepted()
    dispatch(desk, incident)
    assert desk.post("sfj", f"/api/incidents/{incident.pk}/start").status_code == 200
    response = desk.post("sfj", f"/api/incidents/{incident.pk}/return", {"note": "不属司法行政职责"})
    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.status == "returned"
    lead = Dispatch.objects.get(incident=incident, role="lead")
    assert (lead.end, lead.reason) == ("returned", "不属司法行政职责")
    assert IncidentEvent.objects.filter(incident=incident, action="return", actor="sfj").exists()
    # It is no longer the department's: gone from its view.
    assert desk.get("sfj", f"/api/incidents/{incident.pk}").status_code == 404


def test_a_co_handler_returns_only_its_part(desk):
    incident = accepted()
    dispatch(desk, incident)
    response = desk.post("zjj", f"/api/incidents/{incident.pk}/return", {"note": "无住建事项"})
    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.status == "dispatched"
    co = Dispatch.objects.get(incident=incident, role="co")
    assert (co.end, co.reason) == ("returned", "无住建事项")
    assert Dispatch.objects.get(incident=incident, role="lead").ended_at is None
    assert desk.get("zjj", f"/api/incidents/{incident.pk}").status_code == 404
    assert desk.get("sfj", f"/api/incidents/{incident.pk}").status_code == 200


def test_a_department_may_not_dispatch_close_or_report(desk):
    incident = accepted()
    dispatch(desk, incident)
    assert desk.post("sfj", f"/api/incidents/{incident.pk}/verify").status_code == 403
    assert desk.post("sfj", f"/api/incidents/{incident.pk}/dispatch",
                     {"lead_department": "419001-ZJJ"}).status_code == 403
    assert desk.report("sfj").status_code == 403


@pytest.fixture
def three(desk):
    """mine: dispatched to SFJ (west grid); east: dispatched to SFJ in the east grid; other: to ZJJ only;
    none: not dispatched."""
    mine, east, other, none = accepted(), accepted(EAST_POINT), accepted(), accepted()
    dispatch(desk, mine, co=())
    dispatch(desk, east, co=())
    dispatch(desk, other, lead="419001-ZJJ", co=())
    return {"mine": mine, "east": east, "other": other, "none": none}


def ids(features_):
    return {f["id"] if "id" in f else f["properties"]["id"] for f in features_}


def test_a_department_sees_only_its_matters_in_the_api(desk, three):
    listed = desk.get("sfj", "/api/incidents").json()["features"]
    assert ids(listed) == {three["mine"].pk, three["east"].pk}
    assert ids(desk.get("sfj_west", "/api/incidents").json()["features"]) == {three["mine"].pk}
    for name in ("other", "none"):
        pk = three[name].pk
        assert desk.get("sfj", f"/api/incidents/{pk}").status_code == 404
        assert desk.get("sfj", f"/api/incidents/{pk}/events").status_code == 404
        assert desk.post("sfj", f"/api/incidents/{pk}/start").status_code == 404
    assert desk.get("sfj_west", f"/api/incidents/{three['east'].pk}").status_code == 404
    # Another department's filter is refused, not swapped.
    assert desk.get("sfj", "/api/incidents", {"department": "419001-ZJJ"}).status_code == 403
    # Open311 too.
    open311 = desk.get("sfj", "/open311/v2/requests.json").json()
    assert {int(r["service_request_id"]) for r in open311} == {three["mine"].pk, three["east"].pk}


def test_a_department_sees_only_its_matters_in_exports_and_ogc(desk, three):
    body = desk.get("sfj", "/api/export/incidents.geojson")
    collection = json.loads(b"".join(body.streaming_content))
    assert ids(collection["features"]) == {three["mine"].pk, three["east"].pk}
    assert {f["properties"]["lead_department"] for f in collection["features"]} == {"419001-SFJ"}
    items = desk.get("sfj_west", "/ogc/collections/incidents/items").json()
    assert ids(items["features"]) == {three["mine"].pk}
    assert desk.get("sfj", f"/ogc/collections/incidents/items/{three['other'].pk}").status_code == 404
    everything = json.loads(b"".join(desk.get("op", "/api/export/incidents.geojson").streaming_content))
    assert len(everything["features"]) == 4


def test_a_department_sees_only_its_matters_on_tiles(desk, three, client):
    for who, expected in (("sfj", 2), ("sfj_west", 1), ("zjj", 1), ("op", 4)):
        found = features(client, desk.keys[who], "incidents", 16, *WEST_POINT) + \
            features(client, desk.keys[who], "incidents", 16, *EAST_POINT)
        assert sum(f["properties"].get("count", 1) for f in found) == expected, who


def test_a_department_sees_only_its_matters_in_stats_and_dashboards(desk, three, client):
    stats = desk.get("sfj", "/api/stats/419001").json()
    assert stats["figures"]["intake"] == 2
    assert desk.get("op", "/api/stats/419001").json()["figures"]["intake"] == 4
    ranking = desk.get("sfj", "/api/stats/departments", {"area": "419001"}).json()["departments"]
    assert [(r["code"], r["received"]) for r in ranking] == [("419001-SFJ", 2)]
    everyone = desk.get("op", "/api/stats/departments", {"area": "419001"}).json()["departments"]
    assert {r["code"]: r["received"] for r in everyone} == {"419001-SFJ": 2, "419001-ZJJ": 1}
    page = client.get("/dashboards/grid/419001103200001/?period=30d", HTTP_AUTHORIZATION=f"Bearer {desk.keys['sfj']}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/api/incidents/{three['mine'].pk}" in html or f">{three['mine'].pk}<" in html
    assert f">{three['other'].pk}<" not in html and f">{three['none'].pk}<" not in html
    assert client.get("/dashboards/workload/", HTTP_AUTHORIZATION=f"Bearer {desk.keys['sfj']}").status_code == 404


def test_department_figures_received_closed_on_time_returned(desk):
    now = timezone.now()
    closed_on_time, closed_late, returned, open_ = accepted(), accepted(), accepted(), accepted()
    for incident in (closed_on_time, closed_late, returned, open_):
        dispatch(desk, incident, co=())
    Incident.objects.filter(pk=closed_on_time.pk).update(status="closed", closed_at=now)
    Incident.objects.filter(pk=closed_late.pk).update(status="closed", closed_at=now,
                                                      due_at=now - dt.timedelta(hours=1))
    desk.post("sfj", f"/api/incidents/{returned.pk}/return", {"note": "非本部门"})
    row = desk.get("op", "/api/stats/departments", {"area": "419001"}).json()["departments"][0]
    assert (row["code"], row["received"], row["closed"], row["closed_on_time"], row["returned"]) == \
        ("419001-SFJ", 4, 2, 1, 1)
    assert (row["closure_rate"], row["on_time_rate"]) == (0.5, 0.5)


def test_add_user_department_accounts(desk):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="--department"):
        call_command("add_user", "x", role="department", scope="419001")
    with pytest.raises(CommandError, match="no department"):
        call_command("add_user", "x", role="department", scope="419001", department="419001-NOPE")
    call_command("add_user", "x", role="department", scope="419001", department="419001-SFJ")
    assert desk.get(None, "/api/me").status_code == 401


def test_dashboards_show_the_desk_cards_and_the_department_ranking(desk, three, client):
    Incident.objects.filter(pk=three["mine"].pk).update(status="closed", closed_at=timezone.now())
    op = {"HTTP_AUTHORIZATION": f"Bearer {desk.keys['op']}"}
    page = client.get("/?period=30d&lang=en", **op).content.decode()
    assert 'data-kpi="department_closure"' in page and 'data-kpi="supervision_overdue"' in page
    # 1 of the 3 lead dispatches closed: the card says what /api/stats/departments says.
    assert ">33.33%<" in page
    ranking = client.get("/dashboards/departments/?period=30d&area=419001", **op).content.decode()
    assert ranking.index('data-department="419001-SFJ"') < ranking.index('data-department="419001-ZJJ"')
    mine = client.get("/dashboards/departments/?period=30d", HTTP_AUTHORIZATION=f"Bearer {desk.keys['zjj']}")
    assert 'data-department="419001-ZJJ"' in mine.content.decode()
    assert 'data-department="419001-SFJ"' not in mine.content.decode()
