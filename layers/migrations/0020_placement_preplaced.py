"""gridmap_place_in_grid() lets a writer that placed its batch set-based keep its grid codes
(import_addresses); applied from layers/sql/functions/placement.sql."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0019_desk_covering'),
    ]

    operations = [
        migrations.RunPython(applier("layers"), migrations.RunPython.noop),
    ]
