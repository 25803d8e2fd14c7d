"""GeoJSON exports: RFC 7946 (strict checker), read back with geopandas and compared with the database,
streaming, personal fields, area scope, filters shared with tiles, file names and the audit trail."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pytest

from geo.access import access_for_token, create_user
from geo.models import AuditRecord
from layers.exports import service, writers
from layers.models import Incident
from tests.support import rfc7946
from tests.support.exports import TRICKY, download, expected
from tests.support.exports import compare as compare_rows

LAYERS = ["grids", "buildings", "rooms", "places", "incidents"]


@pytest.mark.parametrize("layer", LAYERS)
def test_geojson_is_rfc7946_and_matches_the_database(client, county, admin_key, layer):
    response, body = download(client, admin_key, f"/api/export/{layer}.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response.streaming
    assert rfc7946.check(body) == []
    frame = gpd.read_file(io.BytesIO(body))
    compare_rows(layer, frame, expected(layer))
    ids = {f["id"] for f in json.loads(body)["features"]}
    assert ids == set(expected(layer))


def test_polygons_are_wound_counter_clockwise_with_clockwise_holes(client, county, admin_key):
    """The dedicated grid is stored clockwise with a counter-clockwise hole; the export turns both."""
    _, body = download(client, admin_key, "/api/export/grids.geojson?level=5")
    [school] = json.loads(body)["features"]
    exterior, hole = school["geometry"]["coordinates"][0]
    assert rfc7946.signed_area(exterior) > 0 > rfc7946.signed_area(hole)
    assert rfc7946.check(body) == []


def test_coordinates_keep_seven_decimals_and_no_crs_member(client, county, admin_key):
    incident = county["incidents"]["closed"]
    _, body = download(client, admin_key, "/api/export/incidents.geojson")
    doc = json.loads(body)
    assert "crs" not in doc
    feature = next(f for f in doc["features"] if f["id"] == incident.pk)
    assert feature["geometry"] == {"type": "Point", "coordinates": [112.4512346, 35.0598765]}
    assert feature["properties"]["description"] == TRICKY
    assert feature["properties"]["reported_at"] == "2026-03-10T10:00:00+08:00"


def test_the_stream_is_chunked_and_still_one_valid_document(client, county, admin_key, monkeypatch):
    monkeypatch.setattr(writers, "CHUNK_BYTES", 200)
    response = client.get("/api/export/incidents.geojson", HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    chunks = list(response.streaming_content)
    assert len(chunks) >= 5 + 2  # each feature is over 200 bytes: one chunk each, plus head and tail
    body = b"".join(chunks)
    assert rfc7946.check(body) == []
    assert len(json.loads(body)["features"]) == len(county["incidents"])


def test_personal_fields_only_with_the_permission_and_when_asked(client, county, admin_key, analyst_key):
    personal = ("reporter_name", "reporter_phone", "parties")
    _, body = download(client, admin_key, "/api/export/incidents.geojson")
    assert not any(set(personal) & set(f["properties"]) for f in json.loads(body)["features"])
    assert "张三".encode() not in body and b"13800000000" not in body

    response, body = download(client, analyst_key, "/api/export/incidents.geojson?personal=1")
    assert response.status_code == 403
    assert response.json()["error"]["field"] == "personal"

    _, body = download(client, admin_key, "/api/export/incidents.geojson?personal=1")
    features = {f["id"]: f["properties"] for f in json.loads(body)["features"]}
    closed = features[county["incidents"]["closed"].pk]
    assert [closed[k] for k in personal] == ["张三", "13800000000", "李四、王五"]
    frame = gpd.read_file(io.BytesIO(body))
    compare_rows("incidents", frame, expected("incidents", personal=True))


def test_a_township_analyst_gets_nothing_of_another_township(client, county, analyst_key):
    for layer in ("incidents", "buildings", "rooms", "places", "grids"):
        _, body = download(client, analyst_key, f"/api/export/{layer}.geojson")
        features = json.loads(body)["features"]
        assert features, layer
        assert b"419001104" not in body, layer
        assert {f["id"] for f in features} == set(expected(layer, scope="419001103")), layer
    # Asking for the other township is not an error, and gives nothing; asking above the scope gives the scope.
    _, body = download(client, analyst_key, "/api/export/incidents.geojson?area=419001104")
    assert json.loads(body)["features"] == []
    _, body = download(client, analyst_key, "/api/export/incidents.geojson?area=419001")
    assert len(json.loads(body)["features"]) == 4


@pytest.mark.parametrize(("query", "keys"), [
    ("since=2026-01-01", {"closed", "late", "overdue", "other"}),
    ("until=2025-12-31", {"new_year"}),  # 23:30 China time on 31 December: still 2025 there
    ("since=2026-03-11&until=2026-03-15", {"overdue", "other"}),
    ("class=dispute,petition", {"closed", "overdue", "new_year"}),
    ("status=open", {"overdue", "new_year", "other"}),
    ("status=closed&severity=larger", {"late"}),
    ("source=walk_in", {"overdue"}),
    ("area=419001103200001", {"closed", "late"}),
    ("bbox=112.5,35.0,112.6,35.1", {"overdue", "new_year"}),
    ("bbox=112.44,35.05,112.46,35.06&class=dispute", {"closed"}),
])
def test_filters(client, county, admin_key, query, keys):
    _, body = download(client, admin_key, f"/api/export/incidents.geojson?{query}")
    got = {f["id"] for f in json.loads(body)["features"]}
    assert got == {county["incidents"][k].pk for k in keys}


def test_file_name_says_what_and_when(client, county, admin_key):
    response, _ = download(client, admin_key, "/api/export/incidents.geojson?area=419001103&since=2026-03-01")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="gridmap-incidents-419001103-20260301-now-')
    assert disposition.endswith('.geojson"')
    response, _ = download(client, admin_key, "/api/export/grids.geojson?level=4")
    assert 'filename="gridmap-grids-l4-all-' in response["Content-Disposition"]


def test_every_export_is_audited_with_its_filters_and_rows(client, county, analyst_key):
    _, body = download(client, analyst_key, "/api/export/incidents.geojson?class=dispute&since=2026-01-01")
    record = AuditRecord.objects.get(action="export", username="export-analyst")
    assert record.target == "incidents"
    assert record.rows == len(json.loads(body)["features"]) == 1
    assert record.detail["class"] == ["dispute"]
    assert record.detail["since"] == "2026-01-01"
    assert record.detail["scope_prefix"] == "419001103"
    assert record.detail["complete"] is True


def test_an_abandoned_download_is_audited_as_incomplete(county, monkeypatch):
    """A client that hangs up mid-stream closes the generator: the COPY is cancelled, the record says so."""
    monkeypatch.setattr(writers, "CHUNK_BYTES", 200)
    _, key = create_user("quitter", "analyst", "")
    job = service.start("incidents", "geojson", {}, access_for_token(key))
    stream = service.chunks(job)
    next(stream), next(stream)
    stream.close()
    record = AuditRecord.objects.get(action="export", username="quitter")
    assert (record.rows, record.detail["complete"]) == (1, False)
    assert Incident.objects.count() == 5  # the connection is still good


def test_exports_need_the_export_permission(client, county):
    assert client.get("/api/export/incidents.geojson").status_code == 401
    _, worker_key = create_user("worker", "grid_worker", "419001103200001")
    response = client.get("/api/export/incidents.geojson", HTTP_AUTHORIZATION=f"Bearer {worker_key}")
    assert response.status_code == 403
