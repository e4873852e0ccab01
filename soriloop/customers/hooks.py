"""What the apps above customers know about one customer, gathered without importing them.

A profile's timeline, a subject-access export, an erasure and a churn risk all need data the
apps above own (feedback records, survey answers, analysed sentiment), yet customers stands
below them. Each such app registers one ``CustomerSource`` from its ``AppConfig.ready()``
(as analysis registers its workspace set-up in accounts/hooks.py); the customers services call
every registered source. A source answers only for its own tables.

Why not the change log: an erasure must be finished before the customer reads as gone, and a
timeline or an export is a read in the request; the log's consumers run later in the worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TimelineItem:
    """One thing in a customer's history: ``kind`` is feedback, survey_response, event,
    segment_joined, segment_left or merged; ``ref`` the id of the thing in its table."""

    at: dt.datetime
    kind: str
    ref: int
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


# (workspace_id, customer_id, before, limit) -> at most ``limit`` items older than ``before``
Timeline = Callable[[int, int, dt.datetime | None, int], list[TimelineItem]]
# (workspace_id, customer_id) -> sections of the export, each a list of JSON objects
Export = Callable[[int, int], dict[str, list[dict[str, Any]]]]
# (workspace_id, customer_id, email, phone) -> how many rows were erased or anonymised
Erase = Callable[[int, int, str, str], int]
# (workspace_id, customer_id) -> how many rows an erasure would touch
Size = Callable[[int, int], int]
# (workspace_id, customer_ids, now) -> customer id -> signal name -> value (docs/customers.md)
Signals = Callable[[int, Sequence[int], dt.datetime], dict[int, dict[str, float]]]
# (workspace_id, customer_ids, condition, now) -> customer id -> how many of the records the
# feedback condition names they have (docs/customers.md#segments); None: not this source's
Count = Callable[[int, Sequence[int], dict[str, Any], dt.datetime], dict[int, int] | None]
# (workspace_id, record ids of a change-log event) -> the customers those records belong to
Owners = Callable[[int, Sequence[int]], set[int]]


@dataclass(frozen=True)
class CustomerSource:
    name: str
    timeline: Timeline | None = None
    export: Export | None = None
    erase: Erase | None = None
    size: Size | None = None
    signals: Signals | None = None
    count: Count | None = None
    owners: Owners | None = None


_sources: dict[str, CustomerSource] = {}


def customer_source_register(source: CustomerSource) -> None:
    """Add ``source`` (registering a name again replaces it)."""
    _sources[source.name] = source


def customer_sources() -> list[CustomerSource]:
    """The registered sources in the order they were registered (the apps' order, lowest
    room first; an erasure runs them the other way round, so the highest goes first while
    the records it finds through lower tables are still linked)."""
    return list(_sources.values())
