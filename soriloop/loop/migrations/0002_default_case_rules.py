"""Every existing workspace gets the two case rules a new one starts with (switched on)."""

from django.db import migrations

DEFAULT_RULES = (
    {
        "key": "nps_detractor",
        "name": "NPS detractor (0-6)",
        "conditions": {"score_kind": "nps", "score_min": 0.0, "score_max": 6.0},
    },
    {
        "key": "negative_sentiment",
        "name": "Negative sentiment (confidence >= 0.8)",
        "conditions": {"sentiment": "negative", "min_confidence": 0.8},
    },
)


def add_rules(apps, schema_editor):  # type: ignore[no-untyped-def]
    Workspace = apps.get_model("accounts", "Workspace")
    CaseRule = apps.get_model("loop", "CaseRule")
    for workspace_id in Workspace.objects.values_list("id", flat=True):
        have = set(CaseRule.objects.filter(workspace_id=workspace_id).values_list("key", flat=True))
        CaseRule.objects.bulk_create(
            [CaseRule(workspace_id=workspace_id, **r) for r in DEFAULT_RULES if r["key"] not in have]
        )


class Migration(migrations.Migration):
    dependencies = [("loop", "0001_cases")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
