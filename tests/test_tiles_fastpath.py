"""The WSGI fast path answers token tile requests exactly as the Django view does."""

from __future__ import annotations

import gzip
import json

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Point
from django.core import signals
from django.db import close_old_connections

from geo.access import clear_token_cache, create_user
from layers.models import Incident
from tests.test_tiles import tile_of
from tiles.fastpath import TileFastPath


def call(app, path: str, query: str = "", **headers) -> tuple[str, dict, bytes]:
    """Call the WSGI app as Django's test client calls Django: without recycling the test's connection."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, **headers}
    seen = {}

    def start_response(status, header_list):
        seen["status"], seen["headers"] = status, dict(header_list)

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(app(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], body


def not_django(environ, start_response):
    raise AssertionError(f"fell through to Django: {environ['PATH_INFO']}")


@pytest.fixture
def app():
    clear_token_cache()
    return TileFastPath(not_django)


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


def test_bad_token_is_401_and_requests_without_token_go_to_django(app, tree):
    status, _, body = call(app, "/tiles/grids/8/0/0.pbf", "token=nope")
    assert status == "401 Unauthorized" and b"unknown or revoked" in body
    with pytest.raises(AssertionError, match="fell through to Django"):
        call(app, "/tiles/grids/8/0/0.pbf")
