"""Sending webhooks: address checks against SSRF, Standard Webhooks signatures, one ordered
queue per endpoint, retries on the spec's schedule (docs/webhooks.md).

Each endpoint is a queue: only its oldest pending delivery is tried, so a receiver sees the
events in order, and a dead or slow endpoint holds only its own queue (each endpoint is
sent by one thread of a pool, under a lease so one worker process sends it at a time)."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connection, transaction
from django.db.models import Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task
from standardwebhooks.webhooks import Webhook

from soriloop.alerts.models import DeliveryState, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

TIMEOUT = 15.0
# seconds to wait before attempt n+1 after attempt n failed (the Standard Webhooks schedule)
RETRY_AFTER = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
RETRY_STATUSES = {408, 429}
DISABLE_AFTER = dt.timedelta(days=5)
LEASE = dt.timedelta(seconds=60)
EXCERPT = 500
PER_LEASE = 100  # deliveries one lease sends at most before the endpoint goes back in line


class UnsafeAddress(ValueError):
    """The URL resolves to an address webhooks may not reach (SSRF protection)."""


def _allowed_private() -> list[Any]:
    allowed: list[Any] = []
    for item in settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS:
        try:
            allowed.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            allowed.append(item.lower())
    return allowed


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the resolved IP the request goes to (pinned)
    path: str


def resolve(url: str) -> Target:
    """The pinned target of ``url``; raise ``UnsafeAddress`` for a scheme other than http(s),
    a host that does not resolve, or one resolving to loopback, private, link-local,
    multicast or reserved space (which includes the cloud metadata address) unless
    ``WEBHOOK_ALLOWED_PRIVATE_HOSTS`` names the host or a network holding the address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise UnsafeAddress("the URL must not carry a user name or password")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeAddress(f"{host} does not resolve") from exc
    allowed = _allowed_private()
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        trusted = host.lower() in allowed or any(
            isinstance(net, ipaddress.IPv4Network | ipaddress.IPv6Network) and ip in net
            for net in allowed
        )
        if not _blocked(ip) or trusted:
            path = parts.path or "/"
            return Target(
                parts.scheme, host, port, str(ip), path + (f"?{parts.query}" if parts.query else "")
            )
    raise UnsafeAddress(
        f"{host} resolves to a private, loopback or link-local address; "
        "WEBHOOK_ALLOWED_PRIVATE_HOSTS may allow it"
    )


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a resolved address, with the certificate checked against the host name."""

    def __init__(self, address: str, port: int, host: str, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = host

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


def signatures(endpoint: WebhookEndpoint, message_id: str, at: dt.datetime, body: str) -> str:
    """``webhook-signature``: the current secret's, and the previous one's during a rotation."""
    secrets = [endpoint.secret]
    if endpoint.previous_secret and (
        endpoint.previous_secret_until is None or endpoint.previous_secret_until > at
    ):
        secrets.append(endpoint.previous_secret)
    return " ".join(Webhook(s).sign(message_id, at, body) for s in secrets)


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no HTTP answer (network error, timeout, refused address)
    latency_ms: int
    excerpt: str = ""
    error: str = ""
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retry(self) -> bool:
        if self.status is None:
            return True
        return self.status in RETRY_STATUSES or self.status >= 500


def post(endpoint: WebhookEndpoint, message_id: str, payload: dict[str, Any]) -> Outcome:
    """POST one signed message to the endpoint's pinned address; never follows a redirect."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    at = timezone.now()
    headers = {
        "User-Agent": "Soriloop-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures(endpoint, message_id, at, body),
    }
    return post_json(endpoint.url, body, headers)


def post_json(url: str, body: str, headers: dict[str, str]) -> Outcome:
    """POST a JSON body to the pinned address ``resolve`` allows (Slack-style messages use it
    unsigned); never follows a redirect."""
    started = time.monotonic()
    headers = {"Content-Type": "application/json", **headers}
    try:
        target = resolve(url)
        headers["Host"] = (
            target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        )
        conn: http.client.HTTPConnection = (
            _PinnedHTTPS(target.address, target.port, target.host, TIMEOUT)
            if target.scheme == "https"
            else http.client.HTTPConnection(target.address, target.port, timeout=TIMEOUT)
        )
        try:
            conn.request("POST", target.path, body=body.encode(), headers=headers)
            answer = conn.getresponse()
            excerpt = answer.read(EXCERPT).decode("utf-8", "replace")
            retry_after = _retry_after(answer.getheader("Retry-After"))
            status = answer.status
        finally:
            conn.close()
    except UnsafeAddress as exc:
        return Outcome(None, _ms(started), error=str(exc))
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:EXCERPT])
    return Outcome(status, _ms(started), excerpt, retry_after=retry_after)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _record(delivery: WebhookDelivery, outcome: Outcome) -> None:
    """Store an attempt's outcome and what happens next (delivered, retried, dead)."""
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status = outcome.status
    delivery.last_latency_ms = outcome.latency_ms
    delivery.last_response = outcome.excerpt[:EXCERPT]
    delivery.last_error = outcome.error[:EXCERPT]
    endpoint = delivery.endpoint
    if outcome.ok:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, now
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    elif outcome.status == 410:
        delivery.state = DeliveryState.DEAD
        _disable(endpoint, "the receiver answered 410 Gone")
    elif outcome.retry and delivery.attempts < len(RETRY_AFTER):
        wait = float(RETRY_AFTER[delivery.attempts])
        if outcome.retry_after is not None:
            wait = max(wait, min(outcome.retry_after, RETRY_AFTER[-1]))
        delivery.next_attempt_at = now + dt.timedelta(seconds=wait)
        _failing(endpoint, now)
    else:
        delivery.state = DeliveryState.DEAD
        _failing(endpoint, now)
    delivery.save()


