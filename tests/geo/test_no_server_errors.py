"""A sweep of malformed input over every route: whatever a caller sends, the answer is never a 5xx.

The routes are derived, not listed: every named route of the URL resolver (outside Django's admin),
each parameter filled from SAMPLES, and every request goes through the production WSGI application (the
fast path first, Django behind it), so a new route, or a new fast-path route, is swept without editing
this file; a route whose parameters SAMPLES cannot fill fails test_every_route_is_swept.

Two sweeps:

- Deterministic (seeded) picks from a list of bad values (empty, non-numeric, out of range, swapped
  bounding boxes, impossible dates, SQL-ish text, emoji, wrong JSON types, invalid geometries) for the
  query parameters and body fields the routes take. Each must get a 4xx (or a 2xx when the value happens
  to be acceptable, e.g. an empty optional filter); a 5xx is a defect. These POSTs run in the test's
  transaction, so whatever a lucky body changes is rolled back.
- Every class geo.screen refuses (NUL, lone surrogates, dates at the calendar's ends, numbers past 64 bits
  or a double, thousands of digits, JSON nested thousands deep, a foreign Host), on every route, by GET
  and POST: each is a 400 in the JSON error shape naming the parameter, and no table gains or loses a row.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from geo import wsgi
from geo.fastpath import FastPath
from layers.models import Incident
from tests.support.incidents import WEST_POINT, WsgiResponse, django_behind, make_world
from tests.support.tiles import tile_of
from tests.support.wsgi import call_wsgi

BAD = ["", " ", "x", "²", "419001\n", "-1", "0", "1e999", "nan", "inf", "9" * 40, "2025-13-45", "2025-02-30", "1,2,3",
       "%00", "😀", "419001", "4190011032", "1;DROP TABLE x", "[1,2]", "{}", "true", "2025-W60", "-180,-90,180,90",
       "112.5,35.0,112.4,35.1", "200,100,300,200", "a,b,c,d", "1,2,3,4,5", "3857", "99999"]
PARAMS = ["since", "until", "class", "status", "severity", "source", "area", "bbox", "level", "crs", "limit", "offset",
          "lon", "lat", "at", "week", "period", "category", "page", "start_date", "end_date", "service_code",
          "service_request_id", "personal", "geometry", "refresh", "lang", "basemap", "datetime", "f"]
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



TILE = tile_of(*WEST_POINT, 16)
PK = 987654321  # stands for the fixture's incident in the derived paths (replaced by {pk})
# What each URL parameter is filled with; every fill the route's pattern takes is swept ({pk} is the
# incident the fixture reports).
SAMPLES: dict[str, list] = {
    "pk": [PK], "feature_id": [PK], "name": list(STEPS), "employee_no": ["W-WEST"],
    "code": ["419001103200001", "419001103", "419001103200", "419001"],
    "fmt": ["json", "xml", "geojson", "csv", "gpkg"], "layer": ["incidents", "grids"],
    "collection_id": ["incidents", "grids"], "layers": ["incidents", "grids,workload"],
    "z": ["16"], "x": [str(TILE[0])], "y": [str(TILE[1])],
    "period": ["2025-11", "2025-Q4"],  # reports/<code>/<period>.pdf
}
# Tried only for a route none of SAMPLES fits (so that the sweeps do not grow with every route taking a code):
# the city and province pages, an Open311 service's definition.
FALLBACK: dict[str, list] = {"code": ["4190", "41", "dispute"]}
# Django's own admin is left out: its forms are Django's, and the screen in front of it is the same one.
SKIPPED_NAMESPACES = {"admin"}


def _patterns(patterns, namespace: str | None = None) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from _patterns(entry.url_patterns, entry.namespace or namespace)
        else:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def _parameters(entry: URLPattern) -> list[str]:
    converters = getattr(entry.pattern, "converters", None)
    return list(converters) if converters else list(entry.pattern.regex.groupindex)


def _filled(entry: URLPattern, kwargs: dict) -> str | None:
    """A regex route's path with its named groups replaced by `kwargs` and each (?:a|b) by its first
    choice; None when the route is not a regex route (resolve() then checks the result)."""
    regex = getattr(entry.pattern, "_regex", None)
    if not isinstance(regex, str):
        return None
    text = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", lambda m: str(kwargs[m[1]]), regex)
    text = re.sub(r"\(\?:([^|()]*)(?:\|[^()]*)?\)", r"\1", text)
    text = re.sub(r"(\$|\\Z)$", "", text.removeprefix("^"))
    return "/" + text.replace("\\", "")


def route_paths() -> dict[str, list[str]]:
    """Route name -> every concrete path SAMPLES (else FALLBACK) can fill it with (an empty list: neither has
    a value that fits)."""
    routes: dict[str, list[str]] = {}
    for name, entry in _patterns(get_resolver().url_patterns):
        routes[name] = _paths_of(name, entry, SAMPLES) or _paths_of(name, entry, {**SAMPLES, **FALLBACK})
    return routes


def _paths_of(name: str, entry: URLPattern, samples: dict[str, list]) -> list[str]:
    names = _parameters(entry)
    paths = []
    for values in itertools.product(*(samples.get(n, []) for n in names)):
        kwargs = dict(zip(names, values, strict=True))
        try:
            path = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            path = _filled(entry, kwargs)  # reverse() gives up on some regexes, e.g. (?:pbf|mvt)
            try:
                if path is None or resolve(path).url_name != entry.name:
                    continue
            except Resolver404:
                continue
        paths.append(path.replace(str(PK), "{pk}"))
    return paths


ROUTES = route_paths()
PATHS = sorted({path for paths in ROUTES.values() for path in paths})
FIRST_PATHS = sorted(paths[0] for paths in ROUTES.values() if paths)  # one per route, for the screen sweep
FAST_ROUTES = wsgi.application.routes


def send(key: str, method: str, path: str, query: str = "", body: bytes = b"",
         content_type: str = "application/json", **headers) -> WsgiResponse:
    """One request through FastPath(geo.wsgi's routes) with Django behind, keeping the test's transaction."""
    app = FastPath(django_behind, FAST_ROUTES)
    environ = {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
    if method == "POST":
        environ.update(CONTENT_TYPE=content_type, CONTENT_LENGTH=str(len(body)))
    status, response_headers, content = call_wsgi(app, method, path, query, body, **environ)
    return WsgiResponse(int(status.split()[0]), response_headers, content)


@pytest.fixture
def caller(tree):
    world = make_world(tree)
    incident = Incident.objects.get(pk=world.report(point=WEST_POINT).json()["id"])
    return world, incident.pk


def server_errors(requests) -> list[tuple]:
    """The (url, input, status) of every request that got a 5xx; `requests` yields (url, input, send)."""
    errors = []
    for url, given, answer in requests:
        status = answer().status_code
        if status >= 500:
            errors.append((url, given, status))
    return errors


def test_every_route_is_swept():
    """Each route of the resolver has a concrete path, and each fast-path route is hit by a swept request."""
    assert [name for name, paths in ROUTES.items() if not paths] == [], "add the parameter's values to SAMPLES"
    assert len(ROUTES) >= 35
    swept = [(method, path.format(pk=1)) for path in PATHS for method in ("GET", "POST")]
    for route in FAST_ROUTES:
        assert any(method == route.method and route.path.fullmatch(path) for method, path in swept), route


def test_bad_query_parameters_never_get_a_server_error(caller):
    world, pk = caller
    pick = random.Random(6)

    def requests():
        for url in (path.format(pk=pk) for path in PATHS):
            for params in [{name: pick.choice(BAD)} for name in pick.sample(PARAMS, 4)] + \
                          [{name: pick.choice(BAD) for name in pick.sample(PARAMS, 3)} for _ in range(2)]:
                yield url, params, lambda url=url, params=params: send(world.keys["admin"], "GET", url,
                                                                      urlencode(params))

    assert server_errors(requests()) == []


def test_bad_bodies_never_get_a_server_error(caller):
    world, pk = caller
    pick = random.Random(7)

    def requests():
        for url in (path.format(pk=pk) for path in PATHS):
            bodies = [json.dumps({f: pick.choice(GEOMETRIES + VALUES) for f in pick.sample(FIELDS, pick.randint(1, 4))})
                      for _ in range(6)]
            for body in [*bodies, "", "null", "[]", "\ufffe", '{"a":', '"text"', "1e999"]:
                yield url, body, lambda url=url, body=body: send(world.keys["admin"], "POST", url, body=body.encode())

    assert server_errors(requests()) == []


# ---- the classes geo.screen refuses, on every route ---------------------------------------------------

# (what, the value) for a query parameter: each is a 400 naming the parameter, whichever route it reaches.
QUERY_CLASSES = [
    ("NUL", "4190\x0001"), ("first day", "0001-01-01"), ("last day", "9999-12-31"), ("first week", "0001-W01"),
    ("last day, basic form", "99991231"),
    ("interval from year 1", "0001-01-01T00:00:00Z/.."), ("400 digits", "9" * 400), ("double overflow", "1e999"),
    ("past 64 bits", str(2 ** 64)), ("list item past 64 bits", f"1,{2 ** 70}"),
]
QUERY_NAMES = ["since", "until", "week", "offset", "limit", "start_date", "datetime", "bbox", "refresh", "x-unknown"]
# (what, body, the field named) for a JSON body.
BODY_CLASSES = [
    ("NUL", json.dumps({"description": "a\x00b"}), "description"),
    ("lone surrogate", '{"note": "\\ud800"}', "note"),
    ("surrogate in a key", '{"\\udfff": 1}', "body"),
    ("nested 5000 deep", "[" * 5000 + "]" * 5000, "body"),
    ("nested objects", '{"a":' * 3000 + "1" + "}" * 3000, "body"),
    ("5000 digits", '{"days": ' + "9" * 5000 + "}", "body"),
    ("double overflow", '{"lon": 1e999, "lat": 35}', "lon"),
    ("NaN", '{"lat": NaN}', "lat"),
    ("past 64 bits", json.dumps({"offset": 2 ** 64}), "offset"),
    ("first day", json.dumps({"valid_from": "0001-01-01"}), "valid_from"),
    ("last day", json.dumps({"start_date": "9999-12-31T23:59:59Z"}), "start_date"),
    ("deep geometry", json.dumps({"boundary": {"type": "Polygon", "coordinates": functools.reduce(
        lambda inner, _: [inner], range(40), [112.4, 35.0])}}), "body"),
]


def row_counts() -> dict[str, int]:
    """Rows of every table of Gridmap's apps: what a refused request must not change."""
    models = [m for label in ("geo", "grids", "layers", "tiles") for m in apps.get_app_config(label).get_models()]
    return {m._meta.db_table: m.objects.count() for m in models if m._meta.managed}


def refused(response, field: str) -> str | None:
    """None when `response` is the screen's 400 naming `field`; otherwise what is wrong, for the report."""
    if response.status_code != 400:
        return f"status {response.status_code}"
    try:
        error = response.json()["error"]
    except (ValueError, KeyError):
        return "not the JSON error shape"
    return None if error.get("field") == field else f"field {error.get('field')!r}: {error.get('message')}"


def test_every_malformed_class_is_a_400_naming_the_parameter_on_every_route(caller):
    world, pk = caller
    key = world.keys["admin"]
    before = row_counts()
    wrong = []
    for url in (path.format(pk=pk) for path in FIRST_PATHS):
        for method in ("GET", "POST"):
            for what, value in QUERY_CLASSES:
                for name in QUERY_NAMES:
                    problem = refused(send(key, method, url, urlencode({name: value})), name)
                    if problem:
                        wrong.append((method, url, f"{name}: {what}", problem))
            # NUL in the path itself (a code, an id, a format): the screen refuses it before the resolver.
            problem = refused(send(key, method, url[:-1] + "\x00" + url[-1:]), "path")
            if problem:
                wrong.append((method, url, "NUL in the path", problem))
            problem = refused(send(key, method, url, HTTP_HOST="evil.example"), "Host")
            if problem:
                wrong.append((method, url, "foreign Host", problem))
        for what, body, field in BODY_CLASSES:
            problem = refused(send(key, "POST", url, body=body.encode()), field)
            if problem:
                wrong.append(("POST", url, what, problem))
        form = urlencode({"description": "a\x00b", "api_key": key}).encode()
        problem = refused(send(key, "POST", url, body=form, content_type="application/x-www-form-urlencoded"),
                          "description")
        if problem:
            wrong.append(("POST form", url, "NUL", problem))
        multipart = encode_multipart(BOUNDARY, {"description": "a\x00b", "api_key": key})
        problem = refused(send(key, "POST", url, body=multipart, content_type=MULTIPART_CONTENT), "description")
        if problem:
            wrong.append(("POST multipart", url, "NUL", problem))
    assert wrong == []
    assert row_counts() == before


def test_a_login_form_with_a_nul_or_a_date_is_refused(client, db):
    """Form posts too, url-encoded or multipart (the screen reads the fields Django parsed)."""
    response = client.post("/accounts/login/", urlencode({"username": "ad\x00min", "password": "x"}),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.json()["error"]["field"] == "username"
    response = client.post("/accounts/login/", {"username": "admin", "password": "0001-01-01"})  # multipart
    assert response.status_code == 400 and response.json()["error"]["field"] == "password"


@pytest.mark.parametrize(("url", "field", "words"), [
    ("/api/incidents?area=419001%0A", "area", "expected an area code"),
    ("/api/export/incidents.geojson?area=419001%0A", "area", "is not an area code"),
    ("/ogc/collections/incidents/items?area=419001%0A", "area", "is not an area code"),
    ("/tiles/incidents/16/{x}/{y}.pbf?area=419001%0A", "area", "is not an area code"),
    ("/api/export/incidents.json", "format", "unknown format 'json'"),
    ("/ogc/collections/incidents/items?datetime=2026-01-01%20/%202026-02-01", "datetime", "contains a space"),
    ("/ogc/collections/incidents/items?datetime=2026-01-01T00:00:00%2008:00", "datetime", "contains a space"),
])
def test_values_a_view_must_refuse(caller, url, field, words):
    world, _ = caller
    path, _, query = url.format(x=TILE[0], y=TILE[1]).partition("?")
    response = send(world.keys["admin"], "GET", path, query)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["field"] == field and words in error["message"]


def test_a_planner_preview_whose_srid_contradicts_its_lonlat_is_a_400(caller):
    world, _ = caller
    lonlat = {"type": "Polygon", "coordinates": [[[112.41, 35.01], [112.49, 35.01], [112.49, 35.09],
                                                  [112.41, 35.09], [112.41, 35.01]]]}
    for srid in (3857, 4527):
        body = json.dumps({"boundary": lonlat, "srid": srid}).encode()
        response = send(world.keys["planner"], "POST", "/api/areas/419001103200001/redraw/preview", body=body)
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["field"] == "srid" and "are degrees of longitude and latitude" in error["message"]


def test_a_list_outside_the_scope_answers_without_reading_incidents(caller):
    """A leader of township 419001103 asking for township 419001104's matters: nothing, and not a single
    query on the incidents table (it used to scan the scope's incidents: 7.7 s at 5M). In scope: one."""
    world, _ = caller

    def incident_queries(area: str) -> tuple[list, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = world.get("leader", "/api/incidents", {"area": area})
        assert response.status_code == 200
        return response.json()["features"], [q["sql"] for q in queries if "layers_incident" in q["sql"]]

    features, sql = incident_queries("419001104")
    assert features == [] and sql == []
    features, sql = incident_queries("419001103200001")
    assert len(features) == 1 and len(sql) == 1
