"""A sweep of malformed input over every API path: whatever a caller sends, the answer is never a 5xx.

Deterministic (seeded) picks from a list of bad values — empty, non-numeric, out of range, swapped
bounding boxes, impossible dates, SQL-ish text, emoji, wrong JSON types, invalid geometries — for the
query parameters and body fields the paths take. Each bad request must get a 4xx (or a 2xx when the
value happens to be acceptable, e.g. an empty optional filter); a 500 is a defect. POSTs run in the
test's transaction, so whatever a lucky body changes is rolled back.
"""

from __future__ import annotations

import json
import random

import pytest
from django.test import Client

from layers.models import Incident
from tests.support.incidents import WEST_POINT, make_world

BAD = ["", " ", "x", "-1", "0", "1e999", "nan", "inf", "9" * 40, "2025-13-45", "2025-02-30", "1,2,3", "%00", "😀",
       "419001", "4190011032", "1;DROP TABLE x", "[1,2]", "{}", "true", "2025-W60", "-180,-90,180,90",
       "112.5,35.0,112.4,35.1", "200,100,300,200", "a,b,c,d", "1,2,3,4,5", "3857", "99999"]
PARAMS = ["since", "until", "class", "status", "severity", "source", "area", "bbox", "level", "crs", "limit", "offset",
          "lon", "lat", "at", "week", "period", "category", "page", "start_date", "end_date", "service_code",
          "service_request_id", "personal", "geometry", "refresh", "lang", "basemap", "datetime", "f"]
GET_PATHS = ["/api/me", "/api/locate", "/api/areas", "/api/areas/419001", "/api/areas/419001103/check",
             "/api/incidents", "/api/incidents/{pk}", "/api/incidents/{pk}/events", "/api/stats/workers",
             "/api/stats/workers/W-WEST", "/api/stats/419001", "/api/stats/419001103200001",
             "/open311/v2/services.json", "/open311/v2/requests.json", "/open311/v2/requests.xml",
             "/open311/v2/requests/{pk}.json", "/api/export/incidents.csv", "/api/export/grids.geojson",
             "/ogc/collections/incidents/items", "/ogc/collections/incidents/items/{pk}", "/",
             "/dashboards/township/419001103/", "/dashboards/workload/", "/dashboards/grid/419001103200001/",
             "/tiles/grids.json", "/tiles/incidents/16/53967/26197.pbf", "/tiles/workload/8/211/101.pbf",
             "/planner/419001103200001/"]
GEOMETRIES = [None, 1, "x", [], {}, {"type": "Polygon"}, {"type": "Polygon", "coordinates": []},
              {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
              {"type": "Polygon", "coordinates": [[[35.0, 112.4], [35.0, 112.5], [35.1, 112.5], [35.0, 112.4]]]},
              {"type": "Polygon",  # a bow tie
               "coordinates": [[[112.4, 35], [112.5, 35.1], [112.5, 35], [112.4, 35.1], [112.4, 35]]]},
              {"type": "MultiPolygon", "coordinates": [[[[1e308, 0], [0, 1e308], [0, 0], [1e308, 0]]]]},
              {"type": "Point", "coordinates": [112.45, 35.05]}, {"type": "FeatureCollection", "features": []}]
VALUES = [None, "", "x", 0, -1, 1.5, True, [], {}, "9" * 30, "419001103200001", "419001103200002", "W-WEST", "😀" * 10]
FIELDS = ["note", "reason", "assignee", "department", "days", "satisfaction", "boundary", "geometry", "codes",
          "code", "into", "name", "resolutions", "lat", "long", "lon", "service_code", "description", "category",
          "address_code"]
STEPS = ("accept", "dispatch", "start", "resolve", "verify", "close", "return", "escalate", "extend", "rate",
         "nonsense")
POST_PATHS = [*(f"/api/incidents/{{pk}}/{step}" for step in STEPS),
              "/api/incidents/{pk}/events", "/api/areas/419001103200001/redraw/preview",
              "/api/areas/419001103200001/redraw/commit", "/api/areas/419001103200001/split", "/api/areas/merge",
              "/open311/v2/requests.json", "/api/incidents"]


@pytest.fixture
def caller(tree):
    world = make_world(tree)
    incident = Incident.objects.get(pk=world.report(point=WEST_POINT).json()["id"])
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {world.keys['admin']}"), incident.pk


def server_errors(requests) -> list[tuple]:
    """The (url, input, status) of every request that got a 5xx; `requests` yields (url, input, send)."""
    errors = []
    for url, given, send in requests:
        status = send().status_code
        if status >= 500:
            errors.append((url, given, status))
    return errors


def test_bad_query_parameters_never_get_a_server_error(caller):
    client, pk = caller
    pick = random.Random(6)

    def requests():
        for url in (path.format(pk=pk) for path in GET_PATHS):
            for params in [{name: pick.choice(BAD)} for name in pick.sample(PARAMS, 8)] + \
                          [{name: pick.choice(BAD) for name in pick.sample(PARAMS, 3)} for _ in range(3)]:
                yield url, params, lambda url=url, params=params: client.get(url, params)

    assert server_errors(requests()) == []


def test_bad_bodies_never_get_a_server_error(caller):
    client, pk = caller
    pick = random.Random(7)

    def requests():
        for url in (path.format(pk=pk) for path in POST_PATHS):
            bodies = [json.dumps({f: pick.choice(GEOMETRIES + VALUES) for f in pick.sample(FIELDS, pick.randint(1, 4))})
                      for _ in range(12)]
            for body in [*bodies, "", "null", "[]", "\ufffe", '{"a":', '"text"', "1e999"]:
                yield url, body, lambda url=url, body=body: client.post(url, body, content_type="application/json")

    assert server_errors(requests()) == []
