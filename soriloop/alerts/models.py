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


class RuleKind(models.TextChoices):
    RECORD = "record"  # conditions over each analysed record (rules.py)
    AGGREGATE = "aggregate"  # a measure over the rollups, on a schedule (aggregates.py)


class AlertRule(models.Model):
    """A record rule (conditions over a record and its analysis, ANDed; a list means any of
    its values) or an aggregate rule (a measure over the rollups, checked on a schedule), and
    where a firing goes (docs/alerts.md)."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=200)
    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=True)
    kind = models.CharField(max_length=10, choices=RuleKind.choices, default=RuleKind.RECORD)
    conditions = models.JSONField(default=dict, blank=True)
    aggregate = models.JSONField(default=dict, blank=True)  # the measure of an aggregate rule
    # an aggregate rule fires once when its condition starts to hold, then waits for it to clear
    aggregate_active = models.BooleanField(default=False)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # destinations: the owner and these users in-app (and by e-mail when ``email``)
    notify_user_ids = models.JSONField(default=list, blank=True)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    slack_url = models.URLField(max_length=2000, blank=True, default="")
    webhook = models.BooleanField(default=True)  # append alert.fired for webhook subscribers
    dedup_minutes = models.IntegerField(default=60)
    max_per_hour = models.IntegerField(default=10)
    quiet_start = models.TimeField(null=True, blank=True)  # workspace time zone
    quiet_end = models.TimeField(null=True, blank=True)
    muted_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One firing of a rule; records matching within its dedup window join it (an aggregate
    rule's firing names no records but its ``measure``)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    record_ids = models.JSONField(default=list)
    count = models.IntegerField(default=1)
    fired_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)
    measure = models.JSONField(default=dict, blank=True)  # an aggregate rule's reading
    # set while quiet hours hold it; cleared when the digest goes out
    held = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["rule", "fired_at"], name="alert_rule_fired"),
            # the quiet-hours loop looks for held alerts several times a second
            models.Index(fields=["held"], name="alert_held", condition=models.Q(held=True)),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} at {self.fired_at}"


class AlertMatch(models.Model):
    """A record counted once per rule, so a re-delivered or re-analysed record never fires
    or joins twice."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="matches")
    feedback_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "feedback_id"], name="alert_match_once")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.feedback_id}"


class Notification(models.Model):
    """An in-app notification for one user (the bell)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "workspace", "read_at"], name="notif_unread")]

    def __str__(self) -> str:
        return self.title


class DigestFrequency(models.TextChoices):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"  # Monday to Sunday, sent on Monday


class DigestSubscription(models.Model):
    """One member's digest e-mail: how often, and the last period it went out for (the
    job's idempotency: a period is sent once)."""

    membership = models.OneToOneField(
        "accounts.Membership", on_delete=models.CASCADE, related_name="digest"
    )
    frequency = models.CharField(
        max_length=6, choices=DigestFrequency.choices, default=DigestFrequency.OFF
    )
    last_period = models.CharField(max_length=20, blank=True, default="")  # e.g. 2026-03-01
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.frequency}"


class InboundWebhook(models.Model):
    """A signed door for a CRM to upsert customers and report their events: calls are
    verified per the Standard Webhooks specification with this secret (docs/alerts.md)."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="inbound_webhooks"
    )
    description = models.CharField(max_length=300, blank=True, default="")
    secret = models.CharField(max_length=100, default=new_secret)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"inbound {self.pk}"


class InboundMessage(models.Model):
    """A verified call, kept by its ``webhook-id``: the same message again is answered with
    this result and changes nothing (replay protection beside the timestamp's 5 minutes)."""

    endpoint = models.ForeignKey(InboundWebhook, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=200)
    type = models.CharField(max_length=40)
    result = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="inbound_once")
        ]

    def __str__(self) -> str:
        return self.message_id
