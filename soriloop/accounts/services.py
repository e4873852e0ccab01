"""Every write to accounts goes through these functions; they check roles themselves."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from soriloop.accounts import tokens
from soriloop.accounts.hooks import workspace_setups_run
from soriloop.accounts.models import (
    ApiKey,
    ApiScope,
    AuditEvent,
    Invitation,
    Language,
    LoginFailure,
    Membership,
    Role,
    Team,
    TeamMember,
    User,
    Workspace,
    validate_timezone,
)
from soriloop.accounts.permissions import Action, require
from soriloop.core.ratelimit import rate_limit_hit

logger = logging.getLogger(__name__)

INVITATION_DAYS = 7
API_KEY_TOUCH_SECONDS = 60


def audit_record(
    *,
    workspace: Workspace | None,
    action: str,
    actor: User | None = None,
    actor_label: str = "",
    target: str = "",
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else ""),
        action=action,
        target=target[:200],
        data=data or {},
        ip=ip,
    )


def user_create(*, email: str, password: str, name: str = "", language: str = "") -> User:
    """Create a person; raise ``ValidationError`` for a taken e-mail."""
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": _("An account with this e-mail already exists.")})
    return User.objects.create_user(email, password, name=name.strip(), language=language)


def user_update_profile(*, user: User, name: str, language: str) -> User:
    if language not in {"", *Language.values}:
        raise ValidationError({"language": _("Unknown language.")})
    user.name = name.strip()
    user.language = language
    user.save(update_fields=["name", "language"])
    return user


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:40] or "workspace"
    slug = base
    while Workspace.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(5).lower()}"
    return slug


@transaction.atomic
def workspace_create(
    *,
    name: str,
    owner: User,
    timezone_name: str = "Asia/Seoul",
    default_language: str = Language.KOREAN,
) -> Workspace:
    """Create a workspace with ``owner`` as its first owner, set up by every app that
    registered a step for it (``accounts.hooks``: the starter topics, say)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A workspace needs a name.")})
    validate_timezone(timezone_name)
    workspace = Workspace.objects.create(
        name=name,
        slug=_unique_slug(name),
        timezone=timezone_name,
        default_language=default_language,
    )
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    workspace_setups_run(workspace=workspace)
    audit_record(workspace=workspace, actor=owner, action="workspace.created", target=name)
    return workspace


def workspace_update(
    *, actor: Membership, name: str, timezone_name: str, default_language: str
) -> Workspace:
    require(actor, Action.MANAGE_SETTINGS)
    validate_timezone(timezone_name)
    if default_language not in Language.values:
        raise ValidationError({"default_language": _("Unknown language.")})
    workspace = actor.workspace
    workspace.name = name.strip() or workspace.name
    workspace.timezone = timezone_name
    workspace.default_language = default_language
    workspace.save(update_fields=["name", "timezone", "default_language"])
    audit_record(workspace=workspace, actor=actor.user, action="workspace.updated", target=name)
    return workspace


def workspace_update_by_key(
    *,
    key: ApiKey,
    name: str | None = None,
    timezone_name: str | None = None,
    default_language: str | None = None,
) -> Workspace:
    """Change workspace settings through a write-scoped API key; audited under the key's name."""
    if not key.can_write:
        raise PermissionDenied("this API key is read-only")
    workspace = key.workspace
    if timezone_name is not None:
        try:
            validate_timezone(timezone_name)
        except ValidationError as exc:
            raise ValidationError({"timezone": exc.messages}) from exc
        workspace.timezone = timezone_name
    if name is not None:
        workspace.name = name.strip() or workspace.name
    if default_language is not None:
        workspace.default_language = default_language
    workspace.save(update_fields=["name", "timezone", "default_language"])
    audit_record(
        workspace=workspace,
        action="workspace.updated",
        actor_label=f"API key {key.prefix} ({key.name})",
        target=workspace.name,
    )
    return workspace


def _check_role_grant(actor: Membership, role: Role) -> None:
    require(actor, Action.MANAGE_MEMBERS)
    if role == Role.OWNER:
        require(actor, Action.GRANT_OWNER)


