"""The loop's part of a customer's profile (customers/hooks.py): their cases on the timeline
(opened, each reply sent and received, resolved, reopened, the verification's answer) and in
the export (each case with its conversation), and the erasure of what the cases hold of them.

A customer's cases are the cases whose ``customer`` they are, and the cases without a
customer that hold one of their records or were replied to at their address. ``Case.customer``
is the loop's own link, so the cases are found whatever order the sources erase in (the
feedback source unlinks the records; this one needs them for nothing but orphaned cases).

An erasure follows ``ERASURE_FEEDBACK``, as the customer's records do:

- ``delete`` (default): the cases are deleted with their replies, notes, history, links and
  verification. Their records leave the metrics (feedback source); so do the cases.
- ``redact``: the cases are kept for the loop metrics (status, priority, times, SLA, the
  verification's score), unlinked from the customer and emptied of every text that may be
  theirs: the title (their first record's first line), notes, override and no-survey
  reasons, the history's free text, and the sent replies' address, subject, body, threading
  headers and errors. The customer's own text is then kept only where the feedback source
  keeps it, masked in the anonymous records the case still links to.

Either way replies not sent yet are deleted (they must never go out), the reply address gets
a new token (a later mail to the old one threads into nothing), notifications of notes on the
cases are deleted, and the case's records no customer owns (out-of-office replies: smtpd links
no customer to an automatic mail) are erased like the customer's records, with their raw
mail and webhook deliveries. Records of another customer in one of these cases stay theirs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from soriloop.alerts.customer_data import deliveries_erase
from soriloop.alerts.models import Notification
from soriloop.customers.hooks import CustomerSource, TimelineItem
from soriloop.customers.models import Customer
from soriloop.feedback.customer_data import feedback_records_erase
from soriloop.loop.models import (
    Case,
    CaseEvent,
    CaseFeedback,
    CaseNote,
    CaseReply,
    ReplyState,
    Verification,
    _reply_token,
)
from soriloop.loop.priority import level_of

# a case event's kind -> the timeline item's kind
TIMELINE_KINDS = {
    "opened": "case_opened",
    "reply_sent": "case_reply_sent",
    "reply": "case_reply_received",
    "resolved": "case_resolved",
    "verification_answered": "case_verified",
}
FREE_TEXT = ("reason", "no_survey_reason", "error")  # keys of a case event's data
INBOUND_ROLES = ("reply", "auto_reply")


def _email_of(workspace_id: int, customer_id: int) -> str:
    customer = Customer.objects.filter(workspace_id=workspace_id, pk=customer_id).first()
    return (customer.email or "") if customer else ""


def _case_ids(workspace_id: int, customer_id: int, email: str) -> list[int]:
    orphaned = Q(links__feedback__customer_id=customer_id)
    if email:
        orphaned |= Q(replies__to=email)
    found = Case.objects.filter(
        Q(customer_id=customer_id) | (Q(customer=None) & orphaned), workspace_id=workspace_id
    )
    return sorted(set(found.values_list("id", flat=True)))


def _url(case_id: int) -> str:
    return reverse("loop:case", args=[case_id])


def _item(event: CaseEvent, case: Case) -> TimelineItem:
    data: dict[str, Any] = {"case_id": case.pk, "url": _url(case.pk), "status": case.status}
    if event.kind == "verification_answered":
        data |= {"solved": event.data.get("solved"), "score": event.data.get("score")}
    elif event.kind == "reply":
        data["feedback_id"] = event.data.get("feedback")
    elif event.kind == "reply_sent":
        data["reply_id"] = event.data.get("reply")
    kind = TIMELINE_KINDS.get(event.kind, "case_reopened")
    return TimelineItem(
        at=event.at, kind=kind, ref=event.pk, summary=case.subject or f"#{case.pk}", data=data
    )


def cases_timeline(
    workspace_id: int, customer_id: int, before: dt.datetime | None, limit: int
) -> list[TimelineItem]:
    """A line per step of each case: its history's opened, reply_sent, reply (the customer's
    answer), resolved, reopened and verification_answered events (``ref``: the event's id;
    ``data.url``: the case page)."""
    ids = _case_ids(workspace_id, customer_id, "")
    if not ids:
        return []
    events = CaseEvent.objects.filter(workspace_id=workspace_id, case_id__in=ids).filter(
        Q(kind__in=TIMELINE_KINDS) | Q(kind="status_changed", data__status="reopened")
    )
    if before is not None:
        events = events.filter(at__lt=before)
    found = list(events.order_by("-at", "-pk")[:limit])
    cases = Case.objects.in_bulk({e.case_id for e in found})
    return [_item(e, cases[e.case_id]) for e in found]


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _messages(case: Case, customer_id: int) -> list[dict[str, Any]]:
    """The case's records that are the customer's or no one's (never another customer's)."""
    links = (
        CaseFeedback.objects.filter(case=case)
        .filter(Q(feedback__customer_id=customer_id) | Q(feedback__customer=None))
        .select_related("feedback")
        .order_by("feedback__received_at", "feedback_id")
    )
    return [
        {
            "feedback_id": link.feedback_id,
            "role": link.role,
            "inbound": link.role in INBOUND_ROLES,
            "channel": link.feedback.channel,
            "text": link.feedback.text,
            "received_at": link.feedback.received_at.isoformat(),
        }
        for link in links
    ]


def _verification(case: Case) -> dict[str, Any] | None:
    found = Verification.objects.filter(case=case).first()
    if found is None:
        return None
    return {
        "sent_at": _time(found.sent_at),
        "answered_at": _time(found.answered_at),
        "solved": found.solved,
        "score": found.score,
    }


CASE_TIMES = (
    "created_at", "updated_at", "acknowledged_at", "first_response_at", "last_response_at",
    "last_customer_at", "resolved_at", "verified_at",
)  # fmt: skip


def _reply_json(reply: CaseReply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "to": reply.to,
        "subject": reply.subject,
        "body": reply.body,
        "state": reply.state,
        "created_at": _time(reply.created_at),
        "sent_at": _time(reply.sent_at),
    }


def _case_json(case: Case, customer_id: int) -> dict[str, Any]:
    replies = CaseReply.objects.filter(case=case).order_by("created_at", "pk")
    notes = CaseNote.objects.filter(case=case).order_by("created_at", "pk")
    return {
        "id": case.pk,
        "subject": case.subject,
        "status": case.status,
        "priority": case.priority_override or level_of(case.priority_score),
        "priority_score": case.priority_score,
        "priority_reasons": case.priority_reasons,
        "topic": case.topic,
        "language": case.language,
        **{name: _time(getattr(case, name)) for name in CASE_TIMES},
        "replies": [_reply_json(r) for r in replies],
        "messages": _messages(case, customer_id),
        "notes": [{"body": n.body, "created_at": _time(n.created_at)} for n in notes],
        "verification": _verification(case),
    }


def cases_export(workspace_id: int, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """``cases``: each case with its replies, its records (the inbound messages marked),
    its notes and its verification."""
    ids = _case_ids(workspace_id, customer_id, _email_of(workspace_id, customer_id))
    cases = Case.objects.filter(pk__in=ids).order_by("created_at", "pk")
    return {"cases": [_case_json(case, customer_id) for case in cases]}


def _orphans(case_ids: list[int]) -> list[int]:
    return list(
        CaseFeedback.objects.filter(case_id__in=case_ids, feedback__customer=None).values_list(
            "feedback_id", flat=True
        )
    )


def cases_erase_size(workspace_id: int, customer_id: int) -> int:
    ids = _case_ids(workspace_id, customer_id, _email_of(workspace_id, customer_id))
    if not ids:
        return 0
    return len(ids) + sum(
        model.objects.filter(case_id__in=ids).count()
        for model in (CaseReply, CaseNote, CaseEvent, CaseFeedback)
    )


def cases_erase(workspace_id: int, customer_id: int, email: str, phone: str) -> int:
    """Erase the customer's cases (the module's docstring); how many rows went or changed."""
    ids = _case_ids(workspace_id, customer_id, email)
    if not ids:
        return 0
    orphans = _orphans(ids)
    erased = feedback_records_erase(
        workspace_id=workspace_id, ids=orphans, email=email, phone=phone
    )
    erased += deliveries_erase(workspace_id=workspace_id, feedback_ids=orphans)
    pages = {_url(i) for i in ids} | {f"/cases/{i}/" for i in ids}  # a note's mentions
    notes = Notification.objects.filter(workspace_id=workspace_id, url__in=pages)
    erased += notes.delete()[0]
    if settings.ERASURE_FEEDBACK == "redact":
        return erased + _anonymise(ids)
    return erased + Case.objects.filter(pk__in=ids).delete()[0]


def _anonymise(ids: list[int]) -> int:
    replies = CaseReply.objects.filter(case_id__in=ids)
    changed = replies.exclude(state=ReplyState.SENT).delete()[0]
    changed += replies.update(to="", subject="", body="", in_reply_to="", references="", error="")
    changed += CaseNote.objects.filter(case_id__in=ids).update(body="")
    for event in CaseEvent.objects.filter(case_id__in=ids):
        if any(key in event.data for key in FREE_TEXT):
            kept = {k: v for k, v in event.data.items() if k not in FREE_TEXT}
            changed += CaseEvent.objects.filter(pk=event.pk).update(data=kept)
    for case_id in ids:
        changed += Case.objects.filter(pk=case_id).update(
            customer=None, subject="", priority_override_reason="", no_survey_reason="",
            reply_token=_reply_token(),
        )  # fmt: skip
    return changed


SOURCE = CustomerSource(
    name="loop",
    timeline=cases_timeline,
    export=cases_export,
    erase=cases_erase,
    size=cases_erase_size,
)
