"""people_touched_sql(): new or moved-in buildings are recounted only where rooms or enterprises point at
them (an import of new buildings no longer recounts every grid it touches); applied from
people/sql/functions/20_rollup.sql."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0007_followup_record'),
    ]

    operations = [
        migrations.RunPython(applier("people"), migrations.RunPython.noop),
    ]