def invitation_create(
    *, actor: Membership, email: str, role: str, ip: str | None = None
) -> tuple[Invitation, str]:
    """Invite ``email`` as ``role``; mail the link and return it (shown to the inviter once)."""
    _check_role_grant(actor, Role(role))
    email = email.strip().lower()
    if Membership.objects.filter(workspace=actor.workspace, user__email=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    plaintext, _lookup = tokens.new_secret("inv")
    invitation = Invitation.objects.create(
        workspace=actor.workspace,
        email=email,
        role=role,
        token_hash=tokens.digest(plaintext),
        invited_by=actor.user,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    link = f"{settings.SITE_URL}/invite/{plaintext}/"
    with translation.override(actor.workspace.default_language):
        body = render_to_string(
            "accounts/email/invitation.txt",
            {"workspace": actor.workspace, "inviter": actor.user, "link": link, "role": role},
        )
        subject = _("You are invited to %(workspace)s on Soriloop") % {
            "workspace": actor.workspace.name
        }
    send_mail(subject, body, None, [email])
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="invitation.created",
        target=email,
        data={"role": role},
        ip=ip,
    )
    return invitation, link


def invitation_find(*, token: str) -> Invitation:
    """The open invitation for ``token``; ``Http404`` if unknown, used, revoked or expired."""
    invitation = (
        Invitation.objects.select_related("workspace")
        .filter(token_hash=tokens.digest(token))
        .first()
    )
    if invitation is None or not invitation.is_open:
        raise Http404("invitation not found")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User, ip: str | None = None) -> Membership:
    invitation = invitation_find(token=token)
    if invitation.email != user.email:
        raise PermissionDenied("this invitation is for another e-mail address")
    membership, _created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        workspace=invitation.workspace,
        actor=user,
        action="invitation.accepted",
        target=user.email,
        data={"role": membership.role},
        ip=ip,
    )
    return membership


def invitation_revoke(*, actor: Membership, invitation_id: int) -> None:
    require(actor, Action.MANAGE_MEMBERS)
    invitation = Invitation.objects.filter(
        workspace=actor.workspace, id=invitation_id, accepted_at__isnull=True
    ).first()
    if invitation is None:
        raise Http404("invitation not found")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="invitation.revoked",
        target=invitation.email,
    )


def _member_in_workspace(actor: Membership, membership_id: int) -> Membership:
    target = (
        Membership.objects.select_related("user")
        .filter(workspace=actor.workspace, id=membership_id)
        .first()
    )
    if target is None:
        raise Http404("member not found")
    return target


def _guard_last_owner(target: Membership) -> None:
    if target.role != Role.OWNER:
        return
    owners = Membership.objects.filter(workspace=target.workspace, role=Role.OWNER).count()
    if owners <= 1:
        raise ValidationError({"role": _("A workspace keeps at least one owner.")})


@transaction.atomic
def membership_change_role(
    *, actor: Membership, membership_id: int, role: str, ip: str | None = None
) -> Membership:
    """Change a member's role. Only owners grant or take away ownership."""
    new_role = Role(role)
    target = _member_in_workspace(actor, membership_id)
    _check_role_grant(actor, new_role)
    if target.role == Role.OWNER:
        require(actor, Action.GRANT_OWNER)
    if new_role != Role.OWNER:
        _guard_last_owner(target)
    old_role = target.role
    target.role = new_role
    target.save(update_fields=["role"])
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="role.changed",
        target=target.user.email,
        data={"from": old_role, "to": new_role.value},
        ip=ip,
    )
    return target


@transaction.atomic
def membership_remove(*, actor: Membership, membership_id: int, ip: str | None = None) -> None:
    target = _member_in_workspace(actor, membership_id)
    if target.id != actor.id:
        require(actor, Action.MANAGE_MEMBERS)
        if target.role == Role.OWNER:
            require(actor, Action.GRANT_OWNER)
    _guard_last_owner(target)
    target.delete()
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="member.removed",
        target=target.user.email,
        ip=ip,
    )


