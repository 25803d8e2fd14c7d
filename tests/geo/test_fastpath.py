"""The WSGI fast path (geo.fastpath) answers token tile and intake requests exactly as the Django views do,
and passes everything else to Django."""

from __future__ import annotations

import gzip
import json
import logging

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from geo.access import clear_token_cache, create_user
from geo.fastpath import FastPath
from geo.wsgi import application
from layers.models import Incident
from tests.support.tiles import tile_of
from tests.support.wsgi import call_wsgi


def call(app, path: str, query: str = "", method: str = "GET", body: bytes = b"", **headers) -> tuple[str, dict, bytes]:
    return call_wsgi(app, method, path, query, body, **headers)


def not_django(environ, start_response):
    raise AssertionError(f"fell through to Django: {environ['PATH_INFO']}")


@pytest.fixture
def app():
    clear_token_cache()
    return FastPath(not_django, application.routes)


def test_token_tile_is_served_without_django(app, tree):
    Incident.objects.create(location=Point(112.45, 35.05, srid=4326), category="dispute", source="walk_in")
    _, key = create_user("fast", "operator", tree["county"].code)
    x, y = tile_of(112.45, 35.05, 16)
    status, headers, body = call(app, f"/tiles/incidents/16/{x}/{y}.pbf", f"token={key}",
                                 HTTP_ACCEPT_ENCODING="gzip")
    assert status == "200 OK"
    assert headers["Content-Encoding"] == "gzip"
    assert len(mapbox_vector_tile.decode(gzip.decompress(body))["incidents"]["features"]) == 1
    status, _, _ = call(app, f"/tiles/incidents/16/{x}/{y}.pbf", HTTP_AUTHORIZATION=f"Bearer {key}",
                        HTTP_IF_NONE_MATCH=headers["ETag"])
    assert status == "304 Not Modified"


@pytest.mark.parametrize(("path", "query", "status", "words"), [
    ("/tiles/grids/30/0/0.pbf", "", "400 Bad Request", "zoom 30 is out of range"),
    ("/tiles/grids/8/0/0.pbf", "class=riot", "400 Bad Request", "unknown value 'riot'"),
    ("/tiles/nothing/8/0/0.pbf", "", "404 Not Found", "unknown tile layer"),
])
def test_errors_are_the_same_json(app, tree, path, query, status, words):
    _, key = create_user("fast2", "operator", tree["county"].code)
    got, headers, body = call(app, path, query, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert got == status
    assert headers["Content-Type"] == "application/json"
    assert words in json.loads(body)["error"]["message"]


@pytest.mark.parametrize(("query", "headers", "field"), [
    ("", {"HTTP_HOST": "evil.example"}, "Host"),  # Django refuses it; the fast path used to serve it
    ("", {"HTTP_X_FORWARDED_HOST": "evil.example", "HTTP_HOST": "localhost"}, None),  # not trusted: ignored
    ("class=%00", {}, "class"),
    ("since=9999-12-31", {}, "since"),
    ("x=" + "9" * 30, {}, "x"),
])
def test_the_screen_runs_before_a_tile_is_served(app, tree, query, headers, field):
    """geo.screen.check_request, the same as Django's ScreenMiddleware, before the handler runs."""
    _, key = create_user("fast3", "operator", tree["county"].code)
    status, response_headers, body = call(app, "/tiles/grids/8/0/0.pbf", query, HTTP_AUTHORIZATION=f"Bearer {key}",
                                          **headers)
    if field is None:
        assert status == "204 No Content"  # served: an empty tile
        return
    assert status == "400 Bad Request" and response_headers["X-Frame-Options"] == "SAMEORIGIN"
    assert json.loads(body)["error"]["field"] == field


def test_the_screen_reads_an_intake_body_once(app, tree):
    _, key = create_user("fast4", "grid_worker", tree["county"].code)
    status, _, body = post(app, key, b'{"description": "\\u0000", "lon": 112.45, "lat": 35.05}')
    assert status == "400 Bad Request" and json.loads(body)["error"]["field"] == "description"
    status, _, body = post(app, key, b"[" * 3000 + b"]" * 3000)
    assert status == "400 Bad Request" and "nested 3000 levels deep" in json.loads(body)["error"]["message"]
    status, _, _ = post(app, key, REPORT)
    assert status == "201 Created"  # the handler got the bytes the screen read


def test_bad_token_is_401_and_requests_without_token_go_to_django(app, tree):
    status, _, body = call(app, "/tiles/grids/8/0/0.pbf", "token=nope")
    assert status == "401 Unauthorized" and b"unknown or revoked" in body
    with pytest.raises(AssertionError, match="fell through to Django"):
        call(app, "/tiles/grids/8/0/0.pbf")


# ---- intake ----------------------------------------------------------------------------------------

def post(app, key: str | None, body: bytes, content_type: str = "application/json", **extra):
    headers = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), **extra}
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return call(app, "/api/incidents", method="POST", body=body, **headers)


