"""Workspaces created before ``workspace_create`` seeded their topics got them on the first
read of their taxonomy; give the ones never read the starter set now, so reads need not."""

from typing import Any

from django.db import migrations

from soriloop.analysis.starter import STARTER_TOPICS


def seed_workspaces_without_topics(apps: Any, schema_editor: Any) -> None:
    workspace_model = apps.get_model("accounts", "Workspace")
    topic_model = apps.get_model("analysis", "Topic")
    bare = workspace_model.objects.exclude(
        pk__in=topic_model.objects.values("workspace_id")
    ).values_list("pk", flat=True)
    for workspace_id in list(bare):
        topic_model.objects.bulk_create(
            [topic_model(workspace_id=workspace_id, **topic) for topic in STARTER_TOPICS]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_apikey_personal_data"),
        ("analysis", "0006_analysis_settings_sentiment_model_longer_versions"),
    ]

    operations = [
        migrations.RunPython(seed_workspaces_without_topics, migrations.RunPython.noop),
    ]
