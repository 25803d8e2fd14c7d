"""Shared fixtures: a tiny area tree of named shapes on a real PostGIS.

    county 419001 ─ township 419001103 ─ village 419001103200 ─ grids west (…001) | east (…002)

The two grids share the edge x = 112.5; `on_edge` is a point exactly on it.
"""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from grids.models import Area

WEST, MID, EAST = 112.4, 112.5, 112.6
SOUTH, NORTH = 35.0, 35.1


def box(west: float, south: float, east: float, north: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((west, south, east, north)), srid=4326)


@pytest.fixture
def tree(db) -> dict[str, Area]:
    county = Area.objects.create(code="419001", name="济源示范区", level=1, boundary=box(WEST, SOUTH, EAST, NORTH))
    township = Area.objects.create(code="419001103", name="承留镇", level=2, parent=county,
                                   boundary=box(WEST, SOUTH, EAST, NORTH))
    village = Area.objects.create(code="419001103200", name="承留村", level=3, parent=township,
                                  boundary=box(WEST, SOUTH, EAST, NORTH))
    west = Area.objects.create(code="419001103200001", name="西网格", level=4, kind="rural", parent=village,
                               boundary=box(WEST, SOUTH, MID, NORTH))
    east = Area.objects.create(code="419001103200002", name="东网格", level=4, kind="rural", parent=village,
                               boundary=box(MID, SOUTH, EAST, NORTH))
    return {"county": county, "township": township, "village": village, "west": west, "east": east}


@pytest.fixture
def inside_west() -> Point:
    return Point(112.45, 35.05, srid=4326)


@pytest.fixture
def inside_east() -> Point:
    return Point(112.55, 35.05, srid=4326)


@pytest.fixture
def on_edge() -> Point:
    return Point(MID, 35.05, srid=4326)


@pytest.fixture
def disjoint() -> Point:
    return Point(113.5, 35.05, srid=4326)


@pytest.fixture(autouse=True)
def _tile_cache(settings, tmp_path):
    """Each test gets its own tile cache and a fresh view of the tile versions."""
    from tiles.versions import INDEX

    settings.GRIDMAP_TILE_CACHE_DIR = str(tmp_path / "tilecache")
    INDEX.reset()
    yield
    INDEX.reset()


def reset_committed_data() -> None:
    """Empty the test database after data was committed for another process (gunicorn), leaving it as
    the next test expects: the migrated rows (content types, seeded time limits) back with their ids.

    A plain `flush` recreates content types under new ids, which collides with tests that use
    serialized_rollback to put the migrated rows back.
    """
    from django.core.management import call_command
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(contents)
    else:
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Tests read messages in English, the catalogue's source language: GRIDMAP_LANGUAGE's default is zh-Hans,
    and tests/test_i18n.py checks that default (and ?lang=, the cookie, the fast path) in its own tests."""
    settings.LANGUAGE_CODE = "en"
