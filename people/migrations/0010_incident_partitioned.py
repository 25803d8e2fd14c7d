"""A person's or enterprise's link to an incident loses its database constraint: the incidents are
partitioned by county (layers 0021, which dropped the constraint and added the triggers that keep it)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0009_keytag_due'),
        ('layers', '0021_partition_incidents'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(model_name='incidentlink', name='incident', field=models.OneToOneField(
                db_constraint=False, on_delete=models.deletion.CASCADE, primary_key=True, related_name='+',
                serialize=False, to='layers.incident')),
        ]),
    ]
