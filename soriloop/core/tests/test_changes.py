"""The change log: appended with the change, read in order by each consumer, at least once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from soriloop.core import changes
from soriloop.core.changes import (
    Event,
    change_append,
    changes_append,
    changes_drain,
    changes_pending,
    changes_prune,
    consumer_register,
    consumer_step,
    consumers_lag,
)
from soriloop.core.models import Change, ConsumerPosition
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import feedback_delete, feedback_ingest
from soriloop.feedback.validation import parse_feedback

pytestmark = pytest.mark.django_db


class Seen:
    """A consumer's handler that remembers what it was handed, and can be told to fail."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.fail_on: int | None = None

    def __call__(self, events: Sequence[Change]) -> None:
        for event in events:
            if event.id == self.fail_on:
                raise RuntimeError(f"cannot handle {event.id}")
        self.ids.extend(e.id for e in events)


@pytest.fixture
def seen() -> Iterator[Seen]:
    """A consumer "test" of ``thing.*`` events, registered for the test only."""
    handler = Seen()
    before = dict(changes._consumers)
    consumer_register(name="test", types=["thing.made", "thing.gone"], handle=handler, batch=3)
    yield handler
    changes._consumers.clear()
    changes._consumers.update(before)
    changes._batch.clear()
    changes._retry_at.clear()


def append(n: int, type: str = "thing.made", workspace_id: int = 1) -> list[int]:
    changes_append(Event(workspace_id, type, i, {"n": i}) for i in range(n))
    return list(Change.objects.order_by("-id").values_list("id", flat=True)[:n])[::-1]


def test_a_new_consumer_is_one_handler_and_one_registration(seen: Seen) -> None:
    made = append(4)
    append(2, type="other.thing")
    gone = append(1, type="thing.gone")
    assert changes_drain() == 5
    assert seen.ids == [*made, *gone], "its types only, oldest first, each once"
    position = ConsumerPosition.objects.get(name="test").position
    assert position == Change.objects.latest("id").id, "moved past the others' events too"
    assert changes_drain() == 0


def test_an_event_exists_exactly_when_its_change_does(seen: Seen) -> None:
    def failing_change() -> None:
        with transaction.atomic():
            change_append(workspace_id=1, type="thing.made", subject_id=7)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not Change.objects.exists()
    change_append(workspace_id=1, type="thing.made", subject_id=8, payload={"why": "kept"})
    assert Change.objects.get().payload == {"why": "kept"}


def test_a_failing_handler_keeps_its_place_and_gets_the_same_events_again(seen: Seen) -> None:
    ids = append(5)
    seen.fail_on = ids[1]
    assert consumer_step(changes._consumers["test"]) == 0
    assert seen.ids == [], "the batch rolled back with the failure: nothing half-handled"
    row = ConsumerPosition.objects.get(name="test")
    assert (row.position, row.failures) == (0, 1)
    assert "cannot handle" in row.last_error
    assert consumer_step(changes._consumers["test"]) == 1, "smaller batches find the bad one"
    assert seen.ids == [ids[0]]
    seen.fail_on = None  # fixed (a deploy, a receiver back up)
    changes_drain()
    assert seen.ids == ids, "nothing skipped, nothing twice after the fix"
    row.refresh_from_db()
    assert (row.failures, row.last_error) == (0, "")


def test_a_restarted_worker_reads_on_from_the_stored_position(seen: Seen) -> None:
    first = append(3)
    consumer_step(changes._consumers["test"])
    changes._batch.clear()  # a new process knows nothing but the database
    second = append(2)
    changes_drain()
    assert seen.ids == first + second


def test_the_other_consumers_go_on_while_one_fails(seen: Seen, alice) -> None:
    ids = append(2)
    seen.fail_on = ids[0]
    feedback_ingest(workspace=alice.workspace, items=[item("배송이 늦어요")])
    changes.consumers_run()
    assert ConsumerPosition.objects.get(name="rollups").position > ids[-1]
    assert ConsumerPosition.objects.get(name="test").position == 0


