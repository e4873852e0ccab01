"""The one door for every channel: ``feedback_ingest``; plus edits and deletion."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.analysis.engine.pii import mask_json, mask_text
from soriloop.core.changes import Event, changes_append, events_for
from soriloop.customers.models import Customer
from soriloop.customers.services import customer_resolve_many
from soriloop.feedback.models import AnalysisState, ChannelSettings, Feedback
from soriloop.feedback.validation import FeedbackInput, parse_feedback

logger = logging.getLogger(__name__)

Status = Literal["created", "duplicate", "conflict"]


@dataclass(frozen=True)
class IngestResult:
    """What a channel tells its sender: the record's id and whether it was new.

    "conflict": the idempotency key was used before for another body; nothing was stored
    and ``feedback_id`` is the record that holds the key."""

    status: Status
    feedback_id: int
    _built: Callable[[], Feedback] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def feedback(self) -> Feedback:
        """The record: a new one is built from what was just written (no query); a duplicate
        is read from the database. Bulk callers that need only the id never pay for either."""
        if self._built is not None:
            return self._built()
        return Feedback.objects.select_related("customer").get(id=self.feedback_id)


@dataclass
class _Pending:
    index: int
    item: FeedbackInput
    dedup_key: str | None
    existing_id: int | None = None
    twin_of: int | None = None
    conflict: bool = False
    new_id: int | None = None
    customer: Customer | None = None
    row: tuple[Any, ...] = ()
    created_at: dt.datetime | None = None

    @property
    def customer_id(self) -> int | None:
        return self.customer.pk if self.customer else None


def dedup_key_for(item: FeedbackInput) -> str | None:
    """Same source + external id means the same feedback (without a source, the channel
    scopes the id); an import row without an id is keyed by its content and how often that
    content came before in its file (``dedup_hint``); else no key."""
    if item.external_id:
        raw = f"{'' if item.source else item.channel}\x00{item.source}\x00{item.external_id}"
    elif item.dedup_hint:
        raw = f"row\x00{item.source}\x00{item.dedup_hint}"
    else:
        return None
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _find_existing(workspace: Workspace, pending: list[_Pending]) -> None:
    keys = {p.dedup_key for p in pending if p.dedup_key}
    idem = {p.item.idempotency_key for p in pending if p.item.idempotency_key}
    by_key: dict[str, int] = {}
    by_idem: dict[str, tuple[int, str]] = {}
    if keys or idem:
        found = Feedback.objects.filter(workspace=workspace).filter(
            Q(dedup_key__in=keys) | Q(idempotency_key__in=idem)
        )
        columns = ("id", "dedup_key", "idempotency_key", "idempotency_fingerprint")
        for pk, key, idem_key, fingerprint in found.values_list(*columns):
            if key:
                by_key[key] = pk
            if idem_key:
                by_idem[idem_key] = (pk, fingerprint)
    seen: dict[str, int] = {}
    for p in pending:
        held = by_idem.get(p.item.idempotency_key)
        p.existing_id = held[0] if held else by_key.get(p.dedup_key or "")
        p.conflict = held is not None and _differs(held[1], p.item.fingerprint)
        markers = (
            f"i:{p.item.idempotency_key}" if p.item.idempotency_key else "",
            f"k:{p.dedup_key}" if p.dedup_key else "",
        )
        for marker in filter(None, markers):
            if p.existing_id is None and p.twin_of is None and marker in seen:
                p.twin_of = seen[marker]
                first = pending[p.twin_of].item
                p.conflict = marker[0] == "i" and _differs(first.fingerprint, p.item.fingerprint)
            else:
                seen.setdefault(marker, p.index)


def _differs(held: str, sent: str) -> bool:
    """Records stored before fingerprints existed match any body."""
    return bool(held and sent and held != sent)


# Columns written by ingest; the rest keep their database defaults (none of them here).
_COLUMNS = (
    "workspace_id", "channel", "source", "external_id", "customer_id", "touchpoint", "text",
    "score", "score_kind", "language", "metadata", "received_at", "day", "created_at",
    "dedup_key", "idempotency_key", "idempotency_fingerprint", "analysis_state", "analysis_owner", "acknowledged_at",
    "deleted_at",
)  # fmt: skip


def _row(workspace: Workspace, tz: ZoneInfo, p: _Pending, created: Any) -> tuple[Any, ...]:
    """One record as database values; adapted once here instead of field by field in the ORM
    (bulk_create spent most of an import's time there)."""
    item, ops = p.item, connection.ops
    metadata = (
        _METADATA_FIELD.get_db_prep_save(item.metadata, connection) if item.metadata else _empty()
    )
    return (
        workspace.pk, item.channel, item.source, item.external_id, p.customer_id,
        item.touchpoint, item.text, item.score, item.score_kind, "", metadata,
        ops.adapt_datetimefield_value(item.received_at),
        ops.adapt_datefield_value(item.received_at.astimezone(tz).date()),
        created, p.dedup_key, item.idempotency_key or None, item.fingerprint, _PENDING, "", None, None,
    )  # fmt: skip


_METADATA_FIELD = Feedback._meta.get_field("metadata")
_PENDING = AnalysisState.PENDING.value


def _empty() -> Any:
    return _METADATA_FIELD.get_db_prep_save({}, connection)


_CHUNK = {"sqlite": 1500, "postgresql": 3000}  # rows per INSERT, within parameter limits


def _insert(rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert rows with multi-row INSERT ... RETURNING id; ids come back in row order."""
    table = connection.ops.quote_name(Feedback._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    size = _CHUNK.get(connection.vendor, 500)
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = ", ".join([one] * len(chunk))
            # Identifiers come from the model, values are bound: nothing here is user text.
            # Rows come back in insertion order on SQLite and PostgreSQL (bulk_create relies
            # on the same).
            sql = f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING id"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def _store(workspace: Workspace, pending: list[_Pending]) -> None:
    new = [p for p in pending if p.existing_id is None and p.twin_of is None]
    if not new:
        return
    customers = customer_resolve_many(workspace=workspace, refs=[p.item.customer for p in new])
    for p, customer in zip(new, customers, strict=True):
        p.customer = customer
    tz = ZoneInfo(workspace.timezone)
    now = timezone.now()
    created = connection.ops.adapt_datetimefield_value(now)
    for p in new:
        p.row = _row(workspace, tz, p, created)
        p.created_at = now
    ids = _insert([p.row for p in new])
    for p, pk in zip(new, ids, strict=True):
        p.new_id = pk


def _announce(workspace: Workspace, pending: list[_Pending]) -> None:
    """``feedback.created`` for each new record; last in the transaction (see core.changes)."""
    tz = ZoneInfo(workspace.timezone)
    changes_append(
        Event(
            workspace.pk,
            "feedback.created",
            p.new_id,
            {
                "day": p.item.received_at.astimezone(tz).date().isoformat(),
                "channel": p.item.channel,
                "customer_id": p.customer_id,
            },
        )
        for p in pending
        if p.new_id is not None
    )


def feedback_ingest(*, workspace: Workspace, items: Sequence[FeedbackInput]) -> list[IngestResult]:
    """Store valid items, or find the records they duplicate; one result per item, in order.

    Duplicates are the same source + external id, or the same idempotency key, whether stored
    before or earlier in ``items``. New records are committed, linked to their customer and
    waiting for analysis when this returns: "received" means durable.
    """
    for attempt in range(3):
        pending = [
            _Pending(index=i, item=item, dedup_key=dedup_key_for(item))
            for i, item in enumerate(items)
        ]
        try:
            with transaction.atomic():
                _find_existing(workspace, pending)
                _store(workspace, pending)
                _announce(workspace, pending)
            break
        except IntegrityError:
            # A concurrent writer stored one of these keys between our read and our write;
            # the next attempt finds it as a duplicate.
            if attempt == 2:
                raise
            logger.info("ingest raced a concurrent writer; retrying")
    return [_result(workspace, pending, p) for p in pending]


def _built(workspace: Workspace, p: _Pending) -> Feedback:
    """The just-written record as a model instance, from the values we wrote."""
    item = p.item
    assert p.created_at is not None
    record = Feedback(
        id=p.new_id,
        workspace=workspace,
        channel=item.channel,
        source=item.source,
        external_id=item.external_id,
        customer=p.customer,
        touchpoint=item.touchpoint,
        text=item.text,
        score=item.score,
        score_kind=item.score_kind,
        metadata=item.metadata,
        received_at=item.received_at,
        day=item.received_at.astimezone(ZoneInfo(workspace.timezone)).date(),
        created_at=p.created_at,
        dedup_key=p.dedup_key,
        idempotency_key=item.idempotency_key or None,
        idempotency_fingerprint=item.fingerprint,
    )
    record._state.adding = False
    return record


def _result(workspace: Workspace, pending: list[_Pending], p: _Pending) -> IngestResult:
    if p.conflict:
        holder = p.existing_id or pending[p.twin_of or 0].new_id
        return IngestResult(status="conflict", feedback_id=holder or 0)
    if p.new_id is not None:
        return IngestResult(
            status="created", feedback_id=p.new_id, _built=partial(_built, workspace, p)
        )
    if p.existing_id is not None:
        return IngestResult(status="duplicate", feedback_id=p.existing_id)
    assert p.twin_of is not None
    twin = pending[p.twin_of]
    twin_id = twin.new_id or twin.existing_id
    assert twin_id is not None
    return IngestResult(status="duplicate", feedback_id=twin_id)


def feedback_ingest_one(*, workspace: Workspace, item: FeedbackInput) -> IngestResult:
    return feedback_ingest(workspace=workspace, items=[item])[0]


def channel_settings_get(*, workspace: Workspace) -> ChannelSettings:
    """The workspace's channel settings, created with defaults on first use."""
    settings, _created = ChannelSettings.objects.get_or_create(workspace=workspace)
    return settings


def feedback_update(
    *,
    actor: Membership | None,
    feedback: Feedback,
    metadata: dict[str, Any] | None = None,
    touchpoint: str | None = None,
    actor_label: str = "",
) -> Feedback:
    """Change the metadata (merged, keys with null removed) or the touchpoint of a record."""
    if actor is not None:
        require(actor, Action.WRITE_FEEDBACK)
    fields = []
    if metadata is not None:
        merged = {**feedback.metadata, **metadata}
        feedback.metadata = {k: v for k, v in merged.items() if v is not None}
        fields.append("metadata")
    if touchpoint is not None:
        feedback.touchpoint = touchpoint.strip()[:120]
        fields.append("touchpoint")
    if fields:
        with transaction.atomic():
            feedback.save(update_fields=fields)
            changes_append(events_for([feedback], "feedback.changed", fields=fields))
    return feedback


def feedback_delete(
    *, workspace: Workspace, feedback: Feedback, actor: Membership | None, actor_label: str = ""
) -> None:
    """Soft-delete: the record disappears from lists, exports and metrics; audited.

    It lets go of its dedup and idempotency keys, so the same feedback sent again is stored
    anew; its text, metadata and customer link are purged now when
    ``DELETED_FEEDBACK_RETENTION_DAYS`` is 0, else by ``feedback_purge_deleted`` later."""
    if actor is not None:
        require(actor, Action.DELETE_FEEDBACK)
    if feedback.deleted_at is not None:
        return
    feedback.deleted_at = timezone.now()
    feedback.dedup_key = feedback.idempotency_key = None
    with transaction.atomic():
        feedback.save(update_fields=["deleted_at", "dedup_key", "idempotency_key"])
        if django_settings.DELETED_FEEDBACK_RETENTION_DAYS == 0:
            _purge([feedback])
            feedback.refresh_from_db()
        changes_append(events_for([feedback], "feedback.deleted"))
    audit_record(
        workspace=workspace,
        actor=actor.user if actor else None,
        actor_label=actor_label,
        action="feedback.deleted",
        target=f"feedback {feedback.pk}",
        data={"channel": feedback.channel},
    )


def _purge(records: list[Feedback]) -> int:
    """Empty the records' text, metadata and customer link; ``feedback.purged`` tells the
    consumers holding what was derived from them (analysis) to forget it."""
    purged = Feedback.objects.filter(id__in=[r.pk for r in records]).update(
        text="", metadata={}, customer=None
    )
    changes_append(events_for(records, "feedback.purged"))
    return purged


_PURGE_CHECK_SECONDS = 60.0
_purge_checked = -math.inf


def feedback_purge_deleted(*, owner: str = "", limit: int = 1000) -> int:
    """Purge the text, metadata, customer link and analysis of records deleted more than
    ``DELETED_FEEDBACK_RETENTION_DAYS`` ago; returns how many (a worker loop, which looks
    at most once a minute while there is nothing to purge)."""
    global _purge_checked
    if owner and time.monotonic() - _purge_checked < _PURGE_CHECK_SECONDS:
        return 0
    cutoff = timezone.now() - dt.timedelta(days=django_settings.DELETED_FEEDBACK_RETENTION_DAYS)
    unpurged = ~Q(text="") | ~Q(metadata={}) | Q(customer__isnull=False)
    records = list(
        Feedback.objects.filter(deleted_at__lte=cutoff)
        .filter(unpurged)
        .order_by("id")
        .only("id", "workspace_id", "day")[:limit]
    )
    if not records:
        _purge_checked = time.monotonic()
        return 0
    with transaction.atomic():
        return _purge(records)


_anonymise_checked = -math.inf


def feedback_anonymise_old(*, owner: str = "", limit: int = 1000) -> int:
    """Make records received more than ``FEEDBACK_ANONYMISE_MONTHS`` (x 30 days) ago
    anonymous: unlinked from their customer, personal data in the text and metadata masked by
    the PII detector; appends ``feedback.anonymised`` so the rollups recount their days and
    analysis masks what it quoted. A worker loop (looks once a minute while idle); 0 months
    turns it off. Returns how many records it anonymised."""
    global _anonymise_checked
    months = django_settings.FEEDBACK_ANONYMISE_MONTHS
    if months == 0 or (owner and time.monotonic() - _anonymise_checked < _PURGE_CHECK_SECONDS):
        return 0
    cutoff = timezone.now() - dt.timedelta(days=30 * months)
    records = list(
        Feedback.objects.filter(received_at__lt=cutoff, anonymised_at=None)
        .order_by("received_at", "id")
        .only("id", "workspace_id", "day", "text", "metadata")[:limit]
    )
    if not records:
        _anonymise_checked = time.monotonic()
        return 0
    moment = timezone.now()
    with transaction.atomic():
        for record in records:
            record.text, record.metadata = mask_text(record.text), mask_json(record.metadata)
            record.customer, record.anonymised_at = None, moment
        Feedback.objects.bulk_update(records, ["text", "metadata", "customer", "anonymised_at"])
        changes_append(events_for(records, "feedback.anonymised"))
    return len(records)


def feedback_enter_manually(*, actor: Membership, data: dict[str, Any]) -> IngestResult:
    """A staff member records phone, chat or in-person feedback; raises ``InvalidFeedback``."""
    require(actor, Action.WRITE_FEEDBACK)
    workspace = actor.workspace
    item = parse_feedback(
        {**data, "metadata": {"entered_by": actor.user.email}},
        channel="manual",
        tz=ZoneInfo(workspace.timezone),
        now=timezone.now(),
    )
    return feedback_ingest_one(workspace=workspace, item=item)


_ORIGIN = re.compile(r"^https?://[a-z0-9.\-]+(:\d{1,5})?$")


def channel_settings_update(*, actor: Membership, data: dict[str, Any]) -> ChannelSettings:
    """Save the widget origins and acknowledgement texts; raise ``ValidationError`` on bad origins."""
    require(actor, Action.MANAGE_SETTINGS)
    origins = [o.strip().rstrip("/").lower() for o in str(data.get("widget_origins", "")).split()]
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad:
        raise ValidationError(
            {"widget_origins": [f"not an origin (scheme://host[:port]): {o}" for o in bad]}
        )
    settings = channel_settings_get(workspace=actor.workspace)
    settings.widget_origins = list(dict.fromkeys(origins))
    for name in (
        "thanks_ko",
        "thanks_en",
        "reply_subject_ko",
        "reply_subject_en",
        "reply_body_ko",
        "reply_body_en",
    ):
        setattr(settings, name, str(data.get(name) or "").strip())
    settings.reply_enabled = bool(data.get("reply_enabled"))
    settings.save()
    audit_record(workspace=actor.workspace, actor=actor.user, action="channels.updated")
    return settings


def export_audit(*, actor: Membership, what: str, query: str) -> None:
    """Check the right to export and record that it happened."""
    require(actor, Action.EXPORT)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="export",
        target=what,
        data={"filter": query},
    )


def raw_mail_audit(*, actor: Membership, feedback_id: int) -> None:
    """Check the right to read an original e-mail (personal data, unredacted) and record it."""
    require(actor, Action.VIEW_RAW_MAIL)
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="feedback.raw_viewed",
        target=f"feedback {feedback_id}",
        data={},
    )


def inbound_address(*, settings: ChannelSettings) -> str:
    """The e-mail address whose mail becomes this workspace's feedback."""
    return f"fb-{settings.inbound_token}@{django_settings.INBOUND_EMAIL_DOMAIN}"
