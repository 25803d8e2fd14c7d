"""The people tile layer: counts per area equal the rollup, a write makes the tile fresh, and no tile
carries a person or a key-group count, whoever asks."""

from __future__ import annotations

import pytest

from people import services
from tests.people.conftest import id_number
from tests.support.tiles import features, instant_versions  # noqa: F401  (a fixture)

# Poll the tile versions on every request, so a test sees a write at once.
pytestmark = pytest.mark.usefixtures("instant_versions")


def test_people_polygons_carry_counts_density_and_workers(world):
    found = {f["properties"]["code"]: f["properties"]
             for f in features(world.client, world.keys["leader"], "people", 12, 112.45, 35.05)}
    west = found["419001103200001"]
    assert (west["population"], west["households"], west["enterprises"], west["workers"]) == (3, 0, 0, 1)
    assert west["per_worker"] == 3.0 and west["per_km2"] > 0
    assert found["419001103200002"]["enterprises"] == 1
    # A new resident shows on the next fetch (the rollup's trigger makes the tile stale).
    services.register(name="新居民", id_number=id_number(30), room=world.objs["west_rooms"][3])
    again = {f["properties"]["code"]: f["properties"]
             for f in features(world.client, world.keys["leader"], "people", 12, 112.45, 35.05)}
    assert again["419001103200001"]["population"] == 4


def test_no_person_and_no_key_group_count_in_any_tile(world):
    for who in ("leader", "officer"):
        for z in (8, 10, 12):
            for f in features(world.client, world.keys[who], "people", z, 112.45, 35.05):
                assert not {k for k in f["properties"] if k.startswith("key") or k in ("name_of", "id_number")}
                assert "演示居民" not in str(f["properties"])


def test_a_grid_scope_draws_only_its_grid(world):
    codes = {f["properties"]["code"] for f in features(world.client, world.keys["westie"], "people", 12, 112.5, 35.05)}
    assert codes == {"419001103200001"}


def test_tile_and_stats_give_the_same_density_and_load(world):
    tile = {f["properties"]["code"]: f["properties"]
            for f in features(world.client, world.keys["leader"], "people", 12, 112.45, 35.05)}["419001103200001"]
    stats = world.api("leader").get("/api/stats/419001103200001").json()["people"]["unit"]
    assert tile["per_km2"] == stats["residents_per_km2"] and tile["per_worker"] == stats["residents_per_worker"]
    assert tile["population"] == stats["population"] and tile["workers"] == stats["workers"]
