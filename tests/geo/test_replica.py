"""Which server each read goes to (geo/replica.py), proved on a real primary + hot standby pair: the
checkout's cluster and its standby, started by `geo.localdb start --standby` (conftest's `standby`).

The standby is asked itself (`pg_is_in_recovery()` is true only there); and with its replay paused, a row
committed on the primary exists only on the primary, so an answer that lacks it was read from the
standby and one that has it from the primary.
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext

from geo import localdb, replica, sql
from grids.models import Area, Worker
from layers.models import Incident
from tests.support.incidents import make_world
from tests.support.replica import replayed, replica_alias

# Committed rows (the standby sees only those), and queries allowed on both aliases.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"])


@pytest.fixture(scope="module", autouse=True)
def _replica(standby, django_db_setup, django_db_blocker):
    """The `replica` alias exists before each test's database set-up, which checks the aliases it allows."""
    with django_db_blocker.unblock(), replica_alias(standby):
        yield


@pytest.fixture
def pair(settings):
    settings.GRIDMAP_REPLICA_MAX_LAG = 3600  # the tests below pause the standby: only the guard's test lowers it
    replica.GUARD.reset()
    yield
    replica.GUARD.reset()


@pytest.fixture
def paused(pair):
    """The standby's replay paused (it keeps receiving WAL, applies none), resumed after the test."""
    standby = connections[replica.REPLICA]
    sql.rows("SELECT pg_wal_replay_pause()", using=standby)
    try:
        yield
    finally:
        sql.rows("SELECT pg_wal_replay_resume()", using=standby)


def in_recovery() -> bool:
    """Asked through the raw-SQL path (geo.sql.reader): is the server it reads from the standby?"""
    return sql.rows("SELECT pg_is_in_recovery() AS standby")[0]["standby"]


READ_FROM_STANDBY = [("GET", "/tiles/incidents/12/3335/1620.pbf"), ("GET", "/tiles/grids.json"), ("GET", "/"),
                     ("GET", "/dashboards/township/419001103/"), ("HEAD", "/dashboards/workload/"),
                     ("GET", "/api/stats/419001"), ("GET", "/api/export/incidents.csv"),
                     ("GET", "/ogc/collections/incidents/items")]
READ_FROM_PRIMARY = [("POST", "/api/incidents"), ("GET", "/api/incidents"), ("GET", "/api/incidents/1"),
                     ("GET", "/planner/419001103200001/"), ("POST", "/api/areas/419001103200001/preview"),
                     ("GET", "/accounts/login/"), ("POST", "/tiles/grids/1/0/0.pbf"), ("GET", "/api/wall")]


def test_read_paths_read_from_the_standby(pair, tree):
    replayed()
    for method, path in READ_FROM_STANDBY:
        with replica.reads_for(method, path):
            assert in_recovery() is True, path
            assert router.db_for_read(Area) == replica.REPLICA
            with CaptureQueriesContext(connections[replica.REPLICA]) as on_standby, \
                    CaptureQueriesContext(connections["default"]) as on_primary:
                assert Area.objects.filter(code="419001").count() == 1
            assert (len(on_standby), len(on_primary)) == (1, 0), path
            assert router.db_for_write(Area) == "default"


def test_writes_and_other_paths_read_from_the_primary(pair):
    for method, path in READ_FROM_PRIMARY:
        with replica.reads_for(method, path):
            assert in_recovery() is False, (method, path)
            assert router.db_for_read(Area) == "default"


def test_outside_a_request_everything_is_on_the_primary(pair):
    assert in_recovery() is False
    assert router.db_for_read(Area) == "default"


def test_a_transaction_reads_its_own_writes_on_the_primary(pair, tree):
    with replica.reads_for("GET", "/api/stats/419001"):
        with transaction.atomic():
            Worker.objects.create(employee_no="W-NEW", name="new", role="full_time")
            assert Worker.objects.filter(employee_no="W-NEW").exists()
            assert in_recovery() is False
        # The session (a login is read back at once) is read on the primary while the primary answers.
        assert router.db_for_read(Session) == "default"


def test_requests_answer_from_the_server_the_router_chose(paused, tree):
    """An intake's answer comes from the primary (read-after-write); stats and OGC from the standby, which
    has not replayed that intake; /api/incidents (not a read path) from the primary; and once the standby
    is further behind than GRIDMAP_REPLICA_MAX_LAG, the lag guard sends stats back to the primary."""
    world = make_world(tree)
    first = world.report()
    assert first.status_code == 201, first.content
    sql.rows("SELECT pg_wal_replay_resume()", using=connections[replica.REPLICA])
    replayed()
    sql.rows("SELECT pg_wal_replay_pause()", using=connections[replica.REPLICA])
    answer = world.report(description="after the pause")
    assert answer.status_code == 201 and answer.json()["properties"]["description"] == "after the pause"
    assert Incident.objects.count() == 2  # the primary (no request: no routing)

    def matched() -> int:
        body = world.get("op", "/ogc/collections/incidents/items", {"limit": "1"}).json()
        return body["numberMatched"]

    def reported() -> int:
        response = world.get("op", "/api/stats/419001")
        assert response.status_code == 200, response.content
        return response.json()["figures"]["intake"]

    assert matched() == 1 and reported() == 1  # the standby: replay stopped before the second intake
    assert world.get("op", f"/api/incidents/{answer.json()['id']}").status_code == 200  # the primary

    from django.conf import settings

    settings.GRIDMAP_REPLICA_MAX_LAG = 0.0  # the standby is behind by more than that now
    replica.GUARD.reset()
    assert replica.GUARD.replica_usable() is False and replica.GUARD.current().lag > 0
    assert matched() == 2 and reported() == 2  # the guard fell back to the primary


def test_the_guard_sees_a_standby_that_caught_up(pair, tree):
    replayed()
    replica.GUARD.reset()
    health = replica.GUARD.current()
    assert health.primary_up and health.replica_up and health.lag is not None
    assert replica.GUARD.replica_usable()


def test_the_guard_sends_reads_to_the_primary_when_the_standby_does_not_answer(pair):
    entry = connections.settings[replica.REPLICA]
    port = entry["PORT"]
    entry["PORT"] = str(localdb._free_port())  # nothing listens there
    try:
        replica.GUARD.reset()
        with replica.reads_for("GET", "/tiles/grids.json"):
            assert in_recovery() is False
        assert replica.GUARD.current().replica_up is False
    finally:
        entry["PORT"] = port
