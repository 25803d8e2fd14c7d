"""The raw-points tile's index (0007) with the county: every read of the incidents in a user's scope names the
county (geo/scope.py, so that PostgreSQL reads only its partitions), and PostgreSQL plans an index-only scan
only when every column the query names is in the index. Without it a county user's z16-18 tile went back to
one heap page per point (tests/tiles/test_points.py plans it for an administrator and a county user)."""

import importlib

from django.db import migrations

CREATE = """
CREATE INDEX incident_tile_points ON layers_incident
    (tiles_point_key(location), ST_X(ST_Transform(location, 3857)), ST_Y(ST_Transform(location, 3857)))
    INCLUDE (id, category, subcategory, severity, status, source, grid_code, county_code, reported_at,
             accepted_at, accept_due_at, closed_at, due_at, location)
"""

# The index as 0007 made it, to go back to.
BEFORE = importlib.import_module("tiles.migrations.0007_incident_tile_points").CREATE


class Migration(migrations.Migration):

    dependencies = [
        ('tiles', '0008_bump_rows_sql'),
    ]

    operations = [
        migrations.RunSQL(["DROP INDEX incident_tile_points", CREATE], ["DROP INDEX incident_tile_points", BEFORE]),
    ]
