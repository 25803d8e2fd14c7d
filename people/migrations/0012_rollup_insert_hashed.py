"""people_rollup_rows(): a residence INSERT's difference computed with one join of the new rows to their
rooms and grids (shared by the counts and the tiles' versions), each touched room's residents read once
and grouped, and for a big batch neither nested loops nor merge joins (an import of 100,000 people: ~2 s
of the statement's CPU down to ~1 s on full-scale 旌阳); and people_keytag_touched() finds a residence
INSERT's tags by a join hashing the tags, not the new rows. Applied from people/sql/functions/*.sql."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0011_encrypt_function'),
    ]

    operations = [
        migrations.RunPython(applier("people"), migrations.RunPython.noop),
    ]
