"""The tiles draw the figures' rollup (layers 0010): their own rollups, totals, open-matters table and
trigger go, and the tiles' live functions are applied from tiles/sql/functions/ (tiles_bump_all no longer
empties rollups: the figures' truncate trigger does)."""

from django.db import migrations

from geo.sql import applier

DROP = """
DROP TRIGGER IF EXISTS tiles_incident_rollup_ins ON layers_incident;
DROP TRIGGER IF EXISTS tiles_incident_rollup_upd ON layers_incident;
DROP TRIGGER IF EXISTS tiles_incident_rollup_del ON layers_incident;
DROP FUNCTION IF EXISTS tiles_incident_rollup();
DROP TABLE IF EXISTS tiles_incidenttotal;
DROP TABLE IF EXISTS tiles_openincident;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0010_one_rollup'),
        ('tiles', '0004_totals_and_open_incidents'),
    ]

    operations = [
        migrations.RunSQL(DROP, migrations.RunSQL.noop),
        migrations.DeleteModel(
            name='IncidentRollup',
        ),
        migrations.RunPython(applier("tiles"), migrations.RunPython.noop),
    ]
