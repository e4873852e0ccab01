"""Reads of cases, their history, rules and the loop metrics, scoped to a workspace and,
below admin, to the teams a member may see (docs/cases.md)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from soriloop.accounts.models import Membership, Role, Team, Workspace
from soriloop.analysis.selectors import similar_in_meaning
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


def case_list(
    *,
    workspace: Workspace,
    member: Membership | None,
    status: str | None = None,
    team: int | None = None,
    assignee: int | None = None,
    feedback: int | None = None,
    queue: str | None = None,
    limit: int = 100,
) -> list[Case]:
    """Highest priority first. ``queue``: mine, team (my teams' unassigned and theirs),
    unassigned, breaching (a deadline within the warning time) or open."""
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


# -- loop metrics --------------------------------------------------------------------------


@dataclass(frozen=True)
class Durations:
    median_minutes: float | None
    p90_minutes: float | None
    count: int


def _durations(values: Sequence[float]) -> Durations:
    if not values:
        return Durations(None, None, 0)
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Durations(round(statistics.median(ordered), 1), round(p90, 1), len(ordered))


@dataclass(frozen=True)
class LoopMetrics:
    start: dt.date
    end: dt.date
    unhappy_records: int
    closed_loop: int  # unhappy records whose case got a reply
    closed_loop_rate: float | None
    cases: int
    time_to_acknowledge: Durations
    time_to_first_response: Durations
    time_to_resolution: Durations
    sla_met: int
    sla_measured: int
    sla_attainment: float | None
    verified: int
    recovered: int  # detractors whose follow-up is passive or promoter
    recovery_rate: float | None
    score_change: float | None  # mean follow-up NPS minus the original


def _minutes(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    return (b - a).total_seconds() / 60 if a and b else None


def metrics_loop(
    *, workspace: Workspace, start: dt.date, end: dt.date, team: int | None = None
) -> LoopMetrics:
    """The loop's numbers for the records and cases of ``start``..``end`` (workspace days)."""
    unhappy = Feedback.objects.filter(
        workspace=workspace, deleted_at=None, day__gte=start, day__lte=end
    ).filter(Q(score_kind="nps", score__lte=6) | Q(enrichment__sentiment_label="negative"))
    unhappy_ids = list(unhappy.values_list("id", flat=True))
    replied = set(
        CaseFeedback.objects.filter(
            workspace=workspace, feedback_id__in=unhappy_ids, case__first_response_at__isnull=False
        ).values_list("feedback_id", flat=True)
    )
    since, until = workspace.days_span(start, end)
    cases = Case.objects.filter(workspace=workspace, created_at__gte=since, created_at__lt=until)
    if team:
        cases = cases.filter(team_id=team)
    rows = list(cases)
    ack = [m for c in rows if (m := _minutes(c.created_at, c.acknowledged_at)) is not None]
    first = [m for c in rows if (m := _minutes(c.created_at, c.first_response_at)) is not None]
    resolved = [m for c in rows if (m := _minutes(c.created_at, c.resolved_at)) is not None]
    met = measured = 0
    for c in rows:
        if c.first_response_due and c.first_response_at:
            measured += 1
            met += c.first_response_at <= c.first_response_due
        if c.resolution_due and c.resolved_at:
            measured += 1
            met += c.resolved_at <= c.resolution_due
    recovered, changes, detractors = _recovery(workspace, [c.pk for c in rows])
    return LoopMetrics(
        start=start,
        end=end,
        unhappy_records=len(unhappy_ids),
        closed_loop=len(replied),
        closed_loop_rate=_rate(len(replied), len(unhappy_ids)),
        cases=len(rows),
        time_to_acknowledge=_durations(ack),
        time_to_first_response=_durations(first),
        time_to_resolution=_durations(resolved),
        sla_met=met,
        sla_measured=measured,
        sla_attainment=_rate(met, measured),
        verified=sum(1 for c in rows if c.verified_at),
        recovered=recovered,
        recovery_rate=_rate(recovered, detractors),
        score_change=round(statistics.mean(changes), 2) if changes else None,
    )


def _recovery(workspace: Workspace, case_ids: list[int]) -> tuple[int, list[float], int]:
    """Among answered follow-ups of detractor cases: how many recovered, the score changes,
    how many there were."""
    answered = Verification.objects.filter(
        workspace=workspace, case_id__in=case_ids, score__isnull=False
    )
    recovered, changes, detractors = 0, [], 0
    for v in answered:
        original = (
            Feedback.objects.filter(
                case_links__case_id=v.case_id, case_links__role="opened", score_kind="nps"
            )
            .values_list("score", flat=True)
            .first()
        )
        if original is None or original > 6 or v.score is None:
            continue
        detractors += 1
        recovered += v.score >= 7
        changes.append(float(v.score - original))
    return recovered, changes, detractors


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# -- pages -----------------------------------------------------------------------------

QUEUES = ("mine", "team", "unassigned", "breaching", "open")
SUGGESTION_SOURCES = 3


@dataclass(frozen=True)
class CaseInbox:
    queue: str
    cases: list[Case]
    counts: dict[str, int]


def case_inbox_get(*, member: Membership, queue: str, limit: int = 100) -> CaseInbox:
    """The agent inbox: one queue's cases, highest priority first, and each queue's size."""
    workspace = member.workspace
    visible = cases_visible(workspace=workspace, member=member)
    counts = {q: _queue(visible, q, member).count() for q in QUEUES}
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
