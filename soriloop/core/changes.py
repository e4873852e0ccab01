"""The change log: writers append domain events; consumers read them in order.

A service that changes something others react to (a record stored, analysed, corrected or
deleted; a customer changed; later a survey answered or a case resolved) appends an event with
``changes_append`` in the transaction that makes the change, so the event exists exactly when
the change does. It never calls the readers. A reader is a *consumer*: a handler registered by
its app (``consumer_register`` in ``AppConfig.ready``) that the worker's ``consumers_run`` loop
hands the events after its stored position, oldest first, in batches.

Delivery is at least once: a handler's database writes and the advance of its position commit
together, so a crash before the commit hands the same batch over again, and a handler must be
idempotent for what it does outside the database (send a mail, post a webhook). A failing
handler keeps its position (nothing is skipped), is retried with a smaller batch and a
growing pause, and shows its error and lag on ``/healthz``.

Order: ids must commit in id order, or a consumer could read event 11, move past it, and
never see event 10 committed a moment later. SQLite has one writer at a time, so they do. On
PostgreSQL ``changes_append`` takes one transaction-level advisory lock before its insert,
held until commit: call it last in the writing transaction so the lock is held only for the
insert and the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from soriloop.core.models import Change, ConsumerPosition

logger = logging.getLogger(__name__)

# One advisory lock key for the whole log ("SL" "CL" in ASCII). PostgreSQL keeps one-key and
# two-key advisory locks apart, so the rollups' (workspace, day) locks never meet it.
LOCK_KEY = 0x534C434C
MAX_BACKOFF = 60.0
LAG_COUNT_CAP = 10_000


@dataclass(frozen=True)
class Event:
    """What a writer appends: the workspace, the event type, the id of the thing that changed
    and a small JSON payload (what a consumer needs without a query, nothing personal)."""

    workspace_id: int
    type: str
    subject_id: int
    payload: dict[str, Any] = field(default_factory=dict)


class Recorded(Protocol):
    """A stored record that events are about (a feedback record, a response, a case)."""

    pk: Any
    workspace_id: int
    day: dt.date


def events_for(records: Iterable[Recorded], type: str, **payload: Any) -> list[Event]:
    """One event of ``type`` per record, its payload the record's day plus ``payload``."""
    return [
        Event(r.workspace_id, type, r.pk, {"day": r.day.isoformat(), **payload}) for r in records
    ]


Handler = Callable[[Sequence[Change]], None]


@dataclass(frozen=True)
class Consumer:
    name: str
    types: frozenset[str]
    handle: Handler
    batch: int = 500


_consumers: dict[str, Consumer] = {}
_retry_at: dict[str, float] = {}  # consumer -> monotonic time of its next try, after a failure
_batch: dict[str, int] = {}  # consumer -> batch size while it is failing


def changes_append(events: Iterable[Event]) -> int:
    """Append events to the log in the caller's transaction; returns how many."""
    rows = [
        Change(workspace_id=e.workspace_id, type=e.type, subject_id=e.subject_id, payload=e.payload)
        for e in events
    ]
    if not rows:
        return 0
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        Change.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def change_append(
    *, workspace_id: int, type: str, subject_id: int, payload: dict[str, Any] | None = None
) -> None:
    """Append one event (see ``changes_append``)."""
    changes_append([Event(workspace_id, type, subject_id, payload or {})])


def consumer_register(
    *, name: str, types: Iterable[str], handle: Handler, batch: int = 500
) -> Consumer:
    """Register a consumer of the events of ``types``; call it from ``AppConfig.ready``.

    A consumer seen for the first time starts at the oldest event the log still holds."""
    consumer = Consumer(name=name, types=frozenset(types), handle=handle, batch=batch)
    _consumers[name] = consumer
    return consumer


def consumers() -> list[Consumer]:
    return list(_consumers.values())


def consumers_run(*, owner: str = "") -> int:
    """Hand each consumer its next batch; returns how many events were read (a worker loop)."""
    read = 0
    for consumer in consumers():
        if time.monotonic() >= _retry_at.get(consumer.name, -math.inf):
            read += consumer_step(consumer)
    return read


def consumer_step(consumer: Consumer) -> int:
    """Run one batch of one consumer; returns how many events it handed over."""
    ConsumerPosition.objects.get_or_create(name=consumer.name)
    size = _batch.get(consumer.name, consumer.batch)
    try:
        with transaction.atomic():
            moved = _step(consumer, size)
    except Exception as exc:  # a failing handler must not stop the others; it is retried
        _failed(consumer, size, exc)
        return 0
    if consumer.name in _batch or consumer.name in _retry_at:
        _batch.pop(consumer.name, None)
        _retry_at.pop(consumer.name, None)
        ConsumerPosition.objects.filter(name=consumer.name).update(failures=0, last_error="")
    return moved