def test_lag_and_failures_show_on_healthz(seen: Seen) -> None:
    ids = append(2)
    seen.fail_on = ids[0]
    Change.objects.update(created_at=timezone.now() - dt.timedelta(minutes=10))
    body = Client().get("/healthz").json()
    mine = next(c for c in body["changes"]["consumers"] if c["name"] == "test")
    assert (mine["behind"], mine["oldest_seconds"] >= 600) == (2, True)
    assert "test" in body["changes"]["late"]
    assert body["status"] == "degraded"
    changes.consumers_run()
    mine = next(c for c in consumers_lag() if c["name"] == "test")
    assert mine["failures"] == 1
    assert mine["last_error"].startswith("RuntimeError")


def test_pruning_keeps_what_a_consumer_has_not_read(seen: Seen, settings) -> None:
    settings.CHANGE_LOG_RETENTION_DAYS = 7
    old = append(3)
    Change.objects.update(created_at=timezone.now() - dt.timedelta(days=8))
    seen.fail_on = old[2]
    changes_drain()
    assert changes_prune() == 2, "read by every consumer and old"
    assert list(Change.objects.values_list("id", flat=True)) == [old[2]]
    seen.fail_on = None
    changes_drain()
    recent = append(1)
    changes_drain()
    assert changes_prune() == 1, "the old one, now read; the recent one stays"
    assert list(Change.objects.values_list("id", flat=True)) == recent


def item(text: str, **extra: object):
    return parse_feedback({"text": text, **extra}, channel="api", tz=dt.UTC, now=timezone.now())


def test_the_feedback_writers_append_their_events(alice) -> None:
    (result,) = feedback_ingest(workspace=alice.workspace, items=[item("환불이 안 돼요")])
    record = Feedback.objects.get(id=result.feedback_id)
    feedback_delete(workspace=alice.workspace, feedback=record, actor=None)
    kinds = list(Change.objects.order_by("id").values_list("type", "subject_id", "workspace_id"))
    assert kinds == [
        ("feedback.created", record.pk, alice.workspace.pk),
        ("feedback.purged", record.pk, alice.workspace.pk),
        ("feedback.deleted", record.pk, alice.workspace.pk),
    ]
    created = Change.objects.first().payload
    assert created == {"day": record.day.isoformat(), "channel": "api", "customer_id": None}


def test_pending_changes_are_per_workspace(alice, bob) -> None:
    feedback_ingest(workspace=alice.workspace, items=[item("좋아요")])
    assert changes_pending(consumer="rollups", workspace_id=alice.workspace.pk)
    assert not changes_pending(consumer="rollups", workspace_id=bob.workspace.pk)
    changes_drain()
    assert not changes_pending(consumer="rollups", workspace_id=alice.workspace.pk)


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_is_not_skipped(seen: Seen) -> None:
    """Writer A appends first and commits last; the consumer must not move past A's id while
    B's later id is already visible (on PostgreSQL the log's lock orders the commits)."""
    a_appended, a_may_commit, b_done = threading.Event(), threading.Event(), threading.Event()

    def writer_a() -> None:
        try:
            with transaction.atomic():
                change_append(workspace_id=1, type="thing.made", subject_id=1)
                a_appended.set()
                a_may_commit.wait(10)
        finally:
            connection.close()

    def writer_b() -> None:
        try:
            a_appended.wait(10)
            change_append(workspace_id=1, type="thing.made", subject_id=2)
            b_done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for thread in threads:
        thread.start()
    a_appended.wait(10)
    b_done.wait(0.5)  # B, if unordered, would have committed by now
    if connection.vendor == "postgresql":
        assert not b_done.is_set(), "B waits for A's commit"
        changes.consumers_run()
        assert seen.ids == [], "neither is visible yet: nothing to read, nothing skipped"
    a_may_commit.set()
    for thread in threads:
        thread.join(10)
    changes_drain()
    assert sorted(Change.objects.get(id=i).subject_id for i in seen.ids) == [1, 2]
