"""Recompute the tiles' derived tables (display geometry, rollups, versions) from the source tables."""

from __future__ import annotations

from pathlib import Path

from django.db import connection, transaction

REBUILD_SQL = (Path(__file__).parent / "sql" / "rebuild.sql").read_text()


def rebuild() -> dict[str, int]:
    """Rebuild in one transaction; returns the row counts of each derived table."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REBUILD_SQL)
        counts = {}
        for table in ("tiles_areadisplay", "tiles_incidentrollup", "tiles_incidenttotal", "tiles_openincident",
                      "tiles_layerversion"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts[table] = cursor.fetchone()[0]
    return counts
