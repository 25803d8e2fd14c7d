"""field_slots_bits sets one bit per slot instead of comparing every bit of the width with every slot (the demo
season's coverage rows, issue 18): the function files applied again, no schema change."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('field', '0009_incident_partitioned'),
    ]

    operations = [
        migrations.RunPython(applier("field"), migrations.RunPython.noop),
    ]
