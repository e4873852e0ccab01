"""Reads of distribution: campaigns and their sending progress, trigger rules and what they
sent, counted from the invitations, their messages and responses (never stored counters)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from soriloop.surveys.models import (
    Campaign,
    Message,
    MessageKind,
    MessageState,
    Response,
    Survey,
    TriggerRule,
)
from soriloop.surveys.sending import REASONS, VARIANTS


def campaigns_of(*, survey: Survey) -> QuerySet[Campaign]:
    return Campaign.objects.filter(survey=survey).order_by("-created_at", "-id")


def campaign_get(*, survey: Survey, campaign_id: int) -> Campaign | None:
    return Campaign.objects.filter(survey=survey, pk=campaign_id).first()


def triggers_of(*, survey: Survey) -> QuerySet[TriggerRule]:
    return TriggerRule.objects.filter(survey=survey).order_by("-created_at", "-id")


def trigger_get(*, survey: Survey, trigger_id: int) -> TriggerRule | None:
    return TriggerRule.objects.filter(survey=survey, pk=trigger_id).first()


def _tally(messages: QuerySet[Message], kind: str) -> dict[str, Any]:
    """Counts of one kind of message: queued (and being sent), sent, bounced, failed and
    skipped by reason (every reason present, zero or not)."""
    rows = (
        messages.filter(kind=kind)
        .values("state", "reason", "variant")
        .annotate(n=Count("id"))
        .order_by()
    )
    states: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    variants: Counter[str] = Counter()
    for row in rows:
        states[row["state"]] += row["n"]
        if row["state"] == MessageState.SKIPPED:
            reasons[row["reason"]] += row["n"]
        if row["state"] == MessageState.SENT and row["variant"]:
            variants[row["variant"]] += row["n"]
    tally: dict[str, Any] = {
        "queued": states[MessageState.QUEUED] + states[MessageState.SENDING],
        "sent": states[MessageState.SENT],
        "bounced": states[MessageState.BOUNCED],
        "failed": states[MessageState.FAILED],
        "skipped": {reason: reasons[reason] for reason in REASONS},
    }
    if kind == MessageKind.REMINDER:
        tally["sent_by_variant"] = {variant: variants[variant] for variant in VARIANTS}
    return tally


def _state(campaign: Campaign, queued: int, sent: int) -> str:
    if campaign.cancelled_at is not None:
        return "cancelled"
    if queued and not sent and campaign.start_at > timezone.now():
        return "scheduled"
    return "sending" if queued else "sent"


def campaign_progress(*, campaign: Campaign) -> dict[str, Any]:
    """A campaign's progress: its recipients, what is queued, sent, bounced, failed and
    skipped by reason, how many opened the link, started and finished, and its reminders."""
    messages = Message.objects.filter(invitation__campaign=campaign)
    invitations = _tally(messages, MessageKind.INVITATION)
    responses = Response.objects.filter(invitation__campaign=campaign).aggregate(
        started=Count("id", filter=~Q(answers={}) | Q(finished_at__isnull=False)),
        finished=Count("id", filter=Q(finished_at__isnull=False)),
    )
    # answered through the JSON endpoint without the page: opened all the same
    opened = campaign.invitations.filter(
        Q(opened_at__isnull=False) | Q(response__isnull=False)
    ).count()
    return {
        "id": campaign.pk,
        "survey_id": campaign.survey_id,
        "name": campaign.name,
        "source": campaign.source,
        "segment": campaign.segment or None,
        "state": _state(campaign, invitations["queued"], invitations["sent"]),
        "reminder_days": campaign.reminder_days,
        "start_at": campaign.start_at.isoformat(),
        "created_at": campaign.created_at.isoformat(),
        "cancelled_at": campaign.cancelled_at.isoformat() if campaign.cancelled_at else None,
        "recipients": campaign.invitations.count(),
        **invitations,
        "opened": opened,
        "started": responses["started"],
        "finished": responses["finished"],
        "reminders": _tally(messages, MessageKind.REMINDER),
    }


def trigger_json(*, trigger: TriggerRule) -> dict[str, Any]:
    """A rule with what it did: scheduled (queued), sent, bounced, failed, skipped by reason."""
    counts = _tally(Message.objects.filter(invitation__trigger=trigger), MessageKind.INVITATION)
    return {
        "id": trigger.pk,
        "survey_id": trigger.survey_id,
        "event_type": trigger.event_type,
        "delay_minutes": trigger.delay_minutes,
        "filter": trigger.filter,
        "active": trigger.active,
        "created_at": trigger.created_at.isoformat(),
        "scheduled": counts.pop("queued"),
        **counts,
    }


def undelivered_of(*, survey: Survey, limit: int = 50) -> list[dict[str, Any]]:
    """The survey's latest e-mails that bounced or failed for good, newest first: to whom,
    which campaign or rule, and the error the mail server gave."""
    found = (
        Message.objects.filter(
            invitation__survey=survey, state__in=[MessageState.BOUNCED, MessageState.FAILED]
        )
        .select_related("invitation")
        .order_by("-id")[:limit]
    )
    return [
        {
            "id": m.pk,
            "kind": m.kind,
            "state": m.state,
            "email": m.invitation.email,
            "campaign_id": m.invitation.campaign_id,
            "trigger_id": m.invitation.trigger_id,
            "error": m.error,
            "when": m.sent_at or m.created_at,
        }
        for m in found
    ]


def sending_page_get(*, survey: Survey) -> dict[str, Any]:
    """What the survey's sending page shows: each campaign with its progress, each trigger
    rule with what it sent, and the e-mails that did not arrive."""
    zone = ZoneInfo(survey.workspace.timezone)
    campaigns = []
    for campaign in campaigns_of(survey=survey)[:50]:
        body = campaign_progress(campaign=campaign)
        done = body["sent"] + body["bounced"] + body["failed"] + sum(body["skipped"].values())
        body["percent"] = round(100 * done / body["recipients"]) if body["recipients"] else 0
        body["start_local"] = campaign.start_at.astimezone(zone)
        campaigns.append(body)
    return {
        "campaigns": campaigns,
        "triggers": [trigger_json(trigger=t) for t in triggers_of(survey=survey)[:50]],
        "undelivered": undelivered_of(survey=survey),
        "busy": any(c["state"] in ("sending", "scheduled") for c in campaigns),
    }
