"""Outgoing webhooks against a real local HTTP receiver: signed, retried with one id, in
order per endpoint, refused for private addresses, isolated per workspace."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from soriloop.alerts.models import WebhookDelivery, WebhookEndpoint
from soriloop.alerts.webhooks import webhooks_deliver
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member
from soriloop.core.changes import changes_drain

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP server that answers each POST with the next scripted status."""

    def __init__(self, statuses: list[int] | None = None, delay: float = 0.0) -> None:
        self.statuses = list(statuses or [])
        self.delay = delay
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                receiver.requests.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                     "path": self.path, "at": time.monotonic()}
                )  # fmt: skip
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "120")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers(settings) -> Iterator[list[Receiver]]:
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


def receiver(
    made: list[Receiver], statuses: list[int] | None = None, delay: float = 0.0
) -> Receiver:
    found = Receiver(statuses, delay)
    made.append(found)
    return found


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


def call(method: str, path: str, key: str, body=None):
    kwargs: dict = {"headers": {"Authorization": f"Bearer {key}"}}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(Client(), method)(f"/api/v1{path}", **kwargs)


def subscribe(key: str, url: str, events=("feedback.analyzed",)) -> dict:
    created = call("post", "/webhooks", key, {"url": url, "events": list(events)})
    assert created.status_code == 201, created.content
    return created.json()


def send_feedback(key: str, text: str = "환불이 3주째 안 되고 있어요") -> int:
    created = call("post", "/feedback", key, {"text": text})
    assert created.status_code == 201
    analysis_run_batch(owner="w")
    changes_drain()
    return int(created.json()["id"])


def verify(secret: str, request: dict) -> dict:
    headers = {
        k: request["headers"][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    return Webhook(secret).verify(request["body"], headers)


def test_a_failing_receiver_gets_the_event_again_with_one_id_and_a_valid_signature(
    key: str, receivers, time_machine
) -> None:
    hook = receiver(receivers, [500, 503])
    created = subscribe(key, hook.url)
    assert created["secret"].startswith("whsec_")
    record_id = send_feedback(key)
    assert webhooks_deliver() == 1
    assert len(hook.requests) == 1
    assert webhooks_deliver() == 0, "the retry waits 5 s"
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=6))
    webhooks_deliver()
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=301))
    webhooks_deliver()
    assert len(hook.requests) == 3
    assert len({r["headers"]["webhook-id"] for r in hook.requests}) == 1
    body = verify(created["secret"], hook.requests[-1])
    assert body["type"] == "feedback.analyzed"
    feedback = body["data"]["feedback"]
    assert feedback["id"] == record_id
    assert feedback["analysis"]["sentiment"]["label"] == "negative"
    assert feedback["url"].endswith(f"/inbox/{record_id}/")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)
    time_machine.move_to(timezone.now() + dt.timedelta(days=1))
    assert webhooks_deliver() == 0
    assert len(hook.requests) == 3, "delivered once"
    log = call("get", f"/webhooks/{created['id']}/deliveries", key).json()["items"]
    assert log[0]["state"] == "delivered"
    assert log[0]["last_latency_ms"] is not None


def test_410_disables_the_endpoint_and_4xx_is_not_retried(key: str, receivers) -> None:
    gone = receiver(receivers, [410])
    refusing = receiver(receivers, [400])
    first = subscribe(key, gone.url)
    second = subscribe(key, refusing.url)
    send_feedback(key)
    webhooks_deliver()
    endpoint = WebhookEndpoint.objects.get(pk=first["id"])
    assert (endpoint.enabled, "410" in endpoint.disabled_reason) == (False, True)
    dead = WebhookDelivery.objects.get(endpoint_id=second["id"])
    assert (dead.state, dead.attempts) == ("dead", 1)
    assert call("get", f"/webhooks/{first['id']}", key).json()["enabled"] is False
    replayed = call("post", f"/webhooks/{second['id']}/deliveries/{dead.pk}/replay", key)
    assert replayed.json() == {"replayed": 1}
    webhooks_deliver()
    assert [r["headers"]["webhook-id"] for r in refusing.requests] == [dead.message_id] * 2
    assert WebhookDelivery.objects.get(pk=dead.pk).state == "delivered"


def test_429_waits_as_long_as_the_receiver_asks(key: str, receivers) -> None:
    busy = receiver(receivers, [429])
    subscribe(key, busy.url)
    send_feedback(key)
    webhooks_deliver()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending"
    assert delivery.next_attempt_at >= timezone.now() + dt.timedelta(seconds=110)


