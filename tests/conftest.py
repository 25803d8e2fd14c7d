"""Fixtures every test folder shares: a tiny area tree of named shapes on a real PostGIS.

    county 419001 ─ township 419001103 ─ village 419001103200 ─ grids west (…001) | east (…002)

The two grids share the edge x = 112.5; `on_edge` is a point exactly on it.
"""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from grids.models import Area
from tests.support.areas import EAST, MID, NORTH, SOUTH, WEST, box


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


@pytest.fixture(scope="session")
def standby() -> str:
    """The URL of a hot standby of the test database's cluster: DATABASE_REPLICA_URL if set, else the checkout's
    own, started (cloned the first time) by the project's helper, `geo.localdb start --standby`, only for the
    sessions that have a test needing it. Left running, like the primary."""
    import os

    from geo import localdb

    if os.environ.get("DATABASE_REPLICA_URL"):
        return os.environ["DATABASE_REPLICA_URL"]
    if os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL names a server of its own: set DATABASE_REPLICA_URL to its standby")
    localdb.start_standby()
    return localdb.standby_url()


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
    from tiles.versions import reset_all

    settings.GRIDMAP_TILE_CACHE_DIR = str(tmp_path / "tilecache")
    reset_all()
    yield
    reset_all()


def _commits(request) -> bool:
    """Whether the test's data is committed (pytest-django's test case is then a TransactionTestCase)."""
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))) or \
        bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _no_county_partitions_left(request):
    """After a test that commits, the county partitions its counties got go (tests/support/areas.py,
    drop_county_partitions), before the flush empties the rest: every test starts with incidents in the
    default partition until it makes a county's own."""
    if not _commits(request):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so torn down after this fixture
    yield
    from tests.support.areas import drop_county_partitions

    drop_county_partitions()


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Tests read messages in English, the catalogue's source language: GRIDMAP_LANGUAGE's default is zh-Hans,
    and tests/geo/test_i18n.py checks that default (and ?lang=, the cookie, the fast path) in its own tests."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_figures():
    """Each test reads its own data: whatever a keeper of this process holds (geo.kept: ended periods'
    figures, tokens, the calendar, the index's month map, the month's warnings) goes."""
    from geo import kept

    kept.forget_all()
    yield
    kept.forget_all()