def api_key_create(
    *, actor: Membership, name: str, scope: str, personal_data: bool = False, ip: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext, which is never shown again. Its answers
    mask personal data unless ``personal_data``."""
    require(actor, Action.MANAGE_API_KEYS)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    if scope not in ApiScope.values:
        raise ValidationError({"scope": _("Unknown scope.")})
    plaintext, lookup = tokens.new_secret("sl")
    key = ApiKey.objects.create(
        workspace=actor.workspace,
        name=name[:80],
        prefix=f"sl_{lookup}",
        key_hash=tokens.digest(plaintext),
        scope=scope,
        personal_data=personal_data,
        created_by=actor.user,
    )
    audit_record(
        workspace=actor.workspace,
        actor=actor.user,
        action="api_key.created",
        target=key.name,
        data={"scope": scope, "prefix": key.prefix, "personal_data": personal_data},
        ip=ip,
    )
    return key, plaintext


def api_key_revoke(*, actor: Membership, key_id: int, ip: str | None = None) -> ApiKey:
    require(actor, Action.MANAGE_API_KEYS)
    key = ApiKey.objects.filter(workspace=actor.workspace, id=key_id).first()
    if key is None:
        raise Http404("api key not found")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        _forget_keys(lambda cached: cached.pk == key.pk)
        audit_record(
            workspace=actor.workspace,
            actor=actor.user,
            action="api_key.revoked",
            target=key.name,
            data={"prefix": key.prefix},
            ip=ip,
        )
    return key


# Keys this process checked recently: digest -> (key, expiry in Unix time). Revoking in this
# process drops the entry at once; other processes notice within API_KEY_CACHE_SECONDS.
_recent_keys: dict[str, tuple[ApiKey, float]] = {}
# Bumped by every revocation here, so that a check that read the key before it does not
# cache it again afterwards.
_revocations = 0


def _forget_keys(which: Callable[[ApiKey], bool]) -> None:
    global _revocations
    _revocations += 1
    for digest, (cached, _expiry) in list(_recent_keys.items()):
        if which(cached):
            _recent_keys.pop(digest, None)


def api_key_authenticate(*, plaintext: str) -> ApiKey | None:
    """The live key for ``plaintext``, or None. Records last use at most once a minute."""
    if not plaintext.startswith("sl_"):
        return None
    digest = tokens.digest(plaintext)
    cached = _recent_keys.get(digest)
    if cached is not None and cached[1] > time.time():
        key: ApiKey | None = cached[0]
    else:
        revocations = _revocations
        key = (
            ApiKey.objects.select_related("workspace")
            .filter(key_hash=digest, revoked_at__isnull=True)
            .first()
        )
        if key is None:
            _recent_keys.pop(digest, None)
            return None
        if settings.API_KEY_CACHE_SECONDS and revocations == _revocations:
            if len(_recent_keys) > 10_000:
                _recent_keys.clear()
            _recent_keys[digest] = (key, time.time() + settings.API_KEY_CACHE_SECONDS)
    assert key is not None
    now = timezone.now()
    stale = now - dt.timedelta(seconds=API_KEY_TOUCH_SECONDS)
    if key.last_used_at is None or key.last_used_at < stale:
        ApiKey.objects.filter(id=key.id).update(last_used_at=now)
        key.last_used_at = now
    return key


def login_wait_seconds(*, email: str, ip: str | None) -> int:
    """Seconds before another sign-in may be tried (0: go ahead). Failures are counted per
    (e-mail, IP), per e-mail and per IP, each with its own limit, so that one person's typos
    do not lock out everyone behind the same address."""
    email = email.strip().lower()
    recent = LoginFailure.objects.filter(
        created_at__gte=timezone.now() - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    )
    scopes = [(recent.filter(email=email), settings.LOGIN_THROTTLE_ACCOUNT_ATTEMPTS)]
    if ip:
        scopes += [
            (recent.filter(email=email, ip=ip), settings.LOGIN_THROTTLE_ATTEMPTS),
            (recent.filter(ip=ip), settings.LOGIN_THROTTLE_IP_ATTEMPTS),
        ]
    return max((_wait_after(failures, limit) for failures, limit in scopes), default=0)


def _wait_after(failures: QuerySet[LoginFailure], limit: int) -> int:
    """Seconds until fewer than ``limit`` of ``failures`` are inside the window (0: already)."""
    times = list(failures.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(times) < limit:
        return 0
    window = dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)
    return int((times[-1] + window - timezone.now()).total_seconds()) + 1


def password_reset_wait_seconds(*, email: str, ip: str | None) -> int:
    """Count a password-reset request per address and per IP; seconds to wait when over
    either hourly limit (0: go ahead). Counted whether or not the address has an account."""
    by_email = rate_limit_hit(
        scope="reset-email",
        ident=email.strip().lower(),
        limit=settings.PASSWORD_RESET_PER_EMAIL,
        window=3600,
    )
    by_ip = rate_limit_hit(
        scope="reset-ip", ident=ip or "?", limit=settings.PASSWORD_RESET_PER_IP, window=3600
    )
    return max(by_email, by_ip)


def login_failure_record(*, email: str, ip: str | None) -> None:
    LoginFailure.objects.create(email=email.strip().lower()[:254], ip=ip)
    audit_record(workspace=None, action="login.failed", actor_label=email[:200], ip=ip)


def login_success_record(*, user: User, ip: str | None) -> None:
    LoginFailure.objects.filter(email=user.email).delete()
    workspace = user.last_workspace
    if workspace is None or not Membership.objects.filter(workspace=workspace, user=user).exists():
        workspace = None
    audit_record(workspace=workspace, actor=user, action="login.succeeded", ip=ip)


def logout_record(*, user: User, workspace: Workspace | None, ip: str | None) -> None:
    audit_record(workspace=workspace, actor=user, action="logout", ip=ip)


def workspace_switch(*, user: User, workspace_id: int) -> Membership:
    """Make ``workspace_id`` the user's current workspace; 404 when not a member."""
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace_id=workspace_id)
        .first()
    )
    if membership is None:
        raise Http404("workspace not found")
    User.objects.filter(id=user.id).update(last_workspace=membership.workspace)
    user.last_workspace = membership.workspace
    return membership


