"""A county created other than by load_demo gets its incident partitions once its area is committed
(layers/partitions.py): its incidents then sit in their own partition, not the default one."""

from __future__ import annotations

import pytest
from django.db import connection

from grids.models import Area
from layers import partitions
from layers.models import Incident
from tests.support.areas import EAST, NORTH, SOUTH, WEST, box
from tests.support.locks import held_elsewhere

pytestmark = pytest.mark.django_db


def attached(code: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = ANY(ARRAY["
                       "'layers_incident'::regclass, 'layers_incidentevent'::regclass]) AND inhrelid::regclass::text "
                       "LIKE %s", ["%_" + code])
        return {name for (name,) in cursor.fetchall()}


def test_a_county_gets_its_partitions_after_its_commit_and_only_a_county(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        county = Area.objects.create(code="419001", name="济源示范区", level=1, boundary=box(WEST, SOUTH, EAST, NORTH))
        Area.objects.create(code="419001103", name="承留镇", level=2, parent=county,
                            boundary=box(WEST, SOUTH, EAST, NORTH))
        # Nothing before the commit: attaching locks the default partitions until the transaction ends.
        assert attached("419001") == set()
    assert len(callbacks) == 1  # the county's; the township makes none
    callbacks[0]()
    assert attached("419001") == {"layers_incident_419001", "layers_incidentevent_419001"}
    assert partitions.make_partitions("419001") == 0  # there already: nothing made twice


def test_incidents_written_before_move_in_and_later_ones_go_straight_there(tree, inside_west, inside_east):
    before = Incident.objects.create(location=inside_west, category="dispute", source="grid_discovery")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM layers_incident WHERE id = %s", [before.pk])
        assert cursor.fetchone()[0] == "layers_incident_default"
        assert partitions.make_partitions("419001") == 2
        after = Incident.objects.create(location=inside_east, category="dispute", source="grid_discovery")
        cursor.execute("SELECT id, tableoid::regclass::text FROM layers_incident ORDER BY id")
        assert cursor.fetchall() == [(before.pk, "layers_incident_419001"), (after.pk, "layers_incident_419001")]
        # Its first event followed it into the county's events partition.
        cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM layers_incidentevent WHERE incident_id = ANY(%s)",
                       [[before.pk, after.pk]])
        assert {name for (name,) in cursor.fetchall()} <= {"layers_incidentevent_419001"}


def test_a_lock_not_granted_leaves_the_county_in_the_default_partition(tree, monkeypatch, caplog):
    """Another session reading the default partition: the DDL waits LOCK_TIMEOUT, gives up, says so in the log."""
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "50ms")
    with held_elsewhere("layers_incident_default", "ACCESS SHARE"):
        assert partitions.make_partitions("419001") == 0
    assert attached("419001") == set()
    assert "stay in the default partition" in caplog.text
