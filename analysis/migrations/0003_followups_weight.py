"""The key-group follow-up input (issue 18, analysis/inputs.py `followups_on_cadence`) in the seeded
first weight version, with its default weight and anchors.

In the seeded version (from 2000-01), not in a new one from this month, so that every month the demo
and a county's history hold follow-ups for is scored with it: before this input there was no route to
record a follow-up, so a county whose key persons have no follow-ups recorded for past months sees
those months' scores lose this input's points (its value is 0 there); such a county sets the weight in a
new version instead (the admin), or records its past follow-ups first. Only the seeded version is touched
(a version an administrator wrote keeps its table), and only when it does not name the input yet.
"""

import datetime as dt

from django.db import migrations

# The registry's default when this migration was written, copied (a later change of the default does not
# rewrite the version).
KEY, WEIGHT, GOOD, BAD = "followups_on_cadence", 1.0, 0.95, 0.7


def seeded(apps):
    return apps.get_model("analysis", "WeightVersion").objects.filter(valid_from=dt.date(2000, 1, 1),
                                                                      created_by="migration").first()


def add(apps, schema_editor):
    version = seeded(apps)
    weight_model = apps.get_model("analysis", "Weight")
    if version is not None and not weight_model.objects.filter(version=version, input=KEY).exists():
        weight_model.objects.create(version=version, input=KEY, weight=WEIGHT, good=GOOD, bad=BAD)


def remove(apps, schema_editor):
    version = seeded(apps)
    if version is not None:
        apps.get_model("analysis", "Weight").objects.filter(version=version, input=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [('analysis', '0002_seed'), ('people', '0007_followup_record')]
    operations = [migrations.RunPython(add, remove)]
