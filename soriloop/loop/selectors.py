"""Reads of cases, their history, rules and the loop metrics, scoped to a workspace and,
below admin, to the teams a member may see (docs/cases.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from soriloop.accounts.models import Membership, Role, Team, Workspace
from soriloop.analysis.selectors import similar_in_meaning
from soriloop.core.fields import FIRST_DAY, LAST_DAY, MAX_ID, parse_day, parse_id
from soriloop.feedback.filters import TOPIC_RE, UNASSIGNED
from soriloop.feedback.models import Feedback
from soriloop.loop import sla
from soriloop.loop.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseFeedback,
    CaseNote,
    CaseReply,
    CaseRule,
    RoutingRule,
    Verification,
)
from soriloop.loop.services import case_level


def cases_visible(*, workspace: Workspace, member: Membership | None) -> QuerySet[Case]:
    """The workspace's cases the member may see: all from admin up; below, none of a
    restricted team they are not in."""
    found = Case.objects.filter(workspace=workspace)
    if member is not None and member.role_enum.rank >= Role.ADMIN.rank:
        return found
    mine = Team.objects.filter(
        workspace=workspace, members__user_id=member.user_id if member else 0
    )
    return found.filter(Q(team__isnull=True) | Q(team__restricted=False) | Q(team__in=mine))


@dataclass(frozen=True)
class CaseFilter:
    """The cases a loop-metrics number counts, as the cases list and page take them:
    ``ids``, created on the workspace's days ``created_from``..``created_to``, a topic of
    their records (a key, or ``unassigned``: none of their records has one), and
    ``without`` a team or an assignee."""

    ids: tuple[int, ...] = ()
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    team: int | None = None
    assignee: int | None = None
    topic: str = ""
    without: str = ""  # "team" or "assignee"

    def to_query(self) -> str:
        pairs: list[tuple[str, str]] = []
        if self.ids:
            pairs.append(("ids", ",".join(map(str, self.ids))))
        for name in ("created_from", "created_to"):
            if (day := getattr(self, name)) is not None:
                pairs.append((name, day.isoformat()))
        for name in ("team", "assignee", "topic", "without"):
            if value := getattr(self, name):
                pairs.append((name, str(value)))
        return urlencode(pairs)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> CaseFilter:
        """The filter of a page's query; a bad value is left out (a page never fails)."""
        ids = tuple(i for i in (parse_id(v) for v in query.get("ids", "").split(",")) if i)
        without = query.get("without", "")
        return cls(
            ids=ids[:MAX_IDS],
            created_from=parse_day(query.get("created_from", "")),
            created_to=parse_day(query.get("created_to", "")),
            team=parse_id(query.get("team")),
            assignee=parse_id(query.get("assignee")),
            topic=query.get("topic", "") if TOPIC_RE.fullmatch(query.get("topic", "")) else "",
            without=without if without in WITHOUT else "",
        )

    def __bool__(self) -> bool:
        return bool(self.to_query())

    def apply(self, found: QuerySet[Case], workspace: Workspace) -> QuerySet[Case]:
        if self.ids:
            found = found.filter(pk__in=[i for i in self.ids if i <= MAX_ID])
        if self.created_from or self.created_to:
            since, until = workspace.days_span(
                self.created_from or FIRST_DAY, self.created_to or LAST_DAY
            )
            found = found.filter(created_at__gte=since, created_at__lt=until)
        if self.team:
            found = found.filter(team_id=self.team)
        if self.assignee:
            found = found.filter(assignee_id=self.assignee)
        if self.without:
            found = found.filter(**{f"{self.without}__isnull": True})
        return _with_topic(found, self.topic)


MAX_IDS = 500
WITHOUT = ("team", "assignee")


def _with_topic(found: QuerySet[Case], topic: str) -> QuerySet[Case]:
    """Cases with a record of the topic; ``unassigned``: with no record that has a topic."""
    if not topic:
        return found
    links = CaseFeedback.objects.filter(case_id=OuterRef("pk"))
    if topic == UNASSIGNED:
        return found.exclude(Exists(links.filter(feedback__enrichment__topic_keys__gt="")))
    return found.filter(
        Exists(links.filter(feedback__enrichment__topic_keys__contains=f"|{topic}|"))
    )


