"""OGC API - Features at /ogc/: the documents, items with bbox/limit/offset/datetime and paging links,
single items, scope, bad parameters; and GDAL's own OAPIF driver (ogrinfo) against a live gunicorn."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from geo.access import create_user
from layers.models import Incident
from tests.support import rfc7946
from tests.support.areas import reset_committed_data
from tests.support.served import free_port, small_county

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"}


def get(client, key: str, url: str):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_landing_conformance_and_collections(client, county, admin_key):
    landing = get(client, admin_key, "/ogc/?f=json")
    assert landing.status_code == 200 and landing["Content-Type"] == "application/json"
    rels = {link["rel"]: link["href"] for link in landing.json()["links"]}
    assert rels == {"self": "http://testserver/ogc/", "conformance": "http://testserver/ogc/conformance",
                    "data": "http://testserver/ogc/collections", "service-desc": "http://testserver/ogc/api"}
    assert set(get(client, admin_key, "/ogc/conformance").json()["conformsTo"]) == CONFORMANCE
    collections = get(client, admin_key, "/ogc/collections").json()["collections"]
    assert [c["id"] for c in collections] == ["provinces", "cities", "counties", "townships", "villages", "grids",
                                              "dedicated_grids",
                                              "buildings", "rooms", "places", "incidents", "workload_townships",
                                              "workload_villages", "workload",
                                              # people's counts, handed over in its ready() (people/exports.py)
                                              "people_provinces", "people_cities", "people_counties",
                                              "people_townships", "people_villages", "people",
                                              # the analysis app's (analysis/exports.py)
                                              "safety_index_provinces", "safety_index_cities",
                                              "safety_index_counties", "safety_index_townships",
                                              "safety_index_villages", "threezero_provinces", "threezero_cities",
                                              "threezero_counties", "threezero_townships", "threezero_villages"]
    incidents = get(client, admin_key, "/ogc/collections/incidents").json()
    assert incidents["extent"]["spatial"]["bbox"] == [[112.4, 35.0, 112.7, 35.1]]
    assert incidents["extent"]["spatial"]["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert incidents["extent"]["temporal"]["interval"] == [["2025-12-31T15:30:00Z", "2026-03-20T00:00:00Z"]]
    assert {"rel": "items", "type": "application/geo+json"}.items() <= next(
        link for link in incidents["links"] if link["rel"] == "items").items()
    assert "temporal" not in get(client, admin_key, "/ogc/collections/grids").json()["extent"]


def test_openapi_document_gives_the_paging_limits_and_each_collections_filters(client, county, admin_key):
    response = get(client, admin_key, "/ogc/api")
    assert response["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = response.json()
    assert doc["openapi"].startswith("3.0") and doc["servers"] == [{"url": "http://testserver/ogc"}]
    items = doc["paths"]["/collections/incidents/items"]["get"]["parameters"]
    limit = next(p for p in items if p["name"] == "limit")
    assert (limit["schema"]["default"], limit["schema"]["maximum"]) == (100, 10000)
    assert {"bbox", "datetime", "class", "status", "area"} <= {p["name"] for p in items}
    assert "class" not in {p["name"] for p in doc["paths"]["/collections/grids/items"]["get"]["parameters"]}
    assert set(doc["paths"]) >= {"/", "/conformance", "/collections", "/collections/{collectionId}",
                                 "/collections/grids/items/{featureId}"}


def test_items_page_through_with_next_and_prev(client, county, admin_key):
    first = get(client, admin_key, "/ogc/collections/incidents/items?limit=2")
    assert first["Content-Type"] == "application/geo+json"
    body = first.json()
    assert rfc7946.check(first.content) == []
    assert (body["numberMatched"], body["numberReturned"]) == (5, 2)
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert "prev" not in links
    seen = [f["id"] for f in body["features"]]
    while "next" in links:
        page = get(client, admin_key, links["next"].removeprefix("http://testserver")).json()
        assert "numberMatched" not in page  # counted once, on the first page
        seen += [f["id"] for f in page["features"]]
        links = {link["rel"]: link["href"] for link in page["links"]}
    assert seen == sorted(i.pk for i in county["incidents"].values())
    assert "offset=2" in links["prev"]


@pytest.mark.parametrize(("query", "keys"), [
    ("bbox=112.5,35.0,112.6,35.1", {"overdue", "new_year"}),
    ("bbox=112.5,35.0,0,112.6,35.1,100", {"overdue", "new_year"}),  # 6 numbers: heights ignored
    ("datetime=2026-03-12T01:00:00Z", {"other"}),  # an instant: 09:00 China time
    ("datetime=2026-03-10", {"closed"}),  # a date: that whole day in China Standard Time
    ("datetime=2026-03-12/2026-03-20", {"other", "overdue", "late"}),
    ("datetime=../2025-12-31", {"new_year"}),
    ("datetime=2026-03-15T04:00:00Z/..", {"overdue", "late"}),
    ("datetime=/2026-03-10T02:00:00Z", {"new_year", "closed"}),
    ("class=dispute&status=open", {"new_year"}),
    ("area=419001104", {"other"}),
])
def test_items_filters(client, county, admin_key, query, keys):
    body = get(client, admin_key, f"/ogc/collections/incidents/items?{query}").json()
    assert {f["id"] for f in body["features"]} == {county["incidents"][k].pk for k in keys}
    assert body["numberMatched"] == len(keys)


def test_limit_above_the_maximum_is_served_as_the_maximum(client, county, admin_key):
    body = get(client, admin_key, "/ogc/collections/incidents/items?limit=50000").json()
    assert body["numberReturned"] == 5
    assert "limit=10000" in next(link["href"] for link in body["links"] if link["rel"] == "self")


def test_workload_items_take_a_period_of_dates(client, county, admin_key):
    body = get(client, admin_key, "/ogc/collections/workload/items?datetime=2026-03-01/2026-03-31").json()
    counts = {f["id"]: f["properties"]["intake"] for f in body["features"]}
    assert counts == {"419001103200001": 2, "419001103200002": 1, "419001104200001": 1}


def test_single_items_and_scope(client, county, admin_key, analyst_key):
    incident = county["incidents"]["closed"]
    response = get(client, admin_key, f"/ogc/collections/incidents/items/{incident.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["id"] == incident.pk and feature["properties"]["class"] == "dispute"
    assert "reporter_name" not in feature["properties"]  # never through OGC API, whoever asks
    assert {link["rel"] for link in feature["links"]} == {"self", "collection"}
    school = get(client, admin_key, "/ogc/collections/dedicated_grids/items/4190011032009001").json()
    exterior, hole = school["geometry"]["coordinates"][0]
    assert rfc7946.signed_area(exterior) > 0 > rfc7946.signed_area(hole)
    other = county["incidents"]["other"]
    assert get(client, analyst_key, f"/ogc/collections/incidents/items/{other.pk}").status_code == 404
    assert get(client, analyst_key, "/ogc/collections/incidents/items/nope").status_code == 404
    assert get(client, analyst_key, "/ogc/collections/townships/items/419001104").status_code == 404
    body = get(client, analyst_key, "/ogc/collections/incidents/items").json()
    assert body["numberMatched"] == 4 and other.pk not in {f["id"] for f in body["features"]}


def test_token_in_the_url_is_carried_by_every_link(client, county, admin_key):
    body = client.get(f"/ogc/collections/incidents/items?limit=1&token={admin_key}").json()
    assert all(f"token={admin_key}" in link["href"] for link in body["links"])
    landing = client.get(f"/ogc/?token={admin_key}").json()
    assert all(f"token={admin_key}" in link["href"] for link in landing["links"])


def test_anonymous_callers_get_401(client, county):
    for url in ("/ogc/", "/ogc/collections", "/ogc/collections/incidents/items"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(("url", "status", "message"), [
    ("/ogc/collections/nothing", 404, "no collection 'nothing'"),
    ("/ogc/collections/nothing/items", 404, "no collection 'nothing'"),
    ("/ogc/collections/incidents/items?limit=0", 400, "limit: '0' is not a whole number"),
    ("/ogc/collections/incidents/items?limit=ten", 400, "limit"),
    ("/ogc/collections/incidents/items?offset=-1", 400, "offset"),
    ("/ogc/collections/incidents/items?offset=²", 400, "offset"),
    ("/ogc/collections/incidents/items?offset=99999999999999999999", 400, "offset"),
    ("/ogc/collections/incidents/items/99999999999999999999", 404, "no feature"),
    ("/ogc/collections/incidents/items/²", 404, "no feature"),
    ("/ogc/collections/incidents/items?bbox=1,2,3,4,5", 400, "bbox: expected minx,miny,maxx,maxy"),
    ("/ogc/collections/incidents/items?bbox=112,35,111,36", 400, "min must not be more than max"),
    ("/ogc/collections/incidents/items?bbox-crs=EPSG:3857", 400, "bbox-crs"),
    ("/ogc/collections/incidents/items?datetime=yesterday", 400, "is not RFC 3339"),
    ("/ogc/collections/incidents/items?datetime=../..", 400, "both ends of the interval are open"),
    ("/ogc/collections/incidents/items?datetime=2026-03-02/2026-03-01", 400, "ends before it starts"),
    ("/ogc/collections/workload/items?datetime=2026-03-01T10:00:00Z", 400, "workload counts whole days"),
    ("/ogc/collections/workload/items?datetime=1800-01-01/..", 400, "datetime: 1800-01-01 is out of range"),
    ("/ogc/collections/workload/items?datetime=9999-12-31", 400, "is out of range"),
    ("/ogc/collections/incidents/items?datetime=0001-01-01T00:00:00%2B08:00", 400, "is out of range"),
        ("/ogc/collections/incidents/items?datetime=2026-03-01%20/%202026-03-02", 400, "contains a space"),
    ("/ogc/collections/incidents/items?class=theft", 400, "class: unknown value 'theft'"),
    ("/ogc/collections/grids/items?class=dispute", 400, "class: unknown parameter"),
    ("/ogc/collections/incidents/items?sortby=id", 400, "sortby: unknown parameter"),
    ("/ogc/collections/incidents/items?f=html", 400, "f: 'html' is not served"),
])
def test_bad_parameters(client, county, admin_key, url, status, message):
    response = get(client, admin_key, url)
    assert response.status_code == status, response.content
    assert message in response.json()["error"]["message"]


# ------------------------------------------------------------------------- GDAL's OAPIF driver, live


@pytest.fixture(scope="module")
def live_server_url(django_db_setup, django_db_blocker):
    """gunicorn on a loopback port, serving the test database with committed data; flushed afterwards."""
    if not shutil.which("ogrinfo"):
        pytest.skip("GDAL's ogrinfo is not installed")
    with django_db_blocker.unblock():
        small_county()
        for n in range(7):
            Incident.objects.create(location=Point(112.41 + n * 0.025, 35.05, srid=4326), category="dispute",
                                    source="walk_in", description=f"事件{n}")
        _, key = create_user("ogr", "analyst", "")
        settings = connection.settings_dict
        url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        port = free_port()
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "geo.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--log-level", "warning"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url})
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                    break
                except OSError:  # refused while gunicorn starts, or a first answer slower than the timeout
                    if time.monotonic() > deadline or server.poll() is not None:
                        pytest.fail("gunicorn did not start")
                    time.sleep(0.2)
            yield f"OAPIF:http://127.0.0.1:{port}/ogc/?token={key}"
        finally:
            server.terminate()
            server.wait(timeout=10)
            reset_committed_data()


def ogrinfo(*args: str) -> str:
    result = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ogrinfo_lists_the_collections(live_server_url):
    out = ogrinfo(live_server_url)
    listed = re.findall(r"^\d+: (\w+) ", out, flags=re.MULTILINE)
    assert listed[:7] == ["provinces", "cities", "counties", "townships", "villages", "grids", "dedicated_grids"]
    assert {"incidents", "workload", "buildings", "places"} <= set(listed)


def test_ogrinfo_summarises_and_reads_a_collection_page_by_page(live_server_url):
    summary = ogrinfo("-so", live_server_url, "incidents")
    assert "Feature Count: 7" in summary
    assert "Geometry: Point" in summary
    assert re.search(r"^class: String", summary, flags=re.MULTILINE)
    # Two features a page: GDAL follows our next links, token and all, to the end.
    features = ogrinfo("-al", "-q", "-oo", "PAGE_SIZE=2", live_server_url, "incidents")
    assert features.count("OGRFeature(incidents)") == 7
    assert features.count("POINT (") == 7
    assert "事件6" in features
    grids = ogrinfo("-al", "-q", live_server_url, "grids")
    assert grids.count("OGRFeature(grids)") == 2 and "MULTIPOLYGON" in grids
