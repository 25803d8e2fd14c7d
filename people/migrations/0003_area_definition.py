"""people_area_km2(): the one definition of an area's size for residents per km²
(people/sql/functions/10_definitions.sql), read by the API and the tiles alike."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_rollup_triggers"),
    ]

    operations = [
        migrations.RunPython(applier("people"), migrations.RunPython.noop),
    ]