def case_list(
    *,
    workspace: Workspace,
    member: Membership | None,
    status: str | None = None,
    team: int | None = None,
    assignee: int | None = None,
    feedback: int | None = None,
    queue: str | None = None,
    filters: CaseFilter | None = None,
    limit: int = 100,
) -> list[Case]:
    """Highest priority first. ``queue``: mine, team (my teams' unassigned and theirs),
    unassigned, breaching (a deadline within the warning time) or open; ``filters``: the
    drill-down of a loop-metrics number."""
    found = cases_visible(workspace=workspace, member=member).select_related(
        "team", "assignee", "customer"
    )
    if status:
        found = found.filter(status=status)
    if team:
        found = found.filter(team_id=team)
    if assignee:
        found = found.filter(assignee_id=assignee)
    if feedback:
        found = found.filter(links__feedback_id=feedback)
    if filters:
        found = filters.apply(found, workspace)
    found = _queue(found, queue, member)
    return list(found.order_by("-priority_score", "created_at", "id")[:limit])


def _queue(found: QuerySet[Case], queue: str | None, member: Membership | None) -> QuerySet[Case]:
    if not queue:
        return found
    found = found.filter(status__in=OPEN_STATUSES)
    user_id = member.user_id if member else 0
    if queue == "mine":
        return found.filter(assignee_id=user_id)
    if queue == "team":
        return found.filter(team__members__user_id=user_id).distinct()
    if queue == "unassigned":
        return found.filter(assignee__isnull=True)
    if queue == "breaching":
        soon = timezone.now() + dt.timedelta(hours=4)
        return found.filter(paused_at=None).filter(
            Q(first_response_at=None, first_response_due__lte=soon) | Q(resolution_due__lte=soon)
        )
    return found


def case_get(*, workspace: Workspace, member: Membership | None, case_id: int) -> Case | None:
    return (
        cases_visible(workspace=workspace, member=member)
        .select_related("team", "assignee", "customer", "workspace")
        .filter(pk=case_id)
        .first()
    )


def case_ids_of(*, workspace_id: int, feedback_ids: Iterable[int]) -> dict[int, int]:
    """Record id -> its case's id, for the records that have one."""
    rows = CaseFeedback.objects.filter(
        workspace_id=workspace_id, feedback_id__in=list(feedback_ids)
    )
    return dict(rows.values_list("feedback_id", "case_id"))


def case_rules_of(*, workspace: Workspace) -> QuerySet[CaseRule]:
    return CaseRule.objects.filter(workspace=workspace).order_by("id")


def routing_rules_of(*, workspace: Workspace) -> QuerySet[RoutingRule]:
    return RoutingRule.objects.filter(workspace=workspace).order_by("position", "id")


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    feedback_ids: list[int]
    history: list[CaseEvent]
    notes: list[CaseNote]
    replies: list[CaseReply]
    verification: Verification | None


def case_detail_get(*, case: Case) -> CaseDetail:
    return CaseDetail(
        case=case,
        feedback_ids=list(
            CaseFeedback.objects.filter(case=case)
            .order_by("id")
            .values_list("feedback_id", flat=True)
        ),
        history=list(CaseEvent.objects.filter(case=case).order_by("at", "id")),
        notes=list(CaseNote.objects.select_related("author").filter(case=case).order_by("id")),
        replies=list(CaseReply.objects.filter(case=case).order_by("id")),
        verification=Verification.objects.filter(case=case).first(),
    )


def case_summary_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "status": case.status,
        "priority": case_level(case),
        "priority_score": case.priority_score,
        "priority_reasons": list(case.priority_reasons),
        "priority_override_reason": case.priority_override_reason or None,
        "team": case.team_id,
        "assignee": case.assignee_id,
        "customer": case.customer_id,
        "subject": case.subject,
        "topic": case.topic,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "sla": sla.sla_json(case),
    }


def case_detail_json(detail: CaseDetail) -> dict[str, Any]:
    case = detail.case
    v = detail.verification
    return {
        **case_summary_json(case),
        "feedback": detail.feedback_ids,
        "acknowledged_at": _iso(case.acknowledged_at),
        "first_response_at": _iso(case.first_response_at),
        "resolved_at": _iso(case.resolved_at),
        "verified_at": _iso(case.verified_at),
        "no_survey_reason": case.no_survey_reason or None,
        "reply_address": f"reply+{case.reply_token}@" + _domain(),
        "history": [
            {"at": e.at.isoformat(), "who": e.actor_label, "kind": e.kind, "data": e.data}
            for e in detail.history
        ],
        "notes": [
            {
                "id": n.pk,
                "author": n.author.display_name if n.author else "",
                "body": n.body,
                "mentions": n.mentions,
                "created_at": n.created_at.isoformat(),
            }
            for n in detail.notes
        ],
        "replies": [reply_json(r) for r in detail.replies],
        "verification": (
            {
                "sent_at": v.sent_at.isoformat(),
                "answered_at": _iso(v.answered_at),
                "solved": v.solved,
                "score": v.score,
            }
            if v
            else None
        ),
    }


