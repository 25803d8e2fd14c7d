"""The figure "video patrols" (field/sql/functions/10_video_patrols.sql), and the index the nearest-cameras
search walks: a GiST index on the places' points restricted to cameras, so `ORDER BY location <-> point` reads
cameras only, not the schools and markets around them."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('field', '0003_cameras'),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS layers_place_camera_gist ON layers_place USING gist (location) "
            "WHERE kind = 'camera'",
            "DROP INDEX IF EXISTS layers_place_camera_gist"),
        migrations.RunPython(applier("field"), migrations.RunPython.noop),
    ]
