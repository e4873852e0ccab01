"""Reads of webhooks, deliveries, alert rules, fired alerts and notifications, scoped to a
workspace (and notifications to their user)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from soriloop.accounts.models import Membership, User, Workspace
from soriloop.alerts.models import (
    Alert,
    AlertRule,
    DigestSubscription,
    InboundWebhook,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from soriloop.alerts.notify import measure_text
from soriloop.core.fields import MAX_ID
from soriloop.feedback.models import Feedback


def webhooks_of(*, workspace: Workspace) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(workspace=workspace).order_by("id")


def webhook_get(*, workspace: Workspace, webhook_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(workspace=workspace, pk=webhook_id).first()


def deliveries_of(
    *, endpoint: WebhookEndpoint, state: str | None = None, before: int | None = None
) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first; ``before`` pages by id."""
    found = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")
    if state:
        found = found.filter(state=state)
    if before:
        found = found.filter(id__lt=before)
    return found


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(endpoint=endpoint, pk=delivery_id).first()


def dead_letter_ids(*, endpoint: WebhookEndpoint) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(endpoint=endpoint, state="dead").values_list("id", flat=True)
    )


def member_of(*, workspace: Workspace, user: User | None) -> Membership | None:
    """The user's membership of the workspace (an API key acts as the member who made it)."""
    if user is None:
        return None
    return (
        Membership.objects.select_related("user", "workspace")
        .filter(workspace=workspace, user=user)
        .first()
    )


def alert_rules_of(*, workspace: Workspace) -> QuerySet[AlertRule]:
    return AlertRule.objects.select_related("owner").filter(workspace=workspace).order_by("id")


def alert_rule_get(*, workspace: Workspace, rule_id: int) -> AlertRule | None:
    if not 1 <= rule_id <= MAX_ID:
        return None
    return (
        AlertRule.objects.select_related("owner", "workspace")
        .filter(workspace=workspace, pk=rule_id)
        .first()
    )


@dataclass(frozen=True)
class FiredAlert:
    alert: Alert
    records: list[Feedback]  # the records behind it that still exist, oldest first
    measure: str = ""  # an aggregate rule's reading, in the active language


def alerts_of(
    *, workspace: Workspace, rule_id: int | None = None, before: int | None = None, limit: int = 50
) -> list[FiredAlert]:
    """Fired alerts, newest first, with the records behind them (``before`` pages by id)."""
    found = Alert.objects.select_related("rule").filter(workspace=workspace).order_by("-id")
    if rule_id:
        found = found.filter(rule_id=rule_id)
    if before:
        found = found.filter(id__lt=before)
    alerts = list(found[:limit])
    ids = {i for a in alerts for i in a.record_ids}
    records = {
        r.pk: r
        for r in Feedback.objects.select_related("enrichment").filter(
            workspace=workspace, pk__in=ids, deleted_at=None
        )
    }
    return [
        FiredAlert(
            a,
            [records[i] for i in a.record_ids if i in records],
            measure_text(a.measure) if a.measure else "",
        )
        for a in alerts
    ]


def notifications_of(
    *, workspace: Workspace, user: User, unread: bool = False, limit: int = 50
) -> list[Notification]:
    found = Notification.objects.filter(workspace=workspace, user=user).order_by("-id")
    if unread:
        found = found.filter(read_at=None)
    return list(found[:limit])


def notifications_unread_count(*, workspace: Workspace, user: User) -> int:
    return Notification.objects.filter(workspace=workspace, user=user, read_at=None).count()


@dataclass(frozen=True)
class AlertsPage:
    alerts: list[FiredAlert]
    notifications: list[Notification]
    unread: int
    digest: str  # off, daily, weekly


def digest_frequency_of(*, workspace: Workspace, user: User) -> str:
    """The member's digest choice ("off" until they choose)."""
    found = DigestSubscription.objects.filter(
        membership__workspace=workspace, membership__user=user
    ).first()
    return found.frequency if found else "off"


def alerts_page_get(*, workspace: Workspace, user: User) -> AlertsPage:
    return AlertsPage(
        alerts=alerts_of(workspace=workspace, limit=50),
        notifications=notifications_of(workspace=workspace, user=user, limit=50),
        unread=notifications_unread_count(workspace=workspace, user=user),
        digest=digest_frequency_of(workspace=workspace, user=user),
    )


@dataclass(frozen=True)
class RulesPage:
    rules: list[AlertRule]
    members: list[Membership]


def alert_rules_page_get(*, workspace: Workspace) -> RulesPage:
    return RulesPage(
        rules=list(alert_rules_of(workspace=workspace)),
        members=list(
            Membership.objects.select_related("user").filter(workspace=workspace).order_by("id")
        ),
    )


def inbound_webhooks_of(*, workspace: Workspace) -> QuerySet[InboundWebhook]:
    return InboundWebhook.objects.filter(workspace=workspace).order_by("id")


def inbound_webhook_get(*, workspace: Workspace, inbound_id: int) -> InboundWebhook | None:
    return InboundWebhook.objects.filter(workspace=workspace, pk=inbound_id).first()


def inbound_webhook_open(*, inbound_id: int) -> InboundWebhook | None:
    """An enabled inbound webhook by id, whatever its workspace: the caller proves which
    one it is by its signature."""
    return (
        InboundWebhook.objects.select_related("workspace")
        .filter(pk=inbound_id, enabled=True)
        .first()
    )
