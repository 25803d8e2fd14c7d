"""The first weight version (from 2000-01, the registry's default weights and anchors) and the default
three-zero rules; the administrator edits both (new weight versions from a coming month)."""

import datetime as dt

from django.db import migrations

# The registry's defaults when this migration was written (analysis/inputs.py), copied so that a later
# change of a default does not rewrite the first version.
WEIGHTS = [
    ("rate_dispute", 1.0, 5.0, 30.0), ("rate_petition", 1.0, 0.5, 8.0), ("rate_safety_hazard", 1.0, 1.0, 16.0),
    ("rate_livelihood", 0.5, 3.0, 25.0), ("rate_major", 1.5, 0.5, 10.0), ("overdue_share", 1.5, 0.0, 0.2),
    ("closure_rate", 1.0, 1.0, 0.8), ("on_time_rate", 1.0, 1.0, 0.8), ("mediation_success", 1.0, 0.8, 0.3),
    ("supervised_share", 0.5, 0.0, 0.1),
]
RULES = [
    ("petition", "petition escalated to the township or higher 越级上访", {"categories": ["petition"],
                                                                       "min_escalation": "township"}),
    ("petition", "petition assigned from above 上级交办信访", {"categories": ["petition"],
                                                             "sources": ["upper_assignment"]}),
    ("accident", "major safety matter 重大安全事故", {"categories": ["safety_hazard"], "severities": ["major"]}),
    ("criminal", "criminal case 刑事案件", {"subcategories": ["criminal_case"]}),
]


def seed(apps, schema_editor):
    version_model = apps.get_model("analysis", "WeightVersion")
    weight_model = apps.get_model("analysis", "Weight")
    rule_model = apps.get_model("analysis", "ThreeZeroRule")
    version = version_model.objects.create(valid_from=dt.date(2000, 1, 1), note="defaults (analysis/inputs.py)",
                                           created_by="migration")
    for key, weight, good, bad in WEIGHTS:
        weight_model.objects.create(version=version, input=key, weight=weight, good=good, bad=bad)
    for criterion, name, fields in RULES:
        rule_model.objects.create(criterion=criterion, name=name, **fields)


def unseed(apps, schema_editor):
    apps.get_model("analysis", "WeightVersion").objects.all().delete()
    apps.get_model("analysis", "ThreeZeroRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("analysis", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
