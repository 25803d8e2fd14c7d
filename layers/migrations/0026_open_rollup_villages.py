"""The open matters' rollup (layers_openrollup) also per village, and the villages' (area, due time) index on
the open matters: a z10-11 tile counts its villages' "overdue" from the rollup rather than from every open
matter of its villages (layers/figures/models.py OpenRollup, issue 21). Re-applies the function files (the
upsert's levels) and recounts the rollup once."""

import django.db.models.functions.text
from django.db import migrations, models

from geo.sql import applier


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0025_three_zero_county'),
    ]

    operations = [
        migrations.AlterField(
            model_name='openrollup',
            name='level',
            field=models.PositiveSmallIntegerField(help_text='1 county, 2 township, 3 village'),
        ),
        migrations.AddIndex(
            model_name='openincident',
            index=models.Index(django.db.models.functions.text.Left('grid_code', 12), models.F('due_at'),
                               name='openincident_left12_due'),
        ),
        migrations.RunPython(applier("layers.figures"), migrations.RunPython.noop),
        migrations.RunSQL("SELECT figures_open_rebuild(); ANALYZE layers_openrollup;", migrations.RunSQL.noop),
    ]
