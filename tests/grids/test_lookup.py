"""/api/locate: the chain of areas of a point, today or on a past date, one answer on a shared edge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from grids.models import Area, BoundaryVersion
from tests.support.grids import NORTH, SOUTH, api_as, box

W, E = "419001103200001", "419001103200002"


@pytest.fixture
def api(client, tree):
    return api_as(client, "analyst", "analyst", tree["county"].code)


def test_chain_of_a_point(api, tree):
    body = api.get("/api/locate", lon="112.55", lat="35.05").json()
    assert [body[k]["code"] for k in ("county", "township", "village", "grid")] == [
        "419001", "419001103", "419001103200", E]
    assert body["grid"]["name"] == "东网格"
    assert body["dedicated"] == []
    assert (body["lon"], body["lat"], body["at"]) == (112.55, 35.05, None)


def test_dedicated_grids_are_listed_too(api, tree):
    Area.objects.create(code="4190011032009001", name="学校", level=5, kind="school", parent=tree["village"],
                        boundary=box(112.54, 35.04, 112.56, 35.06))
    body = api.get("/api/locate", lon="112.55", lat="35.05").json()
    assert body["grid"]["code"] == E
    assert body["dedicated"] == [{"code": "4190011032009001", "name": "学校", "kind": "school"}]


def test_point_on_a_shared_edge_gets_the_lowest_code_like_placement(api, tree):
    # Same rule as the placement trigger, so a building on the edge and the lookup agree.
    for _ in range(3):
        assert api.get("/api/locate", lon="112.5", lat="35.05").json()["grid"]["code"] == W
    with connection.cursor() as cursor:
        cursor.execute("SELECT gridmap_area_at(ST_SetSRID(ST_MakePoint(112.5, 35.05), 4326), 4)")
        assert cursor.fetchone()[0] == W


def test_point_on_a_cut_between_parts_of_a_large_area_is_found_once(api, tree):
    # A county outline of 2,000 vertices is cut into parts; a point on a cut lies in two parts.
    ring = [(112.4 + 0.2 * i / 999, 35.0) for i in range(1000)] + [(112.6 - 0.2 * i / 999, 35.1) for i in range(1000)]
    wkt = "MULTIPOLYGON(((" + ", ".join(f"{x} {y}" for x, y in [*ring, ring[0]]) + ")))"
    Area.objects.filter(code="419001").update(boundary=wkt)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM grids_areapart WHERE area_code = '419001'")
        assert cursor.fetchone()[0] > 1
    for lon in ("112.45", "112.5", "112.55", "112.4999"):
        assert api.get("/api/locate", lon=lon, lat="35.05").json()["county"]["code"] == "419001"


def test_point_outside_every_area(api, tree):
    body = api.get("/api/locate", lon="113.5", lat="35.05").json()
    assert body["county"] is None and body["grid"] is None and body["dedicated"] == []


def test_lookup_in_the_past_answers_with_the_boundaries_of_that_day(api, tree):
    BoundaryVersion.objects.update(valid_from=dt.date(2020, 1, 1))
    on = dt.date(2025, 1, 1)
    tree["west"].replace_boundary(box(112.4, SOUTH, 112.52, NORTH), on=on, reason="t")
    tree["east"].replace_boundary(box(112.52, SOUTH, 112.6, NORTH), on=on, reason="t")
    assert api.get("/api/locate", lon="112.51", lat="35.05").json()["grid"]["code"] == W
    assert api.get("/api/locate", lon="112.51", lat="35.05", at="2024-12-31").json()["grid"]["code"] == E
    assert api.get("/api/locate", lon="112.51", lat="35.05", at="2025-01-01").json()["grid"]["code"] == W
    assert api.get("/api/locate", lon="112.51", lat="35.05", at="2019-01-01").json()["grid"] is None


@pytest.mark.parametrize(("params", "message"), [
    ({}, "lon and lat are required"),
    ({"lon": "112.5"}, "lon and lat are required"),
    ({"lon": "east", "lat": "35"}, "lon and lat must be numbers"),
    ({"lon": "nan", "lat": "35"}, "NaN"),
    ({"lon": "35.05", "lat": "112.55"}, "look like lat, lon"),
    ({"lon": "200", "lat": "35"}, "out of range"),
    ({"lon": "112.5", "lat": "35", "at": "yesterday"}, "at: 'yesterday' is not a date; use YYYY-MM-DD"),
    ({"lon": "112.5", "lat": "35", "at": "2025-02-30"}, "at: '2025-02-30' is not a date; use YYYY-MM-DD"),
])
def test_bad_input_is_a_400_naming_the_problem(api, params, message):
    response = api.get("/api/locate", **params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_scope_hides_other_townships_and_keeps_ancestors(client, tree):
    other = api_as(client, "t104", "leader", "419001104")
    body = other.get("/api/locate", lon="112.55", lat="35.05").json()
    assert [body[k] for k in ("county", "township", "village", "grid")] == [None] * 4
    mine = api_as(client, "t103", "leader", "419001103")
    body = mine.get("/api/locate", lon="112.55", lat="35.05").json()
    assert body["county"]["code"] == "419001" and body["grid"]["code"] == E
    grid_user = api_as(client, "w1", "grid_worker", W)
    assert grid_user.get("/api/locate", lon="112.55", lat="35.05").json()["grid"] is None
    assert grid_user.get("/api/locate", lon="112.45", lat="35.05").json()["village"]["code"] == "419001103200"


def test_anonymous_is_refused(client, tree):
    assert client.get("/api/locate", {"lon": "112.5", "lat": "35"}).status_code == 401


def test_a_lookup_is_one_query(api, tree, django_assert_num_queries):
    api.get("/api/locate", lon="112.55", lat="35.05")  # resolves and caches the token
    with django_assert_num_queries(1):
        assert api.get("/api/locate", lon="112.55", lat="35.05").status_code == 200