@pytest.mark.django_db(transaction=True)  # the sending threads have their own connections
def test_events_reach_an_endpoint_in_order_and_a_slow_one_delays_no_other(
    key: str, receivers
) -> None:
    slow = receiver(receivers, delay=1.5)
    fast = receiver(receivers)
    subscribe(key, slow.url, events=["feedback.created"])
    subscribe(key, fast.url, events=["feedback.created"])
    ids = [
        int(call("post", "/feedback", key, {"text": f"메시지 {i}"}).json()["id"]) for i in range(3)
    ]
    changes_drain()
    assert webhooks_deliver(owner="w", wait=False) == 2
    deadline = time.monotonic() + 20
    while (len(slow.requests) < 3 or len(fast.requests) < 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    from soriloop.alerts import webhooks

    while webhooks._busy and time.monotonic() < deadline:  # let the senders finish
        time.sleep(0.05)
    order = [json.loads(r["body"])["data"]["feedback"]["id"] for r in slow.requests]
    assert order == ids, "in order per endpoint"
    assert [json.loads(r["body"])["data"]["feedback"]["id"] for r in fast.requests] == ids
    assert fast.requests[-1]["at"] < slow.requests[1]["at"], "the fast one did not wait"
    assert not WebhookDelivery.objects.exclude(state="delivered").exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://192.168.0.10/hook",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_private_addresses_are_refused(key: str, url: str) -> None:
    response = call("post", "/webhooks", key, {"url": url, "events": ["feedback.created"]})
    assert response.status_code == 422
    assert "url" in response.json()["error"]["fields"]


def test_the_allowed_private_hosts_setting_lets_a_network_in(key: str, settings) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["10.0.0.0/8"]
    response = call(
        "post", "/webhooks", key, {"url": "http://10.1.2.3/hook", "events": ["feedback.created"]}
    )
    assert response.status_code == 201
    assert (
        call(
            "post", "/webhooks", key, {"url": "http://192.168.0.1/", "events": ["feedback.created"]}
        ).status_code
        == 422
    )


def test_the_secret_is_shown_once_and_a_rotation_signs_with_both(key: str, receivers) -> None:
    hook = receiver(receivers)
    created = subscribe(key, hook.url, events=["feedback.created"])
    assert call("get", f"/webhooks/{created['id']}", key).json()["secret"] is None
    assert all(item["secret"] is None for item in call("get", "/webhooks", key).json()["items"])
    rotated = call("patch", f"/webhooks/{created['id']}", key, {"rotate_secret": True}).json()
    assert rotated["secret"] != created["secret"]
    call("post", "/feedback", key, {"text": "좋아요"})
    changes_drain()
    webhooks_deliver()
    (request,) = hook.requests
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    verify(created["secret"], request)
    verify(rotated["secret"], request)


def test_a_payload_stays_within_20_kb(key: str, receivers) -> None:
    hook = receiver(receivers)
    subscribe(key, hook.url, events=["feedback.created"])
    call("post", "/feedback", key, {"text": "배송 " * 6500})
    changes_drain()
    webhooks_deliver()
    assert len(hook.requests[0]["body"].encode()) <= 20_000


def test_the_test_button_sends_a_test_message(key: str, receivers) -> None:
    hook = receiver(receivers)
    created = subscribe(key, hook.url)
    queued = call("post", f"/webhooks/{created['id']}/test", key)
    assert queued.status_code == 201
    webhooks_deliver()
    assert json.loads(hook.requests[0]["body"])["type"] == "webhook.test"


def test_bob_cannot_read_alices_webhooks_nor_receive_her_events(
    key: str, bob: Member, api_key_of, receivers
) -> None:
    alices, bobs = receiver(receivers), receiver(receivers)
    created = subscribe(key, alices.url, events=["feedback.created"])
    theirs = api_key_of(bob, "write")
    subscribe(theirs, bobs.url, events=["feedback.created"])
    call("post", "/feedback", key, {"text": "alice's customer writes"})
    changes_drain()
    webhooks_deliver()
    assert len(alices.requests) == 1, "alice receives her event"
    assert bobs.requests == [], "bob does not"
    assert call("get", f"/webhooks/{created['id']}", key).status_code == 200
    for method, path in (
        ("get", f"/webhooks/{created['id']}"),
        ("get", f"/webhooks/{created['id']}/deliveries"),
        ("post", f"/webhooks/{created['id']}/test"),
        ("delete", f"/webhooks/{created['id']}"),
    ):
        assert call(method, path, theirs).status_code == 404, path
    assert (
        call("patch", f"/webhooks/{created['id']}", theirs, {"enabled": False}).status_code == 404
    )
    listed = call("get", "/webhooks", theirs).json()["items"]
    assert [w["url"] for w in listed] == [bobs.url]
    assert WebhookEndpoint.objects.get(pk=created["id"]).enabled


def test_a_new_subscription_hears_what_happens_from_then_on(key: str, receivers) -> None:
    before = int(call("post", "/feedback", key, {"text": "이전 메시지"}).json()["id"])
    hook = receiver(receivers)
    subscribe(key, hook.url, events=["feedback.created"])
    after = int(call("post", "/feedback", key, {"text": "이후 메시지"}).json()["id"])
    changes_drain()
    webhooks_deliver()
    assert [json.loads(r["body"])["data"]["feedback"]["id"] for r in hook.requests] == [after]
    assert before < after
