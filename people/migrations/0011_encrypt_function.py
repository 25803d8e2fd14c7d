"""people_encrypt_id: the one SQL function an identity number is encrypted with (issue 18's load benchmark; the
demo loader encrypts on a second connection with it): the function files applied again, no schema change."""

from django.db import migrations

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0010_incident_partitioned'),
    ]

    operations = [
        migrations.RunPython(applier("people"), migrations.RunPython.noop),
    ]
