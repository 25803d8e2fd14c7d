"""One rollup for every reader of the incident figures, and every live function body in a file.

Before: the tiles kept a monthly rollup, an all-time total and the open matters (tiles 0002-0004), and
the statistics a daily rollup (0004, 0008, 0009), each with its own trigger and its own copy of the
definitions. Now layers_incidentrollup (grain: layers/figures/models.py) and layers_openincident are
kept by one statement-level trigger whose body, like every function of this app, lives in
<package>/sql/functions/*.sql; this migration applies those files (tests/geo/test_sql_functions.py
holds the database's bodies equal to them) and counts the rollup once.
"""

from django.db import migrations, models

from geo.sql import applier

DROP_DAY_ROLLUP = """
DROP TRIGGER IF EXISTS incident_day_insert ON layers_incident;
DROP TRIGGER IF EXISTS incident_day_delete ON layers_incident;
DROP TRIGGER IF EXISTS incident_day_update ON layers_incident;
DROP TRIGGER IF EXISTS incident_day_truncate ON layers_incident;
DROP FUNCTION IF EXISTS gridmap_incident_day_rows();
DROP FUNCTION IF EXISTS gridmap_incident_day_clear();
DROP FUNCTION IF EXISTS gridmap_incident_day_rebuild();
"""

TRIGGERS = """
CREATE TRIGGER figures_incident_insert AFTER INSERT ON layers_incident
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION figures_incident_rows();
CREATE TRIGGER figures_incident_update AFTER UPDATE ON layers_incident
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION figures_incident_rows();
CREATE TRIGGER figures_incident_delete AFTER DELETE ON layers_incident
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION figures_incident_rows();
CREATE TRIGGER figures_incident_truncate AFTER TRUNCATE ON layers_incident
FOR EACH STATEMENT EXECUTE FUNCTION figures_incident_truncated();
"""
# The first count of the rollup (figures_rebuild()) moved to 0011: this migration applies the function
# files as they are now, and their rebuild fills columns of layers_openincident that 0011 adds.

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS figures_incident_insert ON layers_incident;
DROP TRIGGER IF EXISTS figures_incident_update ON layers_incident;
DROP TRIGGER IF EXISTS figures_incident_delete ON layers_incident;
DROP TRIGGER IF EXISTS figures_incident_truncate ON layers_incident;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0009_incident_day_townships'),
    ]

    operations = [
        migrations.RunSQL(DROP_DAY_ROLLUP, migrations.RunSQL.noop),
        migrations.CreateModel(
            name='IncidentRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.PositiveSmallIntegerField(help_text='1 county, 2 township, 3 village, 4 basic grid')),
                ('area_code', models.CharField(max_length=16)),
                ('month', models.DateField(help_text='first day of the local month of report (GRIDMAP_TIME_ZONE)')),
                ('category', models.CharField(max_length=20)),
                ('severity', models.CharField(max_length=10)),
                ('status', models.CharField(max_length=16)),
                ('n', models.IntegerField(default=0, help_text='incidents')),
                ('late', models.IntegerField(default=0, help_text='closed after their due time')),
                ('close_seconds', models.FloatField(default=0, help_text='sum over the closed of closed_at − reported_at')),
                ('rated', models.IntegerField(default=0)),
                ('satisfied', models.IntegerField(default=0, help_text='rated 4 or 5')),
                ('satisfaction_sum', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='OpenIncident',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('grid_code', models.CharField(max_length=16, null=True)),
                ('due_at', models.DateTimeField(null=True)),
                ('reported_at', models.DateTimeField()),
                ('category', models.CharField(max_length=20)),
                ('severity', models.CharField(max_length=10)),
                ('source', models.CharField(max_length=24)),
                ('status', models.CharField(max_length=16)),
            ],
        ),
        migrations.DeleteModel(
            name='IncidentDay',
        ),
        migrations.AddIndex(
            model_name='incidentrollup',
            index=models.Index(fields=['level', 'month'], name='incidentrollup_level_month'),
        ),
        migrations.AddConstraint(
            model_name='incidentrollup',
            constraint=models.UniqueConstraint(fields=('area_code', 'month', 'category', 'severity', 'status'), name='incidentrollup_key', opclasses=['varchar_pattern_ops', 'date_ops', 'varchar_ops', 'varchar_ops', 'varchar_ops']),
        ),
        migrations.AddIndex(
            model_name='openincident',
            index=models.Index(fields=['grid_code'], name='openincident_grid', opclasses=['varchar_pattern_ops']),
        ),
        migrations.RunPython(applier("layers", "layers.incidents", "layers.figures"), migrations.RunPython.noop),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
