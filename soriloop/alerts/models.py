"""Outgoing webhooks: endpoints and their delivery outbox (docs/webhooks.md)."""

from __future__ import annotations

import base64
import secrets

from django.db import models
from django.utils import timezone


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpoint(models.Model):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)  # event types it receives
    description = models.CharField(max_length=300, blank=True, default="")
    secret = models.CharField(max_length=100, default=new_secret)
    # during a rotation the old secret signs too, until it expires
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    personal_data = models.BooleanField(default=False)  # payloads show text unmasked
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    failing_since = models.DateTimeField(null=True, blank=True)
    # a worker sending for this endpoint holds it until then (one sender per endpoint)
    leased_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL
    )

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # out of retries, refused (4xx), or its endpoint was disabled


class WebhookDelivery(models.Model):
    """One event for one endpoint; its ``message_id`` (the ``webhook-id``) never changes,
    however often it is tried or replayed, so a receiver can drop duplicates."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=80)
    event_type = models.CharField(max_length=64)
    change_id = models.BigIntegerField(null=True, blank=True)  # the change-log event, if any
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default="pending")
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.IntegerField(null=True, blank=True)
    last_latency_ms = models.IntegerField(null=True, blank=True)
    last_response = models.CharField(max_length=500, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="wh_delivery_once")
        ]
        indexes = [
            models.Index(fields=["endpoint", "state", "id"], name="wh_delivery_queue"),
            models.Index(fields=["state", "next_attempt_at"], name="wh_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} -> {self.endpoint_id}"
