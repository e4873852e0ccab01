from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def release_keys_of_deleted(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """A deleted record is no duplicate target: free the keys the old deletions kept."""
    feedback = apps.get_model("feedback", "Feedback")
    feedback.objects.filter(deleted_at__isnull=False).update(dedup_key=None, idempotency_key=None)


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0003_feedback_channel_hosted_page"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedback",
            name="idempotency_fingerprint",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(release_keys_of_deleted, migrations.RunPython.noop),
    ]
