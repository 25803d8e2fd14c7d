"""Drop residence_current_room (room_id WHERE moved_out IS NULL) beside the foreign key's own index on
room_id: every look-up of a room's current residents is served by the full index (a room's past residences
are few), and each residence written maintained both — ~0.3 s of the CPU of an import of 100,000 people
on full-scale 旌阳 (bench/people_import)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0012_rollup_insert_hashed'),
    ]

    operations = [
        migrations.RemoveIndex(model_name='residence', name='residence_current_room'),
    ]