def reply_json(r: CaseReply) -> dict[str, Any]:
    return {
        "id": r.pk,
        "state": r.state,
        "subject": r.subject,
        "body": r.body,
        "template": r.template or None,
        "message_id": r.message_id,
        "created_at": r.created_at.isoformat(),
        "sent_at": _iso(r.sent_at),
    }


def _domain() -> str:
    from django.conf import settings

    return str(settings.INBOUND_EMAIL_DOMAIN)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_rule_json(rule: CaseRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "key": rule.key or None,
        "enabled": rule.enabled,
        "conditions": rule.conditions,
        "join_related": rule.join_related,
        "join_days": rule.join_days,
        "team": rule.team_id,
        "created_at": rule.created_at.isoformat(),
    }


# -- pages -----------------------------------------------------------------------------

QUEUES = ("mine", "team", "unassigned", "breaching", "open")
SUGGESTION_SOURCES = 3


@dataclass(frozen=True)
class CaseInbox:
    queue: str
    cases: list[Case]
    counts: dict[str, int]
    filters: CaseFilter | None = None


def case_inbox_get(
    *, member: Membership, queue: str, filters: CaseFilter | None = None, limit: int = 100
) -> CaseInbox:
    """The agent inbox: one queue's cases, highest priority first, and each queue's size;
    with ``filters`` (a loop-metrics drill-down) the cases they name instead of a queue's,
    up to ``MAX_IDS``."""
    workspace = member.workspace
    visible = cases_visible(workspace=workspace, member=member)
    counts = {q: _queue(visible, q, member).count() for q in QUEUES}
    if filters:
        cases = case_list(workspace=workspace, member=member, filters=filters, limit=MAX_IDS)
        return CaseInbox(queue="", cases=cases, counts=counts, filters=filters)
    cases = case_list(workspace=workspace, member=member, queue=queue, limit=limit)
    return CaseInbox(queue=queue, cases=cases, counts=counts)


@dataclass(frozen=True)
class Suggestion:
    body: str
    sources: list[tuple[int, float]]  # (case id, similarity) it came from
    topic: str
    language: str


@dataclass(frozen=True)
class CasePage:
    detail: CaseDetail
    records: list[Feedback]
    customer_records: list[Feedback]  # the customer's other feedback, newest first
    earlier_cases: list[Case]
    members: list[Membership]
    suggestion: Suggestion | None


def case_page_get(*, member: Membership, case_id: int) -> CasePage | None:
    """Everything the case page shows; None when the member may not see the case."""
    case = case_get(workspace=member.workspace, member=member, case_id=case_id)
    if case is None:
        return None
    detail = case_detail_get(case=case)
    records = list(
        Feedback.objects.select_related("enrichment")
        .filter(workspace=member.workspace, pk__in=detail.feedback_ids)
        .order_by("id")
    )
    customer_records: list[Feedback] = []
    earlier: list[Case] = []
    if case.customer_id:
        customer_records = list(
            Feedback.objects.filter(
                workspace=member.workspace, customer_id=case.customer_id, deleted_at=None
            )
            .exclude(pk__in=detail.feedback_ids)
            .order_by("-received_at")[:20]
        )
        earlier = list(
            Case.objects.filter(workspace=member.workspace, customer_id=case.customer_id)
            .exclude(pk=case.pk)
            .order_by("-created_at")[:10]
        )
    members = list(
        Membership.objects.select_related("user")
        .filter(workspace=member.workspace)
        .order_by("user__email")
    )
    suggestion = reply_suggestion(case=case, record=records[0]) if records else None
    return CasePage(detail, records, customer_records, earlier, members, suggestion)


def reply_suggestion(*, case: Case, record: Feedback) -> Suggestion | None:
    """A draft from the replies of the resolved cases most similar in meaning to the case's
    first record (the meaning pass must have embedded it); None without such a case."""
    similar = similar_in_meaning(record=record, limit=50) or []
    if not similar:
        return None
    score_of = dict(similar)
    links = CaseFeedback.objects.filter(
        workspace_id=case.workspace_id,
        feedback_id__in=list(score_of),
        case__status__in=("resolved", "verified"),
    ).exclude(case_id=case.pk)
    best: dict[int, float] = {}
    for feedback_id, case_id in links.values_list("feedback_id", "case_id"):
        best[case_id] = max(best.get(case_id, 0.0), score_of[feedback_id])
    ranked = sorted(best.items(), key=lambda pair: -pair[1])
    for case_id, _score in ranked:
        reply = CaseReply.objects.filter(case_id=case_id, state="sent").order_by("-id").first()
        if reply is not None:
            return Suggestion(
                body=reply.body,
                sources=ranked[:SUGGESTION_SOURCES],
                topic=case.topic,
                language=case.language,
            )
    return None