def _step(consumer: Consumer, size: int) -> int:
    mine = ConsumerPosition.objects.filter(name=consumer.name)
    if connection.features.has_select_for_update_skip_locked:
        mine = mine.select_for_update(skip_locked=True)  # another worker has it: skip
    position = mine.first()
    if position is None:
        return 0
    # Every id up to the newest committed one is final (see the module's note on order), so
    # the position may move past events of other types without handing them over.
    newest = Change.objects.filter(id__gt=position.position).aggregate(top=Max("id"))["top"]
    if newest is None:
        return 0
    events = list(
        Change.objects.filter(
            id__gt=position.position, id__lte=newest, type__in=consumer.types
        ).order_by("id")[:size]
    )
    if events:
        consumer.handle(events)
    position.position = events[-1].id if len(events) == size else newest
    position.updated_at = timezone.now()
    position.save(update_fields=["position", "updated_at"])
    return len(events)


def _failed(consumer: Consumer, size: int, exc: Exception) -> None:
    """Halve the batch (down to the one event that fails) and pause, doubling up to a minute."""
    row = ConsumerPosition.objects.filter(name=consumer.name).first()
    failures = (row.failures if row else 0) + 1
    logger.error(
        "consumer %s failed (%s in a row); retrying", consumer.name, failures, exc_info=exc
    )
    _batch[consumer.name] = max(1, size // 2)
    _retry_at[consumer.name] = time.monotonic() + min(MAX_BACKOFF, 0.5 * 2 ** min(failures, 10))
    ConsumerPosition.objects.filter(name=consumer.name).update(
        failures=failures, last_error=f"{type(exc).__name__}: {exc}"[:2000]
    )


def changes_drain(*, rounds: int = 1000) -> int:
    """Run the consumers until none has anything left; returns how many events were read.

    What the worker's loop does over time, at once: for commands and tests."""
    total = 0
    for _ in range(rounds):
        _retry_at.clear()
        sizes = dict(_batch)
        read = consumers_run()
        total += read
        # a failing consumer halves its batch down to the event that fails, reading the ones
        # before it on the way; stop once nothing moved and no batch shrank
        if not read and _batch == sizes:
            break
    return total


def changes_pending(*, consumer: str, workspace_id: int) -> bool:
    """Whether the workspace has events the consumer has not read yet."""
    wanted = _consumers.get(consumer)
    if wanted is None:
        return False
    position = (
        ConsumerPosition.objects.filter(name=consumer).values_list("position", flat=True).first()
    ) or 0
    return Change.objects.filter(
        workspace_id=workspace_id, id__gt=position, type__in=wanted.types
    ).exists()


def consumers_lag() -> list[dict[str, Any]]:
    """Each consumer's position, how many of its events wait (counted up to a cap), how old
    the oldest waiting one is, and its failures: for /healthz."""
    positions = {p.name: p for p in ConsumerPosition.objects.all()}
    now = timezone.now()
    lag = []
    for consumer in consumers():
        row = positions.get(consumer.name)
        at = row.position if row else 0
        waiting = Change.objects.filter(id__gt=at, type__in=consumer.types).order_by("id")
        oldest = waiting.values_list("created_at", flat=True).first()
        lag.append(
            {
                "name": consumer.name,
                "position": at,
                "behind": waiting[:LAG_COUNT_CAP].count(),
                "oldest_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
                "failures": row.failures if row else 0,
                "last_error": row.last_error if row else "",
            }
        )
    return lag


_prune_checked = -math.inf
PRUNE_EVERY = 3600.0


def changes_prune(*, owner: str = "", limit: int = 10_000) -> int:
    """Delete events every consumer has read that are older than
    ``CHANGE_LOG_RETENTION_DAYS``; returns how many (a worker loop, at most hourly while it
    finds nothing)."""
    global _prune_checked
    if owner and time.monotonic() - _prune_checked < PRUNE_EVERY:
        return 0
    names = [c.name for c in consumers()]
    read = ConsumerPosition.objects.filter(name__in=names).values_list("position", flat=True)
    low = min(read, default=0) if len(read) == len(names) else 0
    cutoff = timezone.now() - dt.timedelta(days=settings.CHANGE_LOG_RETENTION_DAYS)
    ids = list(
        Change.objects.filter(id__lte=low, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        _prune_checked = time.monotonic()
        return 0
    return Change.objects.filter(id__in=ids).delete()[0]
