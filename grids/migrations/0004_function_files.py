"""The grids' live functions are applied from grids/sql/functions/ (their single source from now on)."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0003_area_at_plpgsql'),
    ]

    operations = [
        migrations.RunPython(applier("grids"), migrations.RunPython.noop),
    ]
