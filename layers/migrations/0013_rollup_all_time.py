"""Each area's all-time rollup rows (month NULL) beside its months: the map's default view (no period)
reads a twelfth to a twenty-fourth of the rows. The same upsert keeps both (20_rollup.sql), re-applied
here; the rollup is recounted by 0015."""

from django.db import migrations, models

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0012_rollup_covering_index'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='incidentrollup',
            name='incidentrollup_key',
        ),
        migrations.AlterField(
            model_name='incidentrollup',
            name='month',
            field=models.DateField(help_text="first day of the local month of report (GRIDMAP_TIME_ZONE); empty on the area's all-time rows", null=True),
        ),
        migrations.AddConstraint(
            model_name='incidentrollup',
            constraint=models.UniqueConstraint(fields=('area_code', 'month', 'category', 'severity', 'status'), name='incidentrollup_key', nulls_distinct=False, opclasses=['varchar_pattern_ops', 'date_ops', 'varchar_ops', 'varchar_ops', 'varchar_ops']),
        ),
        migrations.RunPython(applier("layers.figures"), migrations.RunPython.noop),
        # The recount (figures_rebuild()) moved to 0015: this migration applies today's function files,
        # whose rebuild fills columns of layers_openincident that 0015 adds.
        migrations.RunSQL("ANALYZE layers_incidentrollup;", migrations.RunSQL.noop),
    ]
