"""/api/analysis/…: role checks, scope, audit, 400s naming the parameter, and the map layers."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.models import ThreeZeroRule
from geo.access import create_user
from geo.models import AuditRecord
from tests.analysis.conftest import local, matter, weights
from tests.analysis.test_index import TABLE, month_of_matters
from tests.support.grids import Api, api_as


@pytest.fixture
def world(county, client):
    weights(dt.date(2000, 1, 1), TABLE)
    month_of_matters(2026, 3)
    return county


def test_a_township_leader_reads_the_index_and_its_breakdown(world, client):
    leader = api_as(client, "zhang", "leader", "419001103")
    response = leader.get("/api/analysis/index/419001103", period="2026-03", children="1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["index"]["score"] == 36.0 and body["index"]["band"] == "red"
    assert {p["key"] for p in body["index"]["parts"]} >= {"rate_dispute", "overdue_share"}
    assert abs(sum(p["share"] for p in body["index"]["parts"]) - 1) < 1e-3
    assert [c["code"] for c in body["children"]] == ["419001103200"]
    record = AuditRecord.objects.filter(action="analysis_read", username="zhang").get()
    assert record.target == "419001103" and record.detail["what"] == "index"
    # Outside the scope: not found, as everywhere.
    assert leader.get("/api/analysis/index/419001", period="2026-03").status_code == 404
    trend = leader.get("/api/analysis/index/419001103/trend", since="2026-01", until="2026-04").json()
    assert [m["period"] for m in trend["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    year = leader.get("/api/analysis/index/419001103/trend", until="2025-12").json()["months"]
    assert [year[0]["period"], year[-1]["period"], len(year)] == ["2025-01", "2025-12", 12]
    layer = leader.get("/api/analysis/index/419001103/map", period="2026-Q1")
    assert layer["Content-Type"].startswith("application/geo+json")
    [feature] = layer.json()["features"]
    assert feature["properties"]["band"] in ("green", "amber", "red") and feature["geometry"]["type"] == "MultiPolygon"


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/analysis/index/419001", {"period": "2026-13"}, "period"),
    ("/api/analysis/index/419001", {"period": "2999"}, "period"),
    ("/api/analysis/index/419001", {"children": "maybe"}, "children"),
    ("/api/analysis/index/419001/trend", {"since": "2026-05", "until": "2026-01"}, "since"),
    ("/api/analysis/index/419001/trend", {"since": "20260"}, "since"),
    ("/api/analysis/warnings/419001", {"month": "2026-3"}, "month"),
    ("/api/analysis/warnings/419001", {"format": "pdf"}, "format"),
    ("/api/analysis/threezero/419001", {"year": "26"}, "year"),
    ("/api/analysis/threezero/419001", {"year": "2999"}, "year"),
    ("/api/analysis/threezero/419001", {"ytd": "2"}, "ytd"),
])
def test_bad_input_is_a_400_naming_the_field(world, client, path, params, field):
    admin = api_as(client, "root", "administrator", "")
    response = admin.get(path, **params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["field"] == field


def test_roles_and_departments(world, client):
    assert client.get("/api/analysis/index/419001").status_code == 401
    _, key = create_user("sfj", "department", "419001", department="419001-SFJ")
    department = Api(client, key)
    assert department.get("/api/analysis/index/419001", period="2026-03").status_code == 403
    assert department.get("/api/analysis/warnings/419001").status_code == 403
    assert department.get("/api/analysis/threezero/419001").status_code == 403


def test_warnings_and_three_zero_layers(world, client):
    matter("safety_hazard", local(2026, 3, 20), severity="major")
    analyst = api_as(client, "li", "analyst", "419001")
    listed = analyst.get("/api/analysis/warnings/419001103", month="2026-03").json()
    assert listed["fdr"] == 0.05 and isinstance(listed["warnings"], list)
    layer = analyst.get("/api/analysis/warnings/419001103", month="2026-03", format="geojson")
    assert layer.status_code == 200 and layer.json()["type"] == "FeatureCollection"
    units = analyst.get("/api/analysis/threezero/419001", year="2026", ytd="1").json()
    village = next(u for u in units["units"] if u["code"] == "419001103200")
    assert not village["three_zero"] and village["broken"][0]["criterion"] == "accident"
    assert units["per_township"] == {"419001103": {"three_zero": 0, "villages": 1}}
    shapes = analyst.get("/api/analysis/threezero/419001", year="2026", format="geojson").json()
    assert [f["properties"]["three_zero"] for f in shapes["features"]] == [False]
    ThreeZeroRule.objects.all().update(active=False)
    shapes = analyst.get("/api/analysis/threezero/419001", year="2026", format="geojson").json()
    assert [f["properties"]["three_zero"] for f in shapes["features"]] == [True]
    assert AuditRecord.objects.filter(action="analysis_read", username="li").count() == 5


def test_the_analysis_page(world, client):
    matter("safety_hazard", local(2026, 3, 20), severity="major")
    leader = api_as(client, "wang", "leader", "419001")
    page = leader.get("/analysis/419001/", period="2026-03")
    assert page.status_code == 200, page.content[:500]
    text = page.content.decode()
    # the county of test_index with a major safety hazard more: 38.0, red
    assert "承留镇" in text and "safety index 38.0" in text and "leaflet" in text.lower()
    assert "no safety accident" in text and "broken by matter" in text
    assert "https://" not in text.split("<body")[0] or "cdn" not in text.split("<body")[0]  # vendored assets
    assert "not three-zero" in text
    assert "expected from its own last 12 months" not in text  # no history in the county: no baseline test
    assert leader.get("/analysis/419001103/", period="2026-Q1").status_code == 200
    assert leader.get("/analysis/419001/", period="2026-13").status_code == 400
    outsider = api_as(client, "zhao", "leader", "419001104")
    assert outsider.get("/analysis/419001/").status_code == 404
    assert client.get("/analysis/419001/").status_code == 302  # to the login page
    assert AuditRecord.objects.filter(action="analysis_read", username="wang", detail__what="page").count() == 2
