"""Surveys, their versioned questions, invitations and responses.

A survey's questions live in versions: editing a live survey adds a version, and every
response keeps the version it was answered on, so old answers stay valid (docs/surveys.md).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _link_token() -> str:
    return secrets.token_urlsafe(24)


class SurveyState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LIVE = "live", _("Live")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="surveys"
    )
    name = models.CharField(max_length=200)
    touchpoint = models.CharField(max_length=120, blank=True, default="")
    languages = models.JSONField(default=list)  # ["ko", "en"]: the first is the default
    state = models.CharField(max_length=10, choices=SurveyState.choices, default="draft")
    thank_you = models.JSONField(default=dict, blank=True)  # {"ko": ..., "en": ...}
    public_key = models.CharField(max_length=40, unique=True, default=_link_token)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="sv_ws_created")]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> SurveyVersion:
        """The newest version of the questions (every survey has at least one)."""
        versions = list(self.versions.all())  # prefetched by lists
        assert versions, "a survey is created with its first version"
        return max(versions, key=lambda v: v.number)


class SurveyVersion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    questions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="sv_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} v{self.number}"

    def question(self, key: str) -> dict[str, Any] | None:
        return next((q for q in self.questions if q["key"] == key), None)


class Invitation(models.Model):
    """A single-use link for one recipient, carrying who they are."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=40, unique=True, default=_link_token)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL
    )
    email = models.CharField(max_length=254, blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")
    external_id = models.CharField(max_length=200, blank=True, default="")
    language = models.CharField(max_length=5, blank=True, default="")
    hidden = models.JSONField(default=dict, blank=True)  # order id, plan, agent, ...
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # how it was made: a campaign's, or a trigger rule's for one customer event
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    trigger = models.ForeignKey(
        "TriggerRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    event = models.ForeignKey(
        "customers.CustomerEvent", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        indexes = [models.Index(fields=["survey", "created_at"], name="sv_inv_survey")]
        constraints = [
            # a redelivered customer.event schedules nothing twice
            models.UniqueConstraint(fields=["trigger", "event"], name="sv_inv_trigger_event")
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} to survey {self.survey_id}"


class Response(models.Model):
    """One respondent's answers, saved as they are given; finished once, never reopened."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT)
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    # an anonymous respondent's device (a cookie of the public link), to resume there
    device = models.CharField(max_length=40, blank=True, default="", db_index=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL
    )
    language = models.CharField(max_length=5, default="ko")
    answers = models.JSONField(default=dict)
    hidden = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # set when the answers became feedback records (finished, or partial after the timeout)
    recorded_at = models.DateTimeField(null=True, blank=True)
    feedback_ids = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["survey", "finished_at"], name="sv_resp_survey"),
            models.Index(fields=["recorded_at", "updated_at"], name="sv_resp_unrecorded"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to survey {self.survey_id}"


class Campaign(models.Model):
    """A survey's invitations e-mailed to a list or a segment, throttled, with an optional
    reminder; its progress is counted from its invitations and their messages."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200, blank=True, default="")
    source = models.CharField(max_length=10, default="list")  # list, csv, segment
    segment = models.CharField(max_length=120, blank=True, default="")
    reminder_days = models.PositiveSmallIntegerField(null=True, blank=True)
    start_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["survey", "-created_at"], name="sv_campaign_survey")]

    def __str__(self) -> str:
        return self.name or f"campaign {self.pk}"


class TriggerRule(models.Model):
    """Send ``survey`` ``delay_minutes`` after a customer event of ``event_type`` whose
    properties hold every pair of ``filter``."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="triggers")
    event_type = models.CharField(max_length=60)
    delay_minutes = models.PositiveIntegerField(default=0)
    filter = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "event_type", "active"], name="sv_trigger_type")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> survey {self.survey_id}"


class MessageKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")
    # a follow-up of a conversation the person is in (a case's verification survey): the
    # contact rule and suppression hold, quiet hours do not (the conversation ran then too)
    FOLLOW_UP = "follow_up", _("Follow-up")


class MessageState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    BOUNCED = "bounced", _("Bounced")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One survey e-mail to send (an invitation or its one reminder): the outbox every send
    path goes through, so throttling, quiet hours, suppression and fatigue apply to all.

    The state lives here, so sending resumes after a crash: a message claimed by a worker
    that stopped beating goes back to ``queued`` (docs/surveys.md)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    state = models.CharField(max_length=10, choices=MessageState.choices, default="queued")
    due_at = models.DateTimeField(default=timezone.now)
    owner = models.CharField(max_length=40, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=30, blank=True, default="")  # why skipped
    variant = models.CharField(max_length=10, blank=True, default="")  # a reminder's text
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "kind"], name="sv_message_one_per_kind")
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="sv_message_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.state})"


class Contact(models.Model):
    """A survey sent to or shown to one person, on any channel: what the fatigue rule counts.

    Keyed by the customer when there is one, else by the address."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE
    )
    address = models.CharField(max_length=254, blank=True, default="")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField(max_length=10)  # email, link
    kind = models.CharField(max_length=10)  # invitation, reminder, shown
    counts = models.BooleanField(default=True)  # toward the other surveys' limits
    at = models.DateTimeField(default=timezone.now)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="contact"
    )

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "customer", "at"], name="sv_contact_customer"),
            models.Index(fields=["workspace", "address", "at"], name="sv_contact_address"),
        ]

    def __str__(self) -> str:
        return f"survey {self.survey_id} {self.kind} at {self.at:%Y-%m-%d}"


class Suppression(models.Model):
    """An address no survey e-mail goes to: it unsubscribed, or its server refused it."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=12)  # unsubscribed, bounced
    detail = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "address"], name="sv_suppression_unique")
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"


class SurveySettings(models.Model):
    """A workspace's contact rule and quiet hours; without a row the settings' defaults hold."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="survey_settings"
    )
    gap_days = models.PositiveSmallIntegerField()
    max_in_window = models.PositiveSmallIntegerField()
    window_days = models.PositiveSmallIntegerField()
    quiet_start = models.TimeField(null=True, blank=True)  # both None: no quiet hours
    quiet_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"survey settings of workspace {self.workspace_id}"


class FatigueOverride(models.Model):
    """One survey's own contact rule: its gap and window limit (None: the workspace's), and
    whether its sends count toward the other surveys' limits."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="fatigue")
    gap_days = models.PositiveSmallIntegerField(null=True, blank=True)
    max_in_window = models.PositiveSmallIntegerField(null=True, blank=True)
    counts = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"fatigue override of survey {self.survey_id}"
