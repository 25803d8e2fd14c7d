"""people_rollup_rows(): a residence INSERT's difference computed with one join of the new rows to their
rooms and grids (shared by the counts and the tiles' versions), each touched room's residents read once
and grouped, and for a big batch neither nested loops nor merge joins (an import of 100,000 people: ~2 s
of the statement's CPU down to ~1 s on full-scale 旌阳); applied from people/sql/functions/20_rollup.sql."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0010_incident_partitioned'),
    ]

    operations = [
        migrations.RunPython(applier("people"), migrations.RunPython.noop),
    ]
