"""Workspaces (tenants), people, their roles, API keys and the audit log."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


class Role(models.TextChoices):
    """Ordered from least to most powerful; ``rank`` compares them."""

    VIEWER = "viewer", _("Viewer")
    AGENT = "agent", _("Agent")
    ADMIN = "admin", _("Admin")
    OWNER = "owner", _("Owner")

    @property
    def rank(self) -> int:
        return list(Role).index(self)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, blank=True, default=""
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=now)
    last_workspace = models.ForeignKey(
        "accounts.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email


class Workspace(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Seoul", validators=[validate_timezone]
    )
    default_language = models.CharField(
        _("default language"), max_length=5, choices=Language.choices, default=Language.KOREAN
    )
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.name

    def today(self) -> dt.date:
        """Today's date in the workspace's time zone (the ``day`` records are counted by)."""
        return now().astimezone(zoneinfo.ZoneInfo(self.timezone)).date()

    def days_span(self, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The instants ``[start 00:00, the day after end 00:00)`` in the workspace's time zone:
        filter a timestamp by ``>= first, < last`` to count it on the workspace's days (a
        ``__date`` lookup would cut the days at midnight UTC)."""
        zone = zoneinfo.ZoneInfo(self.timezone)
        first = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
        last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return first, last


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.role}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.workspace_id}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now()


class ApiScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiKey(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=10, choices=ApiScope.choices)
    personal_data = models.BooleanField(
        _("personal data"),
        default=False,
        help_text=_("Answers show personal data in full; off: masked, as agents see it."),
    )
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == ApiScope.WRITE


class AuditEvent(models.Model):
    workspace = models.ForeignKey(
        Workspace, null=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_ws_time")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label} at {self.created_at:%Y-%m-%d %H:%M}"


class LoginFailure(models.Model):
    """One failed sign-in, counted per e-mail and per IP for throttling."""

    email = models.CharField(max_length=254)
    ip = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="loginfail_email"),
            models.Index(fields=["ip", "created_at"], name="loginfail_ip"),
        ]

    def __str__(self) -> str:
        return f"failed sign-in for {self.email}"


class Assignment(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Least open cases")


class Team(models.Model):
    """People who take cases together (docs/cases.md): routing sends a case to a team, which
    gives it to one of its members who is not away and below their cap."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignment = models.CharField(
        max_length=12, choices=Assignment.choices, default=Assignment.ROUND_ROBIN
    )
    # members below admin see only their own teams' cases when a team restricts
    restricted = models.BooleanField(default=False)
    last_assigned = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="team_unique")]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    away = models.BooleanField(default=False)
    cap = models.PositiveIntegerField(null=True, blank=True)  # open cases at most; None: no cap

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in team {self.team_id}"
