"""No path gives a user without the personal-data right a person's field or a key-group count under
the threshold: the API and the admin (test_api, test_admin), the tiles (test_tiles), the dashboards
(test_dashboards), and here every export format and OGC collection, and every answer of the people
routes, read as text for the demo names and identity numbers."""

from __future__ import annotations

import pytest

from tests.people.conftest import id_number

SECRETS = ("演示居民", "演示法人", "13800000000")


def texts(world, who: str, paths: list[str]) -> dict[str, str]:
    out = {}
    for path in paths:
        answer = world.api(who).get(path)
        out[path] = b"".join(answer.streaming_content).decode("utf-8", "replace") if answer.streaming else \
            answer.content.decode("utf-8", "replace")
    return out


@pytest.fixture
def catalogue(world) -> list[str]:
    layers = world.api("admin1").get("/api/export/").json()["layers"]
    names = [layer["id"] if isinstance(layer, dict) else layer for layer in layers]
    assert "areas" in names or names  # the catalogue answered
    return names


def test_exports_and_ogc_carry_no_person_and_no_small_key_count(world, catalogue):
    paths = [f"/api/export/{name}.geojson" for name in catalogue] + [f"/api/export/{name}.csv" for name in catalogue]
    collections = world.api("leader").get("/ogc/collections").json()["collections"]
    paths += [f"/ogc/collections/{c['id']}/items?limit=1000" for c in collections]
    paths += ["/api/stats/419001?children=1", "/api/areas/419001103200001", "/api/enterprises",
              f"/api/enterprises/{world.objs['enterprise'].pk}", "/api/people", "/api/people/1", "/tiles/"]
    for who in ("leader",):
        for path, text in texts(world, who, paths).items():
            assert not any(secret in text for secret in SECRETS), path
            assert id_number(0) not in text and id_number(9) not in text, path
            assert '"correction": 1' not in text and '"correction":1' not in text, path


def test_the_secrets_are_there_to_leak(world):
    """The control: the same paths do show them to a user with the right, so the test above can fail."""
    enterprise = f"/api/enterprises/{world.objs['enterprise'].pk}"
    seen = texts(world, "officer", ["/api/people", "/api/stats/419001", enterprise])
    assert "演示居民" in seen["/api/people"] and id_number(0) in seen["/api/people"]
    assert '"correction": 1' in seen["/api/stats/419001"]
    assert "演示法人" in seen[enterprise]
