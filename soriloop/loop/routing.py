"""Routing (a new case's first record -> a team) and assignment inside the team: round robin
or least open cases, skipping members marked away and those at their cap (docs/cases.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count

from soriloop.accounts.models import Assignment, Team, TeamMember, User, Workspace
from soriloop.alerts.rules import AlertRuleInvalid, conditions_clean, record_matches
from soriloop.feedback.models import Feedback
from soriloop.loop.models import OPEN_STATUSES, Case, RoutingRule

# what a routing rule may look at (the alert rules' conditions of those fields)
ROUTING_FIELDS = ("topics", "types", "channels", "segments", "languages", "touchpoints")


def routing_conditions_clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Raise ``AlertRuleInvalid`` on an unknown or bad field."""
    unknown = set(raw) - set(ROUTING_FIELDS)
    if unknown:
        raise AlertRuleInvalid({f"conditions.{sorted(unknown)[0]}": ["is not a routing field"]})
    return conditions_clean(raw)


def team_for(*, workspace: Workspace, record: Feedback) -> Team | None:
    """The team of the first routing rule the record meets, else None."""
    for rule in (
        RoutingRule.objects.select_related("team")
        .filter(workspace=workspace)
        .order_by("position", "id")
    ):
        if record_matches(rule.conditions, record):
            return rule.team
    return None


def assignee_for(*, team: Team) -> User | None:
    """The member who gets the next case: not away, below their cap; by the team's rule.
    None when nobody can take it (it waits in the team queue)."""
    members = list(
        TeamMember.objects.select_related("user")
        .filter(team=team, away=False, user__is_active=True)
        .order_by("user_id")
    )
    counts = _open_counts(team, [m.user_id for m in members])
    free = [m for m in members if m.cap is None or counts.get(m.user_id, 0) < m.cap]
    if not free:
        return None
    if team.assignment == Assignment.LEAST_OPEN:
        return min(free, key=lambda m: (counts.get(m.user_id, 0), m.user_id)).user
    after = [m for m in free if team.last_assigned_id and m.user_id > team.last_assigned_id]
    chosen = (after or free)[0].user
    Team.objects.filter(pk=team.pk).update(last_assigned=chosen)
    team.last_assigned = chosen
    return chosen


def _open_counts(team: Team, user_ids: list[int]) -> dict[int, int]:
    rows = (
        Case.objects.filter(
            workspace_id=team.workspace_id, status__in=OPEN_STATUSES, assignee_id__in=user_ids
        )
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {r["assignee_id"]: r["n"] for r in rows}
