"""Recompute the tiles' derived tables (display geometry, versions) and the figures' rollup they draw."""

from __future__ import annotations

from django.db import connection, transaction

from geo import sql
from layers.figures.rebuild import rebuild_figures


def rebuild() -> dict[str, int]:
    """Rebuild in one transaction; returns the row counts of each derived table."""
    with transaction.atomic():
        counts = rebuild_figures()
        with connection.cursor() as cursor:
            cursor.execute(sql.load("tiles", "rebuild"))
            for table in ("tiles_areadisplay", "tiles_layerversion"):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
                counts[table] = cursor.fetchone()[0]
    return counts
