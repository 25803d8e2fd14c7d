"""Residents per km² divide by grids_area.area_km2 (a generated column, grids 0100) instead of measuring
the boundary per read with people_area_km2(), which goes: the size has one definition, the column."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0004_incident_link'),
        ('grids', '0006_area_km2'),
    ]

    operations = [
        migrations.RunSQL("DROP FUNCTION IF EXISTS people_area_km2(geometry)", migrations.RunSQL.noop),
    ]
