"""Analysis results beside each feedback record, with provenance; per-workspace settings."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Enrichment(models.Model):
    """What the engine found in one record. Re-analysis overwrites it."""

    feedback = models.OneToOneField(
        "feedback.Feedback", on_delete=models.CASCADE, primary_key=True, related_name="enrichment"
    )
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8, blank=True, default="")
    mixed = models.BooleanField(default=False)
    sentiment_label = models.CharField(max_length=8)
    sentiment_score = models.FloatField()
    sentiment_confidence = models.FloatField()
    evidence = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)  # [{"key", "name_ko", "name_en", ...}]
    types = models.JSONField(default=list, blank=True)  # [{"name", "confidence", "evidence"}]
    keywords = models.JSONField(default=list, blank=True)
    abusive = models.BooleanField(default=False)
    abuse_confidence = models.FloatField(default=0.0)
    pii = models.JSONField(default=list, blank=True)
    redacted_text = models.TextField(blank=True, default="")
    model_version = models.CharField(max_length=200)  # an adapted head adds "+ws<id>-<time>"
    analyzed_at = models.DateTimeField(default=now)
    # {"sentiment" | "types" | "topics": {"model": what the model said, "by": who, "at": when}}
    # for the labels people corrected; the fields above then hold the corrected values.
    corrections = models.JSONField(default=dict, blank=True)
    signature = models.BinaryField(default=b"", blank=True)  # MinHash, for similar feedback
    # The sentence embedding (engine.embed.pack, 512 bytes), computed by the meaning pass after
    # the labels: NULL until then, empty for a record without text.
    vector = models.BinaryField(null=True, blank=True, default=None)
    # "|delivery|price|": the topic keys and type names, for filters that work the same on
    # SQLite and PostgreSQL (``index_labels`` keeps them in step with the JSON above).
    topic_keys = models.CharField(max_length=500, blank=True, default="")
    type_names = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "sentiment_label"], name="enrich_ws_sentiment"),
            models.Index(
                fields=["feedback"], name="enrich_unembedded", condition=models.Q(vector=None)
            ),
        ]

    def __str__(self) -> str:
        return f"analysis of feedback {self.feedback_id}"

    def index_labels(self) -> None:
        """Refresh ``topic_keys`` and ``type_names`` from ``topics`` and ``types``."""
        self.topic_keys = _joined(t["key"] for t in self.topics)
        self.type_names = _joined(t["name"] for t in self.types)

    @property
    def topic_key_list(self) -> list[str]:
        return [k for k in self.topic_keys.split("|") if k]


def _joined(names: Iterable[str]) -> str:
    names = sorted(set(names))
    return f"|{'|'.join(names)}|" if names else ""


class AnalysisSettings(models.Model):
    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="analysis_settings"
    )
    redact_pii = models.BooleanField(
        default=True, help_text="The engine reads text with personal data replaced by labels."
    )
    keep_original = models.BooleanField(
        default=True, help_text="Keep the original text; off: store only the redacted text."
    )
    emerging_scanned_at = models.DateTimeField(null=True, blank=True)
    adapted_at = models.DateTimeField(null=True, blank=True)
    # the last adaptation's report ({"at", "sentiment": {...}, "topics": {...}}), for the page
    adapt_report = models.JSONField(default=dict, blank=True)
    # which sentiment head analyses new records: the workspace's adapted one (when it has one
    # that passed the checks) or the shipped one; an admin switches on Settings → Analysis
    sentiment_model = models.CharField(
        max_length=8,
        choices=[("adapted", "adapted"), ("shipped", "shipped")],
        default="adapted",
    )

    def __str__(self) -> str:
        return f"analysis settings of {self.workspace_id}"


class Topic(models.Model):
    """One entry of a workspace's taxonomy, named in Korean and English."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="topics"
    )
    key = models.SlugField(max_length=60)
    name_ko = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80)
    keywords = models.JSONField(default=list, blank=True)
    examples = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="topic_unique_key")
        ]
        ordering = ["name_en"]

    def __str__(self) -> str:
        return f"{self.name_ko} / {self.name_en}"

    def name_in(self, language: str) -> str:
        return self.name_ko if language == "ko" else self.name_en


class Correction(models.Model):
    """A person's correction of one label of one record; the latest per field wins."""

    FIELDS = ("sentiment", "types", "topics")

    feedback = models.ForeignKey(
        "feedback.Feedback", on_delete=models.CASCADE, related_name="corrections"
    )
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=16)
    value = models.JSONField()
    corrected_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(fields=["feedback", "field", "-created_at"], name="correction_latest")
        ]

    def __str__(self) -> str:
        return f"{self.field} of feedback {self.feedback_id} = {self.value}"


class EmergingIssue(models.Model):
    """A group of recent negative feedback that no topic covers, proposed as a new topic."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="emerging_issues"
    )
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PROPOSED)
    label_ko = models.CharField(max_length=80)
    label_en = models.CharField(max_length=80)
    keywords = models.JSONField(default=list, blank=True)
    size = models.IntegerField(default=0)
    example_ids = models.JSONField(default=list, blank=True)  # feedback ids, most typical first
    centroid = models.BinaryField(default=b"")  # float32 x 512: the same issue found again
    first_seen = models.DateField()
    last_seen = models.DateField()
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status"], name="emerging_ws_status")]

    def __str__(self) -> str:
        return f"{self.label_ko} / {self.label_en} ({self.status})"


class WorkspaceModel(models.Model):
    """A workspace's own sentiment head (``kind`` "sentiment"), adapted from its corrections
    and scored feedback, or what its topic corrections taught its taxonomy ("topics").

    The weights live in a file under SORILOOP_DATA_DIR/models; only a model that passed its
    checks (sentiment: not worse than the shipped head on the workspace's held-out records and
    on the customer-service dev sets; topics: not worse on dev) is ``active``. An active
    sentiment head is used unless an admin chose the shipped one (``AnalysisSettings``)."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="models"
    )
    kind = models.CharField(max_length=16, default="sentiment")
    version = models.CharField(max_length=200)  # the shipped version + "+ws<id>-<time>"
    path = models.CharField(max_length=500)
    train_examples = models.IntegerField(default=0)
    dev_examples = models.IntegerField(default=0)
    dev_before = models.JSONField(default=dict)
    dev_after = models.JSONField(default=dict)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "kind", "active"], name="wsmodel_active")]

    def __str__(self) -> str:
        return f"{self.kind} {self.version} of {self.workspace_id}"
