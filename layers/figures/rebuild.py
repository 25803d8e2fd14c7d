"""Recount the figures' rollup and open-matters table from layers_incident.

Needed after a bulk load that ran with the triggers disabled, after a change of GRIDMAP_TIME_ZONE (the
months are local months), or to check the triggers; otherwise the triggers keep both tables right.
"""

from __future__ import annotations

from django.db import connection, transaction

from geo import sql

TABLES = ("layers_incidentrollup", "layers_openincident")


def apply_functions() -> None:
    """Re-apply the figures' function files (the zone they count local months in comes from settings)."""
    sql.apply_functions("layers.figures")


def rebuild_figures() -> dict[str, int]:
    """Recount both tables in one transaction; their row counts."""
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT figures_rebuild()")
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts[table] = cursor.fetchone()[0]
    return counts
