from django.db import migrations


def mark_every_day(apps, schema_editor):
    """Records stored before rollups existed: every day of theirs is recounted by the worker."""
    Feedback = apps.get_model("feedback", "Feedback")
    DirtyDay = apps.get_model("insights", "DirtyDay")
    pairs = Feedback.objects.values_list("workspace_id", "day").distinct().order_by()
    DirtyDay.objects.bulk_create(
        [DirtyDay(workspace_id=ws, day=day) for ws, day in pairs.iterator()], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_initial"),
        ("feedback", "0001_initial"),
        ("analysis", "0002_enrichment_label_columns"),
    ]

    operations = [migrations.RunPython(mark_every_day, migrations.RunPython.noop)]
