"""Coverage (issue 19): the per-grid-per-day rollup of tracks and passed buildings with its triggers, the key
places' check cadence (with defaults: schools, hospitals and markets weekly, mediation rooms and service
stations monthly), and the tile version bumps of the tracks and coverage layers."""

from django.conf import settings
from django.db import migrations, models

from geo.sql import applier

CADENCE = {"school": 7, "hospital": 7, "market": 7, "mediation_room": 30, "service_station": 30}

TRIGGERS = """
CREATE TRIGGER field_coverage_insert AFTER INSERT ON field_trackpiece
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION field_coverage_rows();
CREATE TRIGGER field_coverage_update AFTER UPDATE ON field_trackpiece
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION field_coverage_rows();
CREATE TRIGGER field_coverage_delete AFTER DELETE ON field_trackpiece
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION field_coverage_rows();
CREATE TRIGGER tiles_tracks_insert AFTER INSERT ON field_trackpiece
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_placed('tracks');
CREATE TRIGGER tiles_tracks_delete AFTER DELETE ON field_trackpiece
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_placed('tracks');
CREATE TRIGGER tiles_coverage_visit_insert AFTER INSERT ON field_visit
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_placed('coverage');
CREATE TRIGGER tiles_coverage_visit_delete AFTER DELETE ON field_visit
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_placed('coverage');
"""
# The rollup of the tracks already stored is counted by 0100_coverage_week, once its week tables exist (the
# function files applied here are today's, and field_coverage_rebuild() writes those tables).
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS field_coverage_insert ON field_trackpiece;
DROP TRIGGER IF EXISTS field_coverage_update ON field_trackpiece;
DROP TRIGGER IF EXISTS field_coverage_delete ON field_trackpiece;
DROP TRIGGER IF EXISTS tiles_tracks_insert ON field_trackpiece;
DROP TRIGGER IF EXISTS tiles_tracks_delete ON field_trackpiece;
DROP TRIGGER IF EXISTS tiles_coverage_visit_insert ON field_visit;
DROP TRIGGER IF EXISTS tiles_coverage_visit_delete ON field_visit;
"""


def cadences(apps, schema_editor) -> None:
    cadence = apps.get_model("field", "CheckCadence")
    for kind, days in CADENCE.items():
        cadence.objects.get_or_create(kind=kind, defaults={"every_days": days})


class Migration(migrations.Migration):

    dependencies = [
        ('field', '0004_video_patrol_figures'),
        ('grids', '0005_alter_area_options_alter_areapart_options_and_more'),
        ('layers', '0020_placement_preplaced'),
        ('tiles', '0005_figures_rollup'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BuildingPass',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('building_id', models.BigIntegerField()),
                ('day', models.DateField()),
                ('worker_id', models.IntegerField(default=0)),
                ('grid_code', models.CharField(max_length=16)),
            ],
        ),
        migrations.CreateModel(
            name='CheckCadence',
            fields=[
                ('kind', models.CharField(choices=[('camera', 'camera 视频监控'), ('school', 'school 学校'), ('hospital', 'hospital 医院'), ('market', 'market 市场'), ('mediation_room', 'mediation room 调解室'), ('service_station', 'service station 服务站'), ('police', 'police station 派出所'), ('other', 'other 其他')], max_length=20, primary_key=True, serialize=False)),
                ('every_days', models.PositiveSmallIntegerField(help_text='a check at least this often (days)')),
            ],
            options={
                'ordering': ['kind'],
            },
        ),
        migrations.CreateModel(
            name='CoverageDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grid_code', models.CharField(max_length=16)),
                ('day', models.DateField()),
                ('worker_id', models.IntegerField(default=0)),
                ('length_m', models.FloatField()),
                ('out_seconds', models.FloatField()),
                ('pieces', models.IntegerField()),
            ],
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('place__isnull', False)), fields=['place', 'visited_at'], name='field_visit_place_time'),
        ),
        migrations.AddIndex(
            model_name='buildingpass',
            index=models.Index(fields=['grid_code', 'day'], name='field_buildingpass_grid_day', opclasses=['varchar_pattern_ops', 'date_ops']),
        ),
        migrations.AddIndex(
            model_name='buildingpass',
            index=models.Index(fields=['worker_id', 'day'], name='field_buildingpass_worker'),
        ),
        migrations.AddConstraint(
            model_name='buildingpass',
            constraint=models.UniqueConstraint(fields=('building_id', 'day', 'worker_id'), name='field_buildingpass_key'),
        ),
        migrations.AddConstraint(
            model_name='checkcadence',
            constraint=models.CheckConstraint(condition=models.Q(('every_days__gte', 1), ('every_days__lte', 366)), name='field_cadence_days'),
        ),
        migrations.AddIndex(
            model_name='coverageday',
            index=models.Index(fields=['grid_code', 'day'], name='field_coverageday_grid_day', opclasses=['varchar_pattern_ops', 'date_ops']),
        ),
        migrations.AddIndex(
            model_name='coverageday',
            index=models.Index(fields=['worker_id', 'day'], name='field_coverageday_worker'),
        ),
        migrations.AddConstraint(
            model_name='coverageday',
            constraint=models.UniqueConstraint(fields=('grid_code', 'day', 'worker_id'), name='field_coverageday_key'),
        ),
        migrations.RunPython(applier("field"), migrations.RunPython.noop),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(cadences, migrations.RunPython.noop),
    ]
