"""Recount the figures' rollup, open-matters table and open-matters rollup from layers_incident.

Needed after a bulk load that ran with the triggers disabled, after a change of GRIDMAP_TIME_ZONE (the
months are local months), or to check the triggers; otherwise the triggers keep them right.
"""

from __future__ import annotations

from django.db import connection, transaction

from geo import sql

TABLES = ("layers_incidentrollup", "layers_openincident", "layers_openrollup")


def apply_functions() -> None:
    """Re-apply the figures' function files (the zone they count local months in comes from settings)."""
    sql.apply_functions("layers.figures")


def rebuild_figures() -> dict[str, int]:
    """Recount the three tables in one transaction; their row counts."""
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT figures_rebuild()")
        # The open matters' rollup follows layers_openincident by its triggers, but a change of time zone moves
        # its months: the rows taken away would be keyed in the new zone and the old rows left. Recounted whole.
        cursor.execute("SELECT figures_open_rebuild()")
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts[table] = cursor.fetchone()[0]
    return counts
