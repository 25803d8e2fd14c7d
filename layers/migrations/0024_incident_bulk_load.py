"""A county's incidents bulk-loaded into their own table and attached (load_demo): the statement triggers'
texts as functions (figures_open_insert, desk_large_risk_sql) and layers_incident_loaded, which runs them over
the county's table, since ATTACH fires no trigger."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0023_three_zero_covering'),
        ('tiles', '0008_bump_rows_sql'),
    ]

    operations = [
        migrations.RunPython(applier("layers.figures", "layers.desk", "layers"), migrations.RunPython.noop),
    ]
