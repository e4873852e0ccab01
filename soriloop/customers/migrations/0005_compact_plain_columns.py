"""Leave no copy of the plain identifiers dropped by 0003 in the database files: PostgreSQL
keeps dropped columns and updated rows on disk until the table is rewritten (VACUUM FULL);
SQLite zeroes freed pages (secure_delete, settings.py) but old page images stay in the
write-ahead log until it is checkpointed and truncated."""

from django.db import migrations


def _compact(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM FULL customers_customer")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("customers", "0004_churn_models_erasures")]
    operations = [migrations.RunPython(_compact, migrations.RunPython.noop)]
