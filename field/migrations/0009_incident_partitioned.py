"""The visits' and video patrols' incident loses its database constraint: the incidents are partitioned by
county (layers 0021, which dropped the constraints and added the triggers that keep the references)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('field', '0008_grid_seen'),
        ('layers', '0021_partition_incidents'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(model_name=model, name='incident', field=models.ForeignKey(
                blank=True, db_constraint=False, null=True, on_delete=models.deletion.SET_NULL, related_name='+',
                to='layers.incident'))
            for model in ('visit', 'videopatrol')]),
    ]
