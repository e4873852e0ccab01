"""Cases: an owner, a reply, a fix and a follow-up for unhappy feedback (docs/cases.md)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _reply_token() -> str:
    return secrets.token_hex(12)


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    VERIFIED = "verified", _("Verified")
    REOPENED = "reopened", _("Reopened")


OPEN_STATUSES = ("new", "acknowledged", "in_progress", "waiting_on_customer", "reopened")


class Case(models.Model):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="cases"
    )
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default="new")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    assignee = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(
        "CaseRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    subject = models.CharField(max_length=300, blank=True, default="")
    topic = models.CharField(max_length=120, blank=True, default="")  # the first record's
    language = models.CharField(max_length=5, blank=True, default="")
    # the computed priority (0-100) and its reasons; an override wins, with its reason
    priority_score = models.IntegerField(default=0)
    priority_reasons = models.JSONField(default=list, blank=True)
    priority_override = models.CharField(max_length=10, blank=True, default="")
    priority_override_reason = models.CharField(max_length=300, blank=True, default="")
    reply_token = models.CharField(max_length=40, unique=True, default=_reply_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_response_at = models.DateTimeField(null=True, blank=True)
    last_customer_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # SLA deadlines (business time, docs/cases.md); None: met, or none applies
    first_response_due = models.DateTimeField(null=True, blank=True)
    next_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)  # while waiting on the customer
    warned = models.JSONField(default=list, blank=True)  # deadlines warned about
    breached = models.JSONField(default=list, blank=True)  # deadlines escalated
    no_survey_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "status", "-priority_score"], name="case_queue"),
            models.Index(fields=["workspace", "assignee", "status"], name="case_assignee"),
            models.Index(fields=["workspace", "customer", "status"], name="case_customer"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseFeedback(models.Model):
    """A record's link to its case: a record belongs to one case at most."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    feedback = models.ForeignKey(
        "feedback.Feedback", on_delete=models.CASCADE, related_name="case_links"
    )
    role = models.CharField(max_length=20, default="opened")  # opened, joined, reply, survey
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feedback"], name="case_feedback_once")]

    def __str__(self) -> str:
        return f"{self.feedback_id} in case {self.case_id}"


class CaseRule(models.Model):
    """Conditions over a record and its analysis (the alert rules' conditions) that open a
    case; with ``join_days`` related feedback (same customer, same topic, within that many
    days) joins the customer's open case instead."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="case_rules"
    )
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=40, blank=True, default="")  # a built-in rule's
    enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict, blank=True)
    join_related = models.BooleanField(default=True)
    join_days = models.PositiveIntegerField(default=14)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Where a new case goes: the first rule (by position) whose conditions the case's first
    record meets names its team."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="routing_rules"
    )
    position = models.IntegerField(default=0)
    conditions = models.JSONField(default=dict, blank=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"routing {self.pk} -> {self.team_id}"


class CaseEvent(models.Model):
    """One line of a case's history: who did what, when."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["case", "at"], name="case_event_at")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class CaseNote(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    mentions = models.JSONField(default=list, blank=True)  # user ids
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"


class ReplyState(models.TextChoices):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class CaseReply(models.Model):
    """A reply to the customer: queued by the request, sent by the worker's outbox loop."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    template = models.CharField(max_length=40, blank=True, default="")
    language = models.CharField(max_length=5, default="ko")
    message_id = models.CharField(max_length=200)
    in_reply_to = models.CharField(max_length=200, blank=True, default="")
    references = models.TextField(blank=True, default="")
    state = models.CharField(max_length=10, choices=ReplyState.choices, default="queued")
    owner = models.CharField(max_length=64, blank=True, default="")
    attempts = models.IntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="case_reply_due")]

    def __str__(self) -> str:
        return f"reply {self.pk} on case {self.case_id}"


class Verification(models.Model):
    """The verification survey of a resolve: one per case (the invitation it sent)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="verification")
    invitation = models.OneToOneField(
        "surveys.Invitation", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    solved = models.BooleanField(null=True)
    score = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"verification of case {self.case_id}"


class LoopSettings(models.Model):
    """A workspace's loop settings: its verification survey, business calendar and SLAs;
    a workspace without a row has the defaults (docs/cases.md)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="loop_settings"
    )
    verification_survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ...}; {} the default
    hours = models.JSONField(default=dict, blank=True)
    days_off = models.JSONField(default=list, blank=True)  # ["2026-12-31", ...]
    public_holidays = models.BooleanField(default=True)  # Korean public holidays are off
    # {"urgent": {"first_response": 60, "next_response": 240, "resolution": 1440}, ...}
    sla = models.JSONField(default=dict, blank=True)
    warn_minutes = models.PositiveIntegerField(default=60)

    def __str__(self) -> str:
        return f"loop settings of {self.workspace_id}"
