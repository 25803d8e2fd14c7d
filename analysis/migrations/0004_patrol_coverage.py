"""The patrol coverage input (issue 19) gets its default weight and anchors from 2026-12: a weight version
from that month (the one there, if another input's migration made it; else a copy of the version in force
before it) with `patrol_coverage` weight 1, good 0.8, bad 0.3. Earlier months keep their weights."""

import datetime as dt

from django.db import migrations

FROM = dt.date(2026, 12, 1)
WEIGHT = ("patrol_coverage", 1.0, 0.8, 0.3)


def add(apps, schema_editor):
    version_model = apps.get_model("analysis", "WeightVersion")
    weight_model = apps.get_model("analysis", "Weight")
    version = version_model.objects.filter(valid_from=FROM).first()
    if version is None:
        before = version_model.objects.filter(valid_from__lt=FROM).order_by("-valid_from").first()
        version = version_model.objects.create(
            valid_from=FROM, note="patrol coverage (issue 19)", created_by="migration",
            **({"green_at": before.green_at, "amber_at": before.amber_at} if before else {}))
        if before is not None:
            for w in weight_model.objects.filter(version=before):
                weight_model.objects.create(version=version, input=w.input, weight=w.weight, good=w.good, bad=w.bad)
    key, weight, good, bad = WEIGHT
    weight_model.objects.get_or_create(version=version, input=key, defaults={"weight": weight, "good": good,
                                                                              "bad": bad})


def remove(apps, schema_editor):
    apps.get_model("analysis", "Weight").objects.filter(input=WEIGHT[0]).delete()


class Migration(migrations.Migration):
    dependencies = [('analysis', '0003_followups_weight'), ('field', '0005_coverage')]
    operations = [migrations.RunPython(add, remove)]
