"""tiles_bump_placed's statement as one text (tiles_bump_rows_sql), so that load_demo's bulk load of a county's
incidents partition, filled while it stands alone (no trigger fires), bumps the same tile versions
(layers_incident_loaded)."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('tiles', '0007_incident_tile_points'),
    ]

    operations = [
        migrations.RunPython(applier("tiles"), migrations.RunPython.noop),
    ]
