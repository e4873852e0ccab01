"""The feedback record: one normalised row per piece of feedback, whatever the channel."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    API = "api", _("API")
    WIDGET = "widget", _("Web widget")
    HOSTED = "hosted", _("Hosted page")
    EMAIL = "email", _("E-mail")
    IMPORT = "import", _("File import")
    MANUAL = "manual", _("Manual entry")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    SURVEY = "survey", _("Survey")
    REVIEW = "review", _("Review")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")


class ScoreKind(models.TextChoices):
    NPS = "nps", _("NPS (0-10)")
    CSAT = "csat", _("CSAT (1-5)")
    CES = "ces", _("CES (1-7)")
    STARS = "stars", _("Stars (1-5)")


SCORE_RANGES: dict[str, tuple[int, int]] = {
    ScoreKind.NPS: (0, 10),
    ScoreKind.CSAT: (1, 5),
    ScoreKind.CES: (1, 7),
    ScoreKind.STARS: (1, 5),
}


class AnalysisState(models.TextChoices):
    PENDING = "pending", _("Waiting for analysis")
    RUNNING = "running", _("Being analysed")
    DONE = "done", _("Analysed")
    FAILED = "failed", _("Analysis failed")


class Feedback(models.Model):
    # db_index=False: the composite indexes below all start with the workspace.
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="feedback", db_index=False
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    source = models.CharField(max_length=120, blank=True, default="")
    external_id = models.CharField(max_length=200, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        db_index=False,  # covered by fb_customer
    )
    touchpoint = models.CharField(max_length=120, blank=True, default="")
    text = models.TextField(blank=True, default="")
    score = models.FloatField(null=True, blank=True)
    score_kind = models.CharField(max_length=8, choices=ScoreKind.choices, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()
    day = models.DateField(help_text="received_at's date in the workspace's time zone")
    created_at = models.DateTimeField(default=now)
    # NULL, not "", so the unique constraints ignore records without a key.
    dedup_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    # What was sent with the idempotency key (a hash): a retry must send the same body.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")
    analysis_state = models.CharField(
        max_length=8, choices=AnalysisState.choices, default=AnalysisState.PENDING
    )
    analysis_owner = models.CharField(max_length=64, blank=True, default="")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # set when FEEDBACK_ANONYMISE_MONTHS made it anonymous (no customer, personal data masked)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "dedup_key"], name="feedback_dedup"),
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"], name="feedback_idempotency"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "-received_at", "-id"], name="fb_inbox"),
            models.Index(fields=["workspace", "day"], name="fb_day"),
            models.Index(fields=["workspace", "channel", "day"], name="fb_channel_day"),
            models.Index(fields=["customer", "-received_at"], name="fb_customer"),
            models.Index(
                fields=["analysis_state", "id"],
                condition=Q(analysis_state="pending"),
                name="fb_pending",
            ),
            models.Index(
                fields=["received_at"], condition=Q(anonymised_at=None), name="fb_not_anonymised"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} feedback {self.pk}"


class RawMail(models.Model):
    """The message a record was made from, byte for byte, for an admin to check the parse."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="raw_mail")
    raw = models.BinaryField()
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"raw mail of feedback {self.feedback_id}"


def _token() -> str:
    return secrets.token_urlsafe(18)


def _hex_token() -> str:
    # Lower-case only: mail systems may fold the case of an address's local part.
    return secrets.token_hex(10)


class ChannelSettings(models.Model):
    """Per-workspace channel configuration: widget key and origins, inbox address, thanks."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="channel_settings"
    )
    widget_key = models.CharField(max_length=40, unique=True, default=_token)
    widget_origins = models.JSONField(default=list, blank=True)
    inbound_token = models.CharField(max_length=40, unique=True, default=_hex_token)
    thanks_ko = models.CharField(max_length=300, blank=True, default="")
    thanks_en = models.CharField(max_length=300, blank=True, default="")
    reply_enabled = models.BooleanField(default=True)
    reply_subject_ko = models.CharField(max_length=200, blank=True, default="")
    reply_subject_en = models.CharField(max_length=200, blank=True, default="")
    reply_body_ko = models.TextField(blank=True, default="")
    reply_body_en = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"channel settings of {self.workspace_id}"


class ImportState(models.TextChoices):
    MAPPING = "mapping", _("Waiting for a column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """A file being imported; progress and bad rows are kept so a page can show them."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="imports"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    file_format = models.CharField(max_length=8)
    file_size = models.BigIntegerField(default=0)
    source = models.CharField(max_length=120)
    mapping = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=8, choices=ImportState.choices, default=ImportState.MAPPING)
    bytes_done = models.BigIntegerField(default=0)
    rows_total = models.IntegerField(default=0)
    rows_created = models.IntegerField(default=0)
    rows_duplicate = models.IntegerField(default=0)
    rows_failed = models.IntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True, default="")
    worker_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.file_name} ({self.state})"
