"""Named shapes of the tests' tiny area tree (see tests/conftest.py), and emptying committed data."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon, Polygon

WEST, MID, EAST = 112.4, 112.5, 112.6
SOUTH, NORTH = 35.0, 35.1


def box(west: float, south: float, east: float, north: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((west, south, east, north)), srid=4326)


def drop_county_partitions() -> list[str]:
    """Drop every county's incident partitions; returns the counties'. A committed county gets its partitions
    (layers/partitions.py), and a flush empties tables but leaves tables (DDL) in place: without this, the
    next test's county 419001 would find its partitions already made, and its incidents not in the default
    partition where the partition tests expect them before the move-in."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT right(c.relname, 6) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = 'layers_incident'::regclass AND c.relname ~ '_[0-9]{6}$' ORDER BY 1")
        counties = [code for (code,) in cursor.fetchall()]
        for code in counties:
            cursor.execute("SELECT layers_incident_drop_partitions(%s)", [code])
    return counties


def reset_committed_data() -> None:
    """Empty the test database after data was committed for another process (gunicorn), leaving it as
    the next test expects: the migrated rows (content types, seeded time limits) back with their ids.

    A plain `flush` recreates content types under new ids, which collides with tests that use
    serialized_rollback to put the migrated rows back.
    """
    from django.core.management import call_command
    from django.db import connection

    drop_county_partitions()
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(contents)
    else:
        call_command("flush", interactive=False, verbosity=0)
