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

    class Meta:
        indexes = [models.Index(fields=["survey", "created_at"], name="sv_inv_survey")]

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
