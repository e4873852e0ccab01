"""The reply outbox: a reply is a ``CaseReply`` row committed by the request before any
SMTP conversation, so a reply is kept until it is sent whatever fails.

The request that wrote it makes the first attempt once the row is committed
(``case_reply_send_now``: the agent sees "sent" at once and the customer gets it in the
order it was written, before a verification survey queued by a later resolve). A refusal,
an unreachable server or a crash there leaves the row to the worker loop
``case_replies_send``, which claims due rows by a conditional UPDATE (one sender per reply),
retries with a growing pause and fails a reply after ``CASE_REPLY_MAX_ATTEMPTS``; a worker
that died leaves its claims to ``case_replies_release_orphans``."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, transaction
from django.utils import timezone

from soriloop.core.heartbeat import live_worker_ids
from soriloop.loop.mail import email_of
from soriloop.loop.models import CaseEvent, CaseReply, ReplyState

logger = logging.getLogger(__name__)

BATCH = 20
RETRY_MINUTES = 2


def _claim(owner: str, limit: int, reply_id: int | None = None) -> list[CaseReply]:
    with transaction.atomic():
        due = CaseReply.objects.filter(state=ReplyState.QUEUED, due_at__lte=timezone.now())
        if reply_id is not None:
            due = due.filter(pk=reply_id)
        ids = list(due.order_by("due_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        CaseReply.objects.filter(id__in=ids, state=ReplyState.QUEUED).update(
            state=ReplyState.SENDING, owner=owner
        )
    return list(
        CaseReply.objects.select_related("case__workspace")
        .filter(id__in=ids, state=ReplyState.SENDING, owner=owner)
        .order_by("id")
    )


def case_reply_send_now(*, reply_id: int) -> None:
    """The first attempt at one reply, by the request that wrote it (after its commit).
    Whatever goes wrong here, the reply stays in the outbox for the worker."""
    try:
        _send(_claim(f"request-{reply_id}", 1, reply_id))
    except DatabaseError:
        logger.exception("case reply %s: first attempt failed; the worker sends it", reply_id)


def case_replies_send(*, owner: str = "", limit: int = BATCH) -> int:
    """Send the replies that are due; returns how many were sent or failed for good."""
    return _send(_claim(owner, limit))


def _send(claimed: list[CaseReply]) -> int:
    if not claimed:
        return 0
    done = 0
    backend = get_connection(fail_silently=False)
    try:
        for reply in claimed:
            case = reply.case
            message = email_of(
                workspace_name=case.workspace.name, token=case.reply_token, to=reply.to,
                subject=reply.subject, body=reply.body, message_id=reply.message_id,
                in_reply_to=reply.in_reply_to, references=reply.references,
            )  # fmt: skip
            try:
                backend.open()
                backend.send_messages([message])
            except (smtplib.SMTPException, OSError) as exc:
                logger.warning("case reply %s not sent: %s", reply.pk, exc)
                done += _retry(reply, f"{type(exc).__name__}: {exc}")
                continue
            _sent(reply)
            done += 1
    finally:
        backend.close()
    return done


def _sent(reply: CaseReply) -> None:
    now = timezone.now()
    with transaction.atomic():
        CaseReply.objects.filter(pk=reply.pk).update(
            state=ReplyState.SENT, owner="", sent_at=now, error=""
        )
        CaseEvent.objects.create(
            workspace_id=reply.workspace_id, case_id=reply.case_id, kind="reply_sent",
            data={"reply": reply.pk, "message_id": reply.message_id},
        )  # fmt: skip


def _retry(reply: CaseReply, error: str) -> int:
    """1 when the reply failed for good, else 0 (it waits for its next attempt)."""
    attempts = reply.attempts + 1
    final = attempts >= settings.CASE_REPLY_MAX_ATTEMPTS
    due = timezone.now() + dt.timedelta(minutes=RETRY_MINUTES * 2 ** (attempts - 1))
    with transaction.atomic():
        CaseReply.objects.filter(pk=reply.pk).update(
            state=ReplyState.FAILED if final else ReplyState.QUEUED,
            owner="", attempts=attempts, due_at=due, error=error[:500],
        )  # fmt: skip
        if final:
            CaseEvent.objects.create(
                workspace_id=reply.workspace_id, case_id=reply.case_id, kind="reply_failed",
                data={"reply": reply.pk, "error": error[:300]},
            )  # fmt: skip
    return int(final)


def case_replies_release_orphans() -> int:
    """Maintenance hook: replies claimed by a worker that stopped beating, or by a request
    that died in its first attempt (over 10 minutes ago), go back to the queue."""
    stale = timezone.now() - dt.timedelta(minutes=10)
    return (
        CaseReply.objects.filter(state=ReplyState.SENDING)
        .exclude(owner__in=live_worker_ids())
        .exclude(owner__startswith="request-", created_at__gt=stale)
        .update(state=ReplyState.QUEUED, owner="")
    )
