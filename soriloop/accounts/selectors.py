"""Reads for accounts, always scoped to a workspace or to the person asking."""

from __future__ import annotations

from django.db.models import QuerySet

from soriloop.accounts.models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Team,
    User,
    Workspace,
)
from soriloop.accounts.permissions import Action, require


def user_exists(*, email: str) -> bool:
    """Whether someone has signed up with exactly this e-mail address."""
    return User.objects.filter(email=email).exists()


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("workspace")
        .filter(user=user)
        .order_by("workspace__name", "workspace_id")
    )


def membership_current(*, user: User) -> Membership | None:
    """The membership of the user's last workspace, else their first one, else None."""
    memberships = memberships_of(user=user)
    if user.last_workspace_id is not None:
        current = memberships.filter(workspace_id=user.last_workspace_id).first()
        if current is not None:
            return current
    return memberships.first()


def members_of(*, actor: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("user")
        .filter(workspace=actor.workspace)
        .order_by("user__email")
    )


def invitations_open(*, actor: Membership) -> QuerySet[Invitation]:
    require(actor, Action.MANAGE_MEMBERS)
    return Invitation.objects.filter(
        workspace=actor.workspace, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")


def api_keys_of(*, actor: Membership) -> QuerySet[ApiKey]:
    require(actor, Action.MANAGE_API_KEYS)
    return ApiKey.objects.filter(workspace=actor.workspace).order_by("revoked_at", "-created_at")


def audit_events(*, actor: Membership, action: str = "", limit: int = 200) -> list[AuditEvent]:
    require(actor, Action.VIEW_AUDIT)
    events = AuditEvent.objects.select_related("actor").filter(workspace=actor.workspace)
    if action:
        events = events.filter(action=action)
    return list(events.order_by("-created_at", "-id")[:limit])


def audit_actions(*, actor: Membership) -> list[str]:
    require(actor, Action.VIEW_AUDIT)
    return sorted(
        AuditEvent.objects.filter(workspace=actor.workspace)
        .values_list("action", flat=True)
        .distinct()
    )


def workspace_find(*, ident: str) -> Workspace | None:
    """A workspace by id, slug or exact name (for command-line tools)."""
    if ident.isdigit():
        return Workspace.objects.filter(id=int(ident)).first()
    return (
        Workspace.objects.filter(slug=ident).first()
        or Workspace.objects.filter(name=ident).order_by("id").first()
    )


def teams_of(*, workspace: Workspace) -> QuerySet[Team]:
    """The workspace's teams with their members."""
    return Team.objects.filter(workspace=workspace).prefetch_related("members").order_by("name")


def team_get(*, workspace: Workspace, team_id: int) -> Team | None:
    return Team.objects.filter(workspace=workspace, pk=team_id).first()
