"""The raw-points tile's index: incidents on a Z-order key of their web-mercator position (tiles_point_key,
tiles/sql/functions/point_key.sql), with every column the incidents tile draws or filters on, so a z16-18
tile reads its points index-only as a few key ranges (tiles/points.py) instead of one heap page per point
(a dense z16 tile: ~1,200 buffers instead of ~9,300; docs/tiles.md has the figures).

`location` is INCLUDEd although no query reads it: PostgreSQL plans an index-only scan only when every
column the query names is in the index, and the key expressions name it. A plain index on layers_incident, no change to the table: on a partitioned layers_incident it is created
on every partition. Its keys are the function's values: a change to tiles_point_key needs a REINDEX."""

from django.db import migrations

from geo.sql import applier

CREATE = """
CREATE INDEX incident_tile_points ON layers_incident
    (tiles_point_key(location), ST_X(ST_Transform(location, 3857)), ST_Y(ST_Transform(location, 3857)))
    INCLUDE (id, category, subcategory, severity, status, source, grid_code, reported_at, accepted_at,
             accept_due_at, closed_at, due_at, location)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0020_placement_preplaced'),
        ('tiles', '0006_province_city'),
    ]

    operations = [
        migrations.RunPython(applier("tiles"), migrations.RunPython.noop),
        migrations.RunSQL(CREATE, "DROP INDEX IF EXISTS incident_tile_points"),
    ]