def _failing(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
    since = WebhookEndpoint.objects.values_list("failing_since", flat=True).get(pk=endpoint.pk)
    if since is not None and now - since >= DISABLE_AFTER:
        _disable(endpoint, "every delivery failed for 5 days")


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop the endpoint; its pending deliveries wait (a replay or re-enable sends them)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason=reason)
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
    from_owner = endpoint.created_by
    if from_owner is not None and from_owner.email:
        webhook_disabled_mail.enqueue(endpoint_id=endpoint.pk)


def _head(endpoint_id: int) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(endpoint_id=endpoint_id, state=DeliveryState.PENDING)
        .order_by("id")
        .first()
    )


def endpoint_drain(endpoint_id: int, *, limit: int = PER_LEASE) -> int:
    """Send the endpoint's due deliveries in order until one fails or none is due; returns
    how many were attempted."""
    attempted = 0
    while attempted < limit:
        delivery = _head(endpoint_id)
        if delivery is None or delivery.next_attempt_at > timezone.now():
            break
        if not delivery.endpoint.enabled:
            break
        outcome = post(delivery.endpoint, delivery.message_id, delivery.payload)
        with transaction.atomic():
            _record(delivery, outcome)
        attempted += 1
        if not outcome.ok:
            break
    return attempted


def due_endpoints(limit: int = 100) -> list[int]:
    """Enabled, unleased endpoints whose oldest pending delivery is due."""
    now = timezone.now()
    heads = (
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, endpoint__enabled=True)
        .filter(Q(endpoint__leased_until__isnull=True) | Q(endpoint__leased_until__lt=now))
        .values("endpoint_id")
        .annotate(head=Min("id"))
        .values_list("head", flat=True)[:limit]
    )
    return list(
        WebhookDelivery.objects.filter(id__in=list(heads), next_attempt_at__lte=now).values_list(
            "endpoint_id", flat=True
        )
    )


def _lease(endpoint_id: int, owner: str) -> bool:
    now = timezone.now()
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint_id)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + LEASE, leased_by=owner)
    )


def _release(endpoint_id: int, owner: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, leased_by=owner).update(
        leased_until=None, leased_by=""
    )


_pool: ThreadPoolExecutor | None = None
_busy: set[int] = set()
_busy_lock = threading.Lock()


def _send_leased(endpoint_id: int, owner: str) -> None:
    try:
        endpoint_drain(endpoint_id)
    except Exception:  # one endpoint's failure must not end the pool's thread
        logger.exception("sending to webhook endpoint %s failed", endpoint_id)
    finally:
        _release(endpoint_id, owner)
        with _busy_lock:
            _busy.discard(endpoint_id)
        close_old_connections()
        connection.close()


def webhooks_deliver(*, owner: str = "", wait: bool | None = None) -> int:
    """Hand each due endpoint to a sending thread (a worker loop); returns how many.

    Outside a worker (``owner`` empty, or ``wait``) it sends in this thread, for tests and
    commands."""
    inline = not owner if wait is None else wait
    name = owner or "inline"
    started = 0
    for endpoint_id in due_endpoints():
        with _busy_lock:
            if endpoint_id in _busy:
                continue
        if not _lease(endpoint_id, name):
            continue
        started += 1
        if inline:
            try:
                endpoint_drain(endpoint_id)
            finally:
                _release(endpoint_id, name)
            continue
        with _busy_lock:
            _busy.add(endpoint_id)
        _executor().submit(_send_leased, endpoint_id, name)
    return started


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(
            max_workers=settings.WEBHOOK_SENDERS, thread_name_prefix="soriloop-webhook"
        )
    return _pool


@task()
def webhook_disabled_mail(endpoint_id: int) -> str:
    """Tell the endpoint's creator, in their language, that it was disabled and why."""
    endpoint = WebhookEndpoint.objects.select_related("created_by").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.created_by is None or not endpoint.created_by.email:
        return "nobody to tell"
    language = endpoint.created_by.language or "ko"
    with translation.override(language):
        subject = gettext("A Soriloop webhook was disabled")
        body = gettext(
            "The webhook to %(url)s was disabled: %(reason)s. Its undelivered events are kept; "
            "enable it again under Settings, or replay them through the API."
        ) % {"url": endpoint.url, "reason": endpoint.disabled_reason}
    send_mail(subject, body, None, [endpoint.created_by.email])
    return "sent"
