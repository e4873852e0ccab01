"""Customer profiles: one person or account as a workspace knows them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.timezone import now


class Customer(models.Model):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="customers"
    )
    external_id = models.CharField(max_length=200, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="customer_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["workspace", "email"], condition=~Q(email=""), name="customer_unique_email"
            ),
            models.UniqueConstraint(
                fields=["workspace", "phone"], condition=~Q(phone=""), name="customer_unique_phone"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or self.external_id or f"customer {self.pk}"
