"""Case rules: conditions over a record and its analysis (the alert rules' conditions, one
matcher for both) evaluated by the ``case-rules`` consumer on ``feedback.analyzed``; the first
matching rule opens a case, or joins the record to the customer's open case on the same
topic within the rule's days (docs/cases.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Membership, Team, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.alerts.rules import AlertRuleInvalid, conditions_clean, record_matches
from soriloop.core.models import Change
from soriloop.feedback.models import Feedback
from soriloop.loop.models import OPEN_STATUSES, Case, CaseFeedback, CaseRule
from soriloop.loop.services import case_join, case_open, case_priority_refresh

RULE_EVENTS = ("feedback.analyzed",)
MAX_RULES = 100
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "key": "nps_detractor",
        "name": "NPS detractor (0-6)",
        "conditions": {"score_kind": "nps", "score_min": 0.0, "score_max": 6.0},
    },
    {
        "key": "negative_sentiment",
        "name": "Negative sentiment (confidence >= 0.8)",
        "conditions": {"sentiment": "negative", "min_confidence": 0.8},
    },
)


def case_rules_setup(*, workspace: Workspace) -> None:
    """A new workspace's two rules, switched on (a step of ``workspace_create``)."""
    CaseRule.objects.bulk_create([CaseRule(workspace=workspace, **rule) for rule in DEFAULT_RULES])


def _apply(rule: CaseRule, data: Mapping[str, Any]) -> None:
    if "name" in data:
        rule.name = str(data["name"]).strip()[:200]
        if not rule.name:
            raise AlertRuleInvalid({"name": ["must not be empty"]})
    if "conditions" in data:
        rule.conditions = conditions_clean(data["conditions"] or {})
        if not rule.conditions:
            raise AlertRuleInvalid({"conditions": ["a case rule needs at least one condition"]})
    for name in ("enabled", "join_related", "join_days"):
        if data.get(name) is not None:
            setattr(rule, name, data[name])
    if "team" in data:
        team = data["team"]
        found = Team.objects.filter(workspace=rule.workspace, pk=team).first() if team else None
        if team and found is None:
            raise AlertRuleInvalid({"team": ["no such team in this workspace"]})
        rule.team = found


def case_rule_create(
    *, workspace: Workspace, actor: Membership | None, data: Mapping[str, Any]
) -> CaseRule:
    """A new rule (an admin's); raise ``AlertRuleInvalid`` naming the bad field."""
    if actor is not None:
        require(actor, Action.MANAGE_SETTINGS)
    if CaseRule.objects.filter(workspace=workspace).count() >= MAX_RULES:
        raise AlertRuleInvalid({"name": [f"a workspace has at most {MAX_RULES} case rules"]})
    rule = CaseRule(workspace=workspace)
    _apply(rule, {"name": "", "conditions": {}, **data})
    rule.save()
    _audit(rule, actor, "case_rule.created")
    return rule


def case_rule_update(
    *, rule: CaseRule, actor: Membership | None, data: Mapping[str, Any]
) -> CaseRule:
    if actor is not None:
        require(actor, Action.MANAGE_SETTINGS)
    _apply(rule, data)
    rule.save()
    _audit(rule, actor, "case_rule.changed")
    return rule


def _audit(rule: CaseRule, actor: Membership | None, action: str) -> None:
    audit_record(
        workspace=rule.workspace,
        actor=actor.user if actor else None,
        action=action,
        target=f"case rule {rule.pk}",
        data={"name": rule.name},
    )


# -- the consumer ----------------------------------------------------------------------


def _candidates(events: Sequence[Change]) -> list[Feedback]:
    """Analysed records not in a case yet, but for a customer's reply to a case or an
    answer to a verification survey (those belong to their case: loop/threads.py)."""
    ids = [e.subject_id for e in events if not e.payload.get("failed")]
    linked = set(
        CaseFeedback.objects.filter(feedback_id__in=ids).values_list("feedback_id", flat=True)
    )
    records = (
        Feedback.objects.select_related("enrichment", "customer", "workspace")
        .filter(pk__in=set(ids) - linked, deleted_at=None, enrichment__isnull=False)
        .order_by("id")
    )
    return [r for r in records if not (r.metadata.get("thread") or r.metadata.get("hidden_case"))]


def case_rules_consume(events: Sequence[Change]) -> None:
    """The change-log handler. Idempotent: a record is in one case at most."""
    records = _candidates(events)
    if not records:
        return
    rules = list(
        CaseRule.objects.select_related("team", "workspace")
        .filter(workspace_id__in={r.workspace_id for r in records}, enabled=True)
        .order_by("id")
    )
    for record in records:
        rule = next(
            (
                r
                for r in rules
                if r.workspace_id == record.workspace_id and record_matches(r.conditions, record)
            ),
            None,
        )
        if rule is not None:
            case_for_match(rule=rule, record=record)


def related_case(*, rule: CaseRule, record: Feedback, now: dt.datetime) -> Case | None:
    """The customer's open case on the record's topic opened within the rule's days."""
    if not rule.join_related or record.customer_id is None:
        return None
    enrichment = getattr(record, "enrichment", None)
    topics = [t["key"] for t in (enrichment.topics if enrichment else [])]
    found = Case.objects.filter(
        workspace_id=record.workspace_id,
        customer_id=record.customer_id,
        status__in=OPEN_STATUSES,
        created_at__gte=now - dt.timedelta(days=rule.join_days),
    )
    found = found.filter(topic__in=topics) if topics else found.filter(topic="")
    return found.order_by("-created_at").first()


@transaction.atomic
def case_for_match(*, rule: CaseRule, record: Feedback) -> Case | None:
    """Join the related open case or open a new one; None when the record was taken by a
    concurrent run."""
    if CaseFeedback.objects.filter(feedback_id=record.pk).exists():
        return None
    case = related_case(rule=rule, record=record, now=timezone.now())
    if case is not None:
        if case_join(case=case, record=record):
            case_priority_refresh(case)
        return case
    return case_open(workspace=record.workspace, records=[record], rule=rule)
