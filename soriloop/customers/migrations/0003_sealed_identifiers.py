"""Customer e-mail, phone and name sealed at rest, looked up through blind indexes.

Existing rows are sealed here in batches (the data migration of issue 14); the plain columns
are dropped after, so no copy in the clear is left behind."""

from django.db import migrations, models

from soriloop.core.crypto import cipher

EMAIL, PHONE, NAME = "customer.email", "customer.phone", "customer.name"


def _seal(apps, schema_editor):  # type: ignore[no-untyped-def]
    from soriloop.customers.models import name_terms

    Customer = apps.get_model("customers", "Customer")
    c = cipher()
    batch = []
    for row in Customer.objects.all().only("id", "email", "phone", "name").iterator(chunk_size=2000):
        row.email_sealed = c.seal(EMAIL, row.email or "")
        row.email_hash = c.digest(EMAIL, row.email or "") or None
        row.phone_sealed = c.seal(PHONE, row.phone or "")
        row.phone_hash = c.digest(PHONE, row.phone or "") or None
        row.name_sealed = c.seal(NAME, row.name or "")
        row.name_terms = name_terms(row.name or "")
        batch.append(row)
        if len(batch) >= 2000:
            _save(Customer, batch)
            batch = []
    _save(Customer, batch)


def _save(Customer, batch):  # type: ignore[no-untyped-def]
    fields = ["email_sealed", "email_hash", "phone_sealed", "phone_hash", "name_sealed", "name_terms"]
    Customer.objects.bulk_update(batch, fields)


def _open(apps, schema_editor):  # type: ignore[no-untyped-def]
    Customer = apps.get_model("customers", "Customer")
    c = cipher()
    for row in Customer.objects.all().iterator(chunk_size=2000):
        row.email = c.open(EMAIL, row.email_sealed) or None
        row.phone = c.open(PHONE, row.phone_sealed) or None
        row.name = c.open(NAME, row.name_sealed)
        row.save(update_fields=["email", "phone", "name"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customerevent")]

    operations = [
        migrations.AddField("customer", "email_hash", models.CharField(blank=True, max_length=64, null=True)),
        migrations.AddField("customer", "phone_hash", models.CharField(blank=True, max_length=64, null=True)),
        migrations.AddField("customer", "email_sealed", models.TextField(blank=True, default="")),
        migrations.AddField("customer", "phone_sealed", models.TextField(blank=True, default="")),
        migrations.AddField("customer", "name_sealed", models.TextField(blank=True, default="")),
        migrations.AddField("customer", "name_terms", models.TextField(blank=True, default="")),
        migrations.AddField("customer", "consent", models.JSONField(blank=True, default=dict)),
        migrations.RunPython(_seal, _open),
        migrations.RemoveConstraint("customer", "customer_unique_email"),
        migrations.RemoveConstraint("customer", "customer_unique_phone"),
        migrations.RemoveField("customer", "email"),
        migrations.RemoveField("customer", "phone"),
        migrations.RemoveField("customer", "name"),
        migrations.AddConstraint(
            "customer",
            models.UniqueConstraint(fields=("workspace", "email_hash"), name="customer_unique_email_hash"),
        ),
        migrations.AddConstraint(
            "customer",
            models.UniqueConstraint(fields=("workspace", "phone_hash"), name="customer_unique_phone_hash"),
        ),
    ]
