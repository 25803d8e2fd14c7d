"""The visits' and video patrols' incident loses its database constraint: the incidents are partitioned by
county (layers 0100, which dropped the constraints and added the triggers that keep the references)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('field', '0006_coverage_indexes'),
        ('layers', '0100_partition_incidents'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(model_name=model, name='incident', field=models.ForeignKey(
                blank=True, db_constraint=False, null=True, on_delete=models.deletion.SET_NULL, related_name='+',
                to='layers.incident'))
            for model in ('visit', 'videopatrol')]),
    ]
