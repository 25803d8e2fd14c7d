"""System check: the database counts local days and months in the zone the settings name.

The figures' SQL functions fix GRIDMAP_TIME_ZONE when they are applied (gridmap_time_zone()), and the
rollup's months are counted in it. If the setting changes afterwards, the map, the exports and the
dashboards would cut months at another midnight than the rollup did; this check refuses that, with the
command that fixes it. It reads the database, so it runs with `migrate` (which `make run` calls before
serving) and `manage.py check --database default`.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connections


@checks.register(checks.Tags.database)
def time_zone_matches(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for alias in databases or ():
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT to_regproc('gridmap_time_zone') IS NOT NULL")
                if not cursor.fetchone()[0]:
                    continue  # not migrated yet: the migration applies the functions with the setting
                cursor.execute("SELECT gridmap_time_zone()")
                zone = cursor.fetchone()[0]
        except DatabaseError:
            continue  # an unreachable database is reported by whatever needs it, not here
        if zone != settings.TIME_ZONE:
            errors.append(checks.Error(
                f"database {alias!r} counts local days and months in {zone}, but GRIDMAP_TIME_ZONE is "
                f"{settings.TIME_ZONE}",
                hint="run `python manage.py rebuild_figures` to recount the rollup in the new zone, or set "
                     f"GRIDMAP_TIME_ZONE={zone}",
                id="layers.E001"))
    return errors
