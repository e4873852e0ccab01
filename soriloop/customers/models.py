"""Customer profiles: one person or account as a workspace knows them."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now


class Customer(models.Model):
    # db_index=False: the unique (workspace, ...) indexes below start with the workspace.
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="customers", db_index=False
    )
    # NULL when unknown, so plain unique indexes both allow many unknowns and serve lookups
    # (a partial index on != '' is not used by SQLite for `email IN (...)`).
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    email = models.CharField(max_length=254, null=True, blank=True)  # noqa: DJ001
    phone = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(max_length=200, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="customer_unique_external_id"
            ),
            models.UniqueConstraint(fields=["workspace", "email"], name="customer_unique_email"),
            models.UniqueConstraint(fields=["workspace", "phone"], name="customer_unique_phone"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or self.external_id or f"customer {self.pk}"


class CustomerEvent(models.Model):
    """Something a customer did (a purchase, a visit, a cancellation), as a workspace's systems
    report it (``POST /api/v1/events``); survey triggers react to it through the change log."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=60)
    occurred_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    # the sender's own id for the event, so a retried report is stored once
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="customer_event_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "type", "occurred_at"], name="cust_event_type"),
            models.Index(fields=["customer", "occurred_at"], name="cust_event_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.type} of customer {self.customer_id}"
