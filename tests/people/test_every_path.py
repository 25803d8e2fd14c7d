"""No path gives a user without the personal-data right a person's field or a key-group count under
the threshold: the API and the admin (test_api, test_admin), the tiles (test_tiles), the dashboards
(test_dashboards), and here every export format and OGC collection, and every answer of the people
routes, read as text for the demo names and identity numbers."""

from __future__ import annotations

import json

import pytest

from geo.models import AuditRecord
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


def _features(world, who: str, path: str) -> dict[str, dict]:
    answer = world.api(who).get(path)
    assert answer.status_code == 200, (path, answer.content[:300])
    text = b"".join(answer.streaming_content) if answer.streaming else answer.content
    return {f["properties"]["code"]: f["properties"] for f in json.loads(text)["features"]}


def test_people_export_and_ogc_show_small_key_counts_as_under_threshold(world):
    """The people export layer and OGC collections carry the counts, a key group's 1 as "< 5" for a user
    without the right (and in every OGC answer, which is never personal); the control shows that the 1 is
    there and that a personal export by a user with the right reads it."""
    west, village = "419001103200001", "419001103200"
    for path in ("/api/export/people.geojson", "/ogc/collections/people/items",
                 "/ogc/collections/people_villages/items", "/api/export/people.geojson?level=3"):
        for who in ("leader", "officer"):
            rows = _features(world, who, path)
            code = village if "level=3" in path or "villages" in path else west
            assert rows[code]["population"] == (3 if code == west else 4), (path, who)  # the counts are there ...
            assert rows[code]["key_correction"] == "< 5", (path, who)  # ... the small key count is not
            assert rows[code]["key_drug"] == "0", (path, who)  # 0 reveals nobody
    csv = b"".join(world.api("leader").get("/api/export/people.csv").streaming_content).decode()
    line = next(row for row in csv.splitlines() if row.startswith(west))
    assert ",< 5," in line and ",1,0,0,0,0,0," not in line
    # Control: the count is 1, and a personal export (audited, the right required) shows it.
    assert world.api("leader").get("/api/export/people.geojson?personal=1").status_code == 403
    personal = _features(world, "officer", "/api/export/people.geojson?personal=1")
    assert personal[west]["key_correction"] == "1" and personal[west]["population"] == 3
    assert AuditRecord.objects.filter(action=AuditRecord.Action.EXPORT, target="people",
                                      detail__personal=True).exists()
    # Same counts as /api/stats (one definition).
    stats = world.api("leader").get(f"/api/stats/{west}").json()["people"]["unit"]
    assert stats["population"] == personal[west]["population"]
    assert stats["key_persons"]["correction"] == "< 5"
    assert stats["residents_per_km2"] == personal[west]["per_km2"]
    # A grid-scoped user gets only the areas inside their grid (a township row would count others).
    eastie = _features(world, "eastie", "/api/export/people.geojson?level=2")
    assert eastie == {}
    assert set(_features(world, "westie", "/api/export/people.geojson")) == {west}
