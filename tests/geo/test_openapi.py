"""/api/openapi.json documents every /api/ route; /ogc/api states its constraints.

The contract itself (every answer is one the documents list) is checked by Schemathesis against a
running app: scripts/schemathesis, and test_schemathesis_finds_nothing below on the test database.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from geo.access import clear_token_cache, create_user
from grids.codes import AREA_CODE_PATTERN

PARAM = re.compile(r"\{[^}]+\}")


def _routes(patterns=None, prefix: str = "") -> list[tuple[str, object]]:
    """(route as text, view) for every URL pattern, includes flattened."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            found.append((prefix + route, entry.callback))
    return found


def _template(route: str) -> str:
    """A Django route (path converters or a regex) as an OpenAPI path with anonymous parameters: /api/x/{}."""
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"\(\?P<\w+>(?:[^()]|\([^()]*\))*\)", "{}", route)  # re_path's named groups
    route = re.sub(r"<(?:\w+:)?\w+>", "{}", route)  # path("api/incidents/<int:pk>")
    return "/" + route.replace("\\.", ".")


@pytest.fixture
def api(client, db):
    clear_token_cache()
    _, key = create_user("reader", "analyst", "")
    return lambda path: client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def document(api):
    response = api("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_every_api_route_is_documented(document):
    routes = {_template(route) for route, _ in _routes() if route.lstrip("^").startswith("api/")}
    assert len(routes) >= 18
    documented = {PARAM.sub("{}", path) for path in document["paths"]}
    assert not routes - documented, f"routes under /api/ missing from /api/openapi.json: {sorted(routes - documented)}"
    # A layer with parameters of its own is documented on a path of its own (/api/export/safety_index.{}),
    # which the route /api/export/{}.{} serves.
    served = {path for path in documented - routes
              if any(re.fullmatch(re.escape(route).replace(r"\{\}", "[^/{}]+"), path.replace("{}", "x"))
                     for route in routes)}
    assert not documented - routes - served, f"documented but not routed: {sorted(documented - routes - served)}"


def test_every_documented_path_reaches_a_view(document):
    """Fill each path's parameters from their schemas and resolve it: a typo in a template would not resolve."""
    samples = {"code": "419001103", "id": "1", "action": "accept", "employee_no": "W1", "layer": "incidents",
               "format": "geojson"}
    for path in document["paths"]:
        concrete = PARAM.sub(lambda m: samples[m.group(0)[1:-1]], path)
        match = resolve(concrete)
        assert match.url_name, path


def test_the_document_is_openapi_31_with_errors_and_security(document):
    assert document["openapi"] == "3.1.0"
    assert set(document["components"]["securitySchemes"]) == {"bearer", "token", "session"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["operationId"] and operation["summary"], (path, method)
            assert {"401", "414"} <= set(operation["responses"]), (path, method)
            for parameter in operation["parameters"]:
                assert parameter["schema"], (path, method, parameter["name"])
    locate = {p["name"]: p for p in document["paths"]["/api/locate"]["get"]["parameters"]}
    assert locate["lon"]["required"] and locate["lon"]["schema"]["maximum"] == 180


def test_the_document_needs_a_caller(client, db):
    assert client.get("/api/openapi.json").status_code == 401


def test_the_ogc_document_states_its_constraints(api):
    document = api("/ogc/api").json()
    assert document["openapi"].startswith("3.0")  # the landing page declares the oas30 conformance class
    items = document["paths"]["/collections/incidents/items"]["get"]
    parameters = {p["name"]: p for p in items["parameters"]}
    bbox = parameters["bbox"]
    assert bbox["schema"]["items"] == {"type": "number", "minimum": -180, "maximum": 180}
    assert "-90..90" in bbox["description"] and "min not more than its max" in bbox["description"]
    assert parameters["area"]["schema"]["pattern"] == "^$|" + AREA_CODE_PATTERN  # empty = no filter
    assert {"400", "401", "404", "414"} <= set(items["responses"])
    assert items["responses"]["400"]["content"]["application/json"]["schema"]["required"] == ["error"]
    pattern = re.compile(parameters["class"]["schema"]["pattern"])
    assert pattern.match("dispute, petition") and not pattern.match("dispute,fire")
    datetime = re.compile(parameters["datetime"]["schema"]["pattern"])
    assert datetime.match("2026-11-01/2026-11-30") and datetime.match("../2026-11-22T03:10:00Z")
    assert not datetime.match("2026-11-01 / 2026-11-30") and not datetime.match("yesterday")


def test_unknown_api_paths_answer_the_json_error(client, db):
    for path in ("/api/nothing-here", "/api/incidents/null,null", "/ogc/collections/x/y/z"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found", path
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
