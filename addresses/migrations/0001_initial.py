"""The address counters, and the delete triggers that keep a deleted address's number used."""

from django.db import migrations, models

from geo.sql import applier

TRIGGERS = """
CREATE TRIGGER building_keep_numbers AFTER DELETE ON layers_building
REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION addresses_keep_deleted_numbers('12');
CREATE TRIGGER room_keep_numbers AFTER DELETE ON layers_room
REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION addresses_keep_deleted_numbers('22');
"""

DROP = """
DROP TRIGGER IF EXISTS building_keep_numbers ON layers_building;
DROP TRIGGER IF EXISTS room_keep_numbers ON layers_room;
DROP FUNCTION IF EXISTS addresses_keep_deleted_numbers();
"""


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('layers', '0018_desk_mediation_rollup'),
    ]

    operations = [
        migrations.CreateModel(
            name='AddressCounter',
            fields=[
                ('prefix', models.CharField(help_text='village code (12 digits) for buildings; building+unit+floor (22) for rooms', max_length=22, primary_key=True, serialize=False)),
                ('last', models.PositiveIntegerField(help_text='the highest number used under the prefix, ever')),
            ],
            options={
                'verbose_name': 'address counter',
                'verbose_name_plural': 'address counters',
                'constraints': [models.CheckConstraint(condition=models.Q(('prefix__regex', '^([0-9]{12}|[0-9]{22})$')), name='address_counter_prefix_digits')],
            },
        ),
        migrations.RunPython(applier("addresses"), migrations.RunPython.noop),
        migrations.RunSQL(TRIGGERS, DROP),
    ]