@transaction.atomic
def workspace_delete(*, actor: Membership, confirm_name: str, ip: str | None = None) -> None:
    """Delete the workspace and everything in it; the owner must type its name."""
    require(actor, Action.DELETE_WORKSPACE)
    workspace = actor.workspace
    if confirm_name.strip() != workspace.name:
        raise ValidationError({"confirm_name": _("Type the workspace name to confirm.")})
    audit_record(
        workspace=None,
        actor=actor.user,
        action="workspace.deleted",
        target=workspace.name,
        data={"workspace_id": workspace.id, "slug": workspace.slug},
        ip=ip,
    )
    User.objects.filter(last_workspace=workspace).update(last_workspace=None)
    workspace_id = workspace.id
    workspace.delete()
    _forget_keys(lambda cached: cached.workspace_id == workspace_id)


class TeamInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def _team_member_user(workspace: Workspace, user_id: int, field: str) -> User:
    member = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, user_id=user_id)
        .first()
    )
    if member is None:
        raise TeamInvalid({field: ["must be a member of the workspace"]})
    return member.user


# -- teams (cases are routed to them, docs/cases.md) ---------------------------------


@transaction.atomic
def team_create(
    *,
    workspace: Workspace,
    actor: Membership | None,
    name: str,
    lead_id: int | None = None,
    assignment: str = "round_robin",
    restricted: bool = False,
    members: Sequence[Mapping[str, Any]] = (),
) -> Team:
    """A team with its members (``{"user": id, "away"?: bool, "cap"?: int}``)."""
    if actor is not None:
        require(actor, Action.MANAGE_SETTINGS)
    if Team.objects.filter(workspace=workspace, name=name).exists():
        raise TeamInvalid({"name": ["a team of that name exists"]})
    team = Team.objects.create(
        workspace=workspace,
        name=name,
        lead=_team_member_user(workspace, lead_id, "lead") if lead_id else None,
        assignment=assignment,
        restricted=restricted,
    )
    for i, m in enumerate(members):
        TeamMember.objects.create(
            team=team,
            user=_team_member_user(workspace, int(m["user"]), f"members[{i}].user"),
            away=bool(m.get("away", False)),
            cap=m.get("cap"),
        )
    return team


def team_member_set(
    *,
    team: Team,
    user_id: int,
    away: bool | None = None,
    cap: Any = ...,
    actor: Membership | None = None,
) -> bool:
    """Mark a member away (or back) or change their cap (``None``: no cap); a member may
    mark themselves away, an admin anyone. False when the user is not in the team."""
    if actor is not None and actor.user_id != user_id:
        require(actor, Action.MANAGE_SETTINGS)
    if cap is not ... and actor is not None and actor.user_id == user_id:
        require(actor, Action.MANAGE_SETTINGS)
    fields: dict[str, Any] = {}
    if away is not None:
        fields["away"] = away
    if cap is not ...:
        fields["cap"] = cap
    found = TeamMember.objects.filter(team=team, user_id=user_id)
    if fields:
        found.update(**fields)
    return found.exists()
