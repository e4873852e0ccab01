"""REST endpoints of the alerts app: outgoing webhooks and their deliveries, alert rules,
fired alerts, notifications, digests and the signed inbound webhook (docs/webhooks.md,
docs/alerts.md); their schemas are in schemas.py."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Path, Query, Router

from soriloop.accounts.api import read_auth, request_key, write_auth
from soriloop.accounts.models import Membership
from soriloop.alerts import inbound, rules, selectors, services
from soriloop.alerts.digests import digest_subscribe
from soriloop.alerts.models import (
    AlertRule,
    InboundWebhook,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from soriloop.alerts.notify import notifications_mark_read, record_url
from soriloop.alerts.rules import AlertRuleInvalid
from soriloop.alerts.schemas import (
    AlertPage,
    AlertQuery,
    AlertRuleIn,
    AlertRuleOut,
    AlertRulePage,
    AlertRulePatch,
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
    DigestIn,
    DigestOut,
    InboundCallIn,
    InboundCreateIn,
    InboundOut,
    InboundPage,
    InboundResultOut,
    NotificationPage,
    NotificationQuery,
    NotificationReadIn,
    NotificationReadOut,
    PreviewOut,
    ReplayOut,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
)
from soriloop.alerts.services import WebhookInvalid
from soriloop.analysis.engine.pii import mask_text
from soriloop.core.api_types import RecordId
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    envelope,
    invalid,
    json_ok,
    not_found,
)
from soriloop.feedback.models import Feedback

router = Router(tags=["webhooks"])


def webhook_json(endpoint: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "personal_data": endpoint.personal_data,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at.isoformat(),
        "secret": endpoint.secret if secret else None,
    }


def delivery_json(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "message_id": d.message_id,
        "event_type": d.event_type,
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat(),
        "created_at": d.created_at.isoformat(),
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
        "last_status": d.last_status,
        "last_latency_ms": d.last_latency_ms,
        "last_response": d.last_response,
        "last_error": d.last_error,
    }


def _endpoint(request: HttpRequest, webhook_id: Path[RecordId]) -> WebhookEndpoint | None:
    return selectors.webhook_get(workspace=request_key(request).workspace, webhook_id=webhook_id)


@router.post(
    "/webhooks",
    auth=write_auth,
    summary="Subscribe an endpoint to events (the secret is shown once)",
    response=documented({201: WebhookOut}, WRITE_ERRORS, BODY_ERRORS),
)
def webhook_create(request: HttpRequest, payload: WebhookIn) -> HttpResponse:
    key = request_key(request)
    try:
        endpoint = services.webhook_create(
            workspace=key.workspace, actor=None, data=payload.model_dump()
        )
    except WebhookInvalid as exc:
        return invalid(exc.fields, "webhook")
    return json_ok(webhook_json(endpoint, secret=True), 201)


@router.get(
    "/webhooks",
    auth=read_auth,
    summary="The workspace's webhooks",
    response=documented({200: WebhookPage}),
)
def webhook_list(request: HttpRequest) -> HttpResponse:
    found = selectors.webhooks_of(workspace=request_key(request).workspace)
    return json_ok({"items": [webhook_json(e) for e in found]})


@router.get(
    "/webhooks/{webhook_id}",
    auth=read_auth,
    summary="One webhook",
    response=documented({200: WebhookOut}, ONE_ERRORS),
)
def webhook_read(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    return json_ok(webhook_json(endpoint)) if endpoint else not_found("webhook")


@router.patch(
    "/webhooks/{webhook_id}",
    auth=write_auth,
    summary="Change a webhook, enable it again or rotate its secret",
    response=documented({200: WebhookOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def webhook_patch(
    request: HttpRequest, webhook_id: Path[RecordId], payload: WebhookPatch
) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return not_found("webhook")
    data = payload.model_dump(exclude_none=True)
    try:
        services.webhook_update(endpoint=endpoint, actor=None, data=data)
    except WebhookInvalid as exc:
        return invalid(exc.fields, "webhook")
    return json_ok(webhook_json(endpoint, secret=bool(data.get("rotate_secret"))))


@router.delete(
    "/webhooks/{webhook_id}",
    auth=write_auth,
    summary="Delete a webhook and its deliveries",
    response=documented({204: None}, ONE_ERRORS, WRITE_ERRORS),
)
def webhook_delete(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return not_found("webhook")
    services.webhook_delete(endpoint=endpoint, actor=None)
    return HttpResponse(status=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    auth=read_auth,
    summary="The delivery log, newest first (dead letters with state=dead)",
    response=documented({200: DeliveryPage}, ONE_ERRORS),
)
def delivery_list(
    request: HttpRequest, webhook_id: Path[RecordId], query: Query[DeliveryQuery]
) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return not_found("webhook")
    found = selectors.deliveries_of(endpoint=endpoint, state=query.state, before=query.before)
    items = list(found[: query.limit + 1])
    more = len(items) > query.limit
    items = items[: query.limit]
    return json_ok(
        {
            "items": [delivery_json(d) for d in items],
            "next_before": items[-1].pk if more and items else None,
        }
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    auth=write_auth,
    summary="Send one delivery again, with its own webhook-id",
    response=documented({200: ReplayOut}, ONE_ERRORS, WRITE_ERRORS),
)
def delivery_replay(
    request: HttpRequest, webhook_id: Path[RecordId], delivery_id: Path[RecordId]
) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if (
        endpoint is None
        or selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id) is None
    ):
        return envelope(404, "No such delivery of this webhook.")
    return json_ok(
        {"replayed": services.deliveries_replay(endpoint=endpoint, delivery_ids=[delivery_id])}
    )


@router.post(
    "/webhooks/{webhook_id}/replay-dead",
    auth=write_auth,
    summary="Send every dead delivery of the webhook again",
    response=documented({200: ReplayOut}, ONE_ERRORS, WRITE_ERRORS),
)
def delivery_replay_dead(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return not_found("webhook")
    dead = selectors.dead_letter_ids(endpoint=endpoint)
    return json_ok({"replayed": services.deliveries_replay(endpoint=endpoint, delivery_ids=dead)})


@router.post(
    "/webhooks/{webhook_id}/test",
    auth=write_auth,
    summary="Queue a test message to the endpoint",
    response=documented({201: DeliveryOut}, ONE_ERRORS, WRITE_ERRORS),
)
def webhook_test(request: HttpRequest, webhook_id: Path[RecordId]) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    if endpoint is None:
        return not_found("webhook")
    return json_ok(delivery_json(services.webhook_test(endpoint=endpoint)), 201)


# -- alert rules, fired alerts, notifications (docs/alerts.md) ---------------------------

rules_router = Router(tags=["alerts"])


NULLABLE = {"quiet_start", "quiet_end", "muted_until"}


def rule_json(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "owner_id": rule.owner_id,
        "enabled": rule.enabled,
        "kind": rule.kind,
        "conditions": rule.conditions,
        "aggregate": rule.aggregate or None,
        "active": rule.aggregate_active,
        "notify_user_ids": rule.notify_user_ids,
        "in_app": rule.in_app,
        "email": rule.email,
        "slack_url": rule.slack_url,
        "webhook": rule.webhook,
        "dedup_minutes": rule.dedup_minutes,
        "max_per_hour": rule.max_per_hour,
        "quiet_start": rule.quiet_start.strftime("%H:%M") if rule.quiet_start else None,
        "quiet_end": rule.quiet_end.strftime("%H:%M") if rule.quiet_end else None,
        "muted_until": rule.muted_until.isoformat() if rule.muted_until else None,
        "created_at": rule.created_at.isoformat(),
    }


def _record_json(record: Feedback, *, personal_data: bool) -> dict[str, Any]:
    enrichment = getattr(record, "enrichment", None)
    return {
        "id": record.pk,
        "url": record_url(record.pk),
        "text": record.text if personal_data else mask_text(record.text),
        "received_at": record.received_at.isoformat(),
        "sentiment": enrichment.sentiment_label if enrichment else None,
        "topics": [t["key"] for t in enrichment.topics] if enrichment else [],
    }


def alert_json(found: selectors.FiredAlert, *, personal_data: bool) -> dict[str, Any]:
    a = found.alert
    return {
        "id": a.pk,
        "rule_id": a.rule_id,
        "rule_name": a.rule.name,
        "fired_at": a.fired_at.isoformat(),
        "last_at": a.last_at.isoformat(),
        "count": a.count,
        "held": a.held,
        "sent_at": a.sent_at.isoformat() if a.sent_at else None,
        "records": [_record_json(r, personal_data=personal_data) for r in found.records],
        "measure": a.measure or None,
        "measure_text": found.measure,
    }


def notification_json(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "alert_id": n.alert_id,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


def _member(request: HttpRequest) -> Membership | None:
    key = request_key(request)
    return selectors.member_of(workspace=key.workspace, user=key.created_by)


def _no_member() -> JsonResponse:
    return envelope(403, "The key's creator is no longer a member of this workspace.")


def _rule(request: HttpRequest, rule_id: Path[RecordId]) -> AlertRule | None:
    return selectors.alert_rule_get(workspace=request_key(request).workspace, rule_id=rule_id)


def _denied(exc: PermissionDenied) -> JsonResponse:
    return envelope(403, f"Managing alert rules needs an admin's key ({exc}).")


@rules_router.get(
    "/alert-rules",
    auth=read_auth,
    summary="The workspace's alert rules",
    response=documented({200: AlertRulePage}),
)
def alert_rule_list(request: HttpRequest) -> HttpResponse:
    found = selectors.alert_rules_of(workspace=request_key(request).workspace)
    return json_ok({"items": [rule_json(r) for r in found]})


@rules_router.post(
    "/alert-rules",
    auth=write_auth,
    summary="Create an alert rule owned by the key's creator (an admin)",
    response=documented({201: AlertRuleOut}, WRITE_ERRORS, BODY_ERRORS),
)
def alert_rule_create(request: HttpRequest, payload: AlertRuleIn) -> HttpResponse:
    member = _member(request)
    if member is None:
        return _no_member()
    data = payload.model_dump()
    data["conditions"] = payload.conditions.model_dump(exclude_defaults=True)
    data["aggregate"] = payload.aggregate.model_dump() if payload.aggregate else None
    try:
        rule = rules.alert_rule_create(workspace=member.workspace, actor=member, data=data)
    except PermissionDenied as exc:
        return _denied(exc)
    except AlertRuleInvalid as exc:
        return invalid(exc.fields, "alert rule")
    return json_ok(rule_json(rule), 201)


@rules_router.patch(
    "/alert-rules/{rule_id}",
    auth=write_auth,
    summary="Change an alert rule: conditions, destinations, mute (muted_until), quiet hours",
    response=documented({200: AlertRuleOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def alert_rule_patch(
    request: HttpRequest, rule_id: Path[RecordId], payload: AlertRulePatch
) -> HttpResponse:
    rule, member = _rule(request, rule_id), _member(request)
    if rule is None:
        return not_found("alert rule")
    if member is None:
        return _no_member()
    data = {
        k: v
        for k, v in payload.model_dump(exclude_unset=True).items()
        if v is not None or k in NULLABLE
    }
    if payload.conditions is not None:
        data["conditions"] = payload.conditions.model_dump(exclude_defaults=True)
    if payload.aggregate is not None:
        data["aggregate"] = payload.aggregate.model_dump()
    try:
        rules.alert_rule_update(rule=rule, actor=member, data=data)
    except PermissionDenied as exc:
        return _denied(exc)
    except AlertRuleInvalid as exc:
        return invalid(exc.fields, "alert rule")
    return json_ok(rule_json(rule))


@rules_router.delete(
    "/alert-rules/{rule_id}",
    auth=write_auth,
    summary="Delete an alert rule and its fired alerts",
    response=documented({204: None}, ONE_ERRORS, WRITE_ERRORS),
)
def alert_rule_delete(request: HttpRequest, rule_id: Path[RecordId]) -> HttpResponse:
    rule, member = _rule(request, rule_id), _member(request)
    if rule is None:
        return not_found("alert rule")
    if member is None:
        return _no_member()
    try:
        rules.alert_rule_delete(rule=rule, actor=member)
    except PermissionDenied as exc:
        return _denied(exc)
    return HttpResponse(status=204)


@rules_router.post(
    "/alert-rules/{rule_id}/preview",
    auth=read_auth,
    summary="How often the rule would have fired over the last 7 days (writes nothing)",
    response=documented({200: PreviewOut}, ONE_ERRORS),
)
def alert_rule_preview(request: HttpRequest, rule_id: Path[RecordId]) -> HttpResponse:
    rule = _rule(request, rule_id)
    if rule is None:
        return not_found("alert rule")
    found = rules.alert_rule_preview(rule=rule)
    return json_ok(preview_json(found))


def preview_json(found: rules.Preview) -> dict[str, Any]:
    body = asdict(found)
    for example in body["examples"]:
        example["received_at"] = example["received_at"].isoformat()
    body["fired_at"] = [at.isoformat() for at in found.fired_at]
    return body


@rules_router.get(
    "/alerts",
    auth=read_auth,
    summary="Fired alerts, newest first, with the records behind them",
    response=documented({200: AlertPage}),
)
def alert_list(request: HttpRequest, query: Query[AlertQuery]) -> HttpResponse:
    key = request_key(request)
    found = selectors.alerts_of(
        workspace=key.workspace, rule_id=query.rule_id, before=query.before, limit=query.limit + 1
    )
    more = len(found) > query.limit
    found = found[: query.limit]
    return json_ok(
        {
            "items": [alert_json(a, personal_data=key.personal_data) for a in found],
            "next_before": found[-1].alert.pk if more and found else None,
        }
    )


@rules_router.get(
    "/notifications",
    auth=read_auth,
    summary="The in-app notifications of the key's creator, newest first",
    response=documented({200: NotificationPage}, WRITE_ERRORS),
)
def notification_list(request: HttpRequest, query: Query[NotificationQuery]) -> HttpResponse:
    member = _member(request)
    if member is None:
        return _no_member()
    found = selectors.notifications_of(
        workspace=member.workspace, user=member.user, unread=query.unread, limit=query.limit
    )
    unread = selectors.notifications_unread_count(workspace=member.workspace, user=member.user)
    return json_ok({"items": [notification_json(n) for n in found], "unread": unread})


@rules_router.post(
    "/notifications/read",
    auth=write_auth,
    summary="Mark notifications of the key's creator read (all when ids is null)",
    response=documented({200: NotificationReadOut}, WRITE_ERRORS, BODY_ERRORS),
)
def notification_read(request: HttpRequest, payload: NotificationReadIn) -> HttpResponse:
    member = _member(request)
    if member is None:
        return _no_member()
    count = notifications_mark_read(
        user=member.user, workspace_id=member.workspace_id, ids=payload.ids
    )
    return json_ok({"read": count})


# -- the signed inbound webhook (docs/alerts.md) -------------------------------------------

inbound_router = Router(tags=["inbound"])


def inbound_json(endpoint: InboundWebhook, *, secret: bool = False) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": f"{settings.SITE_URL}/api/v1/inbound/{endpoint.pk}",
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "created_at": endpoint.created_at.isoformat(),
        "secret": endpoint.secret if secret else None,
    }


@inbound_router.post(
    "/inbound-webhooks",
    auth=write_auth,
    summary="Open a signed inbound webhook for a CRM (the secret is shown once)",
    response=documented({201: InboundOut}, WRITE_ERRORS, BODY_ERRORS),
)
def inbound_create(request: HttpRequest, payload: InboundCreateIn) -> HttpResponse:
    member = _member(request)
    if member is None:
        return _no_member()
    try:
        endpoint = inbound.inbound_create(
            workspace=member.workspace, actor=member, description=payload.description
        )
    except PermissionDenied as exc:
        return envelope(403, f"Opening an inbound webhook needs an admin's key ({exc}).")
    except inbound.InboundInvalid as exc:
        return invalid(exc.fields, "inbound webhook")
    return json_ok(inbound_json(endpoint, secret=True), 201)


@inbound_router.get(
    "/inbound-webhooks",
    auth=read_auth,
    summary="The workspace's inbound webhooks",
    response=documented({200: InboundPage}),
)
def inbound_list(request: HttpRequest) -> HttpResponse:
    found = selectors.inbound_webhooks_of(workspace=request_key(request).workspace)
    return json_ok({"items": [inbound_json(e) for e in found]})


@inbound_router.delete(
    "/inbound-webhooks/{inbound_id}",
    auth=write_auth,
    summary="Close an inbound webhook",
    response=documented({204: None}, ONE_ERRORS, WRITE_ERRORS),
)
def inbound_delete(request: HttpRequest, inbound_id: Path[RecordId]) -> HttpResponse:
    key, member = request_key(request), _member(request)
    endpoint = selectors.inbound_webhook_get(workspace=key.workspace, inbound_id=inbound_id)
    if endpoint is None:
        return not_found("inbound webhook")
    if member is None:
        return _no_member()
    try:
        inbound.inbound_delete(endpoint=endpoint, actor=member)
    except PermissionDenied as exc:
        return envelope(403, f"Closing an inbound webhook needs an admin's key ({exc}).")
    return HttpResponse(status=204)


@inbound_router.post(
    "/inbound/{inbound_id}",
    auth=None,
    summary="A CRM's signed call (Standard Webhooks headers; no API key)",
    response=documented({200: InboundResultOut, 401: None}, ONE_ERRORS, BODY_ERRORS),
)
def inbound_call(
    request: HttpRequest, inbound_id: Path[RecordId], payload: InboundCallIn
) -> HttpResponse:
    """Verified with the endpoint's secret over the raw body; a `webhook-id` seen before
    answers its first result with `duplicate: true`."""
    endpoint = selectors.inbound_webhook_open(inbound_id=inbound_id)
    if endpoint is None:
        return envelope(404, "No such inbound webhook.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        found = inbound.inbound_receive(endpoint=endpoint, body=request.body, headers=headers)
    except inbound.InboundRefused as exc:
        return envelope(401, f"The call is not signed with this webhook's secret ({exc}).")
    except inbound.InboundInvalid as exc:
        return invalid(exc.fields, "call")
    return json_ok({"type": found.type, "duplicate": found.duplicate, **found.result})


def _digest_json(member: Membership) -> dict[str, Any]:
    return {
        "frequency": selectors.digest_frequency_of(workspace=member.workspace, user=member.user),
        "hour": settings.DIGEST_HOUR,
        "timezone": member.workspace.timezone,
    }


@rules_router.get(
    "/digest",
    auth=read_auth,
    summary="The key creator's digest e-mail choice",
    response=documented({200: DigestOut}, WRITE_ERRORS),
)
def digest_read(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    return json_ok(_digest_json(member)) if member else _no_member()


@rules_router.put(
    "/digest",
    auth=write_auth,
    summary="Choose the key creator's digest e-mail: off, daily or weekly",
    response=documented({200: DigestOut}, WRITE_ERRORS, BODY_ERRORS),
)
def digest_choose(request: HttpRequest, payload: DigestIn) -> HttpResponse:
    member = _member(request)
    if member is None:
        return _no_member()
    digest_subscribe(membership=member, frequency=payload.frequency)
    return json_ok(_digest_json(member))