REPORT = json.dumps({"category": "dispute", "source": "walk_in", "lon": 112.45, "lat": 35.05,
                     "client_id": "fast-1"}).encode()


def test_token_intake_is_served_without_django_and_answers_as_the_view(app, tree, client):
    _, key = create_user("fast-op", "operator", tree["county"].code)
    status, headers, body = post(app, key, REPORT)
    assert status == "201 Created", body
    feature = json.loads(body)
    assert feature["properties"]["grid"] == tree["west"].code
    assert headers["Location"] == f"/api/incidents/{feature['id']}"
    # The view answers the replay of the same report with the same Feature and the same headers.
    response = client.post("/api/incidents", REPORT, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201 and response.json() == feature
    assert response["Idempotent-Replayed"] == "true"
    _, replayed_headers, _ = post(app, key, REPORT)
    assert set(replayed_headers) == set(response.headers), "the fast path must send the view's headers"
    assert {name: replayed_headers[name] for name in replayed_headers if name != "Content-Length"} == \
        {name: response[name] for name in response.headers if name != "Content-Length"}
    assert Incident.objects.filter(client_id="fast-1").count() == 1


@pytest.mark.parametrize(("who", "status", "words"), [
    ("bad-token", "401 Unauthorized", "unknown or revoked"),
    ("analyst", "403 Forbidden", "may not report incidents"),
])
def test_intake_refusals_are_the_views(app, tree, who, status, words):
    key = "nope" if who == "bad-token" else create_user("fast-analyst", "analyst", tree["county"].code)[1]
    got, headers, body = post(app, key, REPORT)
    assert (got, headers["Content-Type"]) == (status, "application/json")
    assert words in json.loads(body)["error"]["message"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize(("body", "extra"), [
    (REPORT, {}),  # no token: sessions and CSRF are Django's business
    (b"category=dispute&source=walk_in&lon=112.45&lat=35.05", {"CONTENT_TYPE": "application/x-www-form-urlencoded"}),
    (REPORT, {"CONTENT_LENGTH": ""}),  # chunked: no declared length
])
def test_other_posts_go_to_django(app, tree, body, extra):
    key = None if not extra and body is REPORT else create_user("fast-op2", "operator", tree["county"].code)[1]
    with pytest.raises(AssertionError, match="fell through to Django"):
        post(app, key, body, **extra)


def test_an_unexpected_error_is_logged_and_answered_in_json(app, tree, monkeypatch, caplog):
    _, key = create_user("fast-op3", "operator", tree["county"].code)

    def broken(access, fields):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("layers.incidents.fastpath.intake_answer", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        status, headers, body = post(app, key, REPORT)
    assert status == "500 Internal Server Error"
    assert json.loads(body)["error"]["code"] == "internal_error" and b"disk" not in body
    assert "disk on fire" in caplog.text


def test_an_anonymous_post_to_the_api_is_told_to_authenticate_in_json(tree, django_user_model):
    """Django's CSRF check runs before the view: for API paths its refusal is JSON, and names what to do."""
    status, headers, body = call(application, "/api/incidents", method="POST", body=REPORT,
                                 CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(REPORT)))
    assert (status, headers["Content-Type"]) == ("401 Unauthorized", "application/json")
    assert "send an API token" in json.loads(body)["error"]["message"]
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(django_user_model.objects.create_user("session-user"))
    response = csrf_client.post("/api/incidents", REPORT, content_type="application/json")
    assert response.status_code == 403 and "CSRF token" in response.json()["error"]["message"]
    assert not Incident.objects.exists()
