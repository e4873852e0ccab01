"""Customer profiles: one person or account as a workspace knows them."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from soriloop.core.crypto import cipher

EMAIL, PHONE, NAME = "customer.email", "customer.phone", "customer.name"


def display_phone(phone: str) -> str:
    """A stored (normalised) Korean number with its dashes: ``01012345678`` -> ``010-1234-5678``,
    ``021234567`` -> ``02-123-4567``; other numbers as stored."""
    if phone.startswith("02") and len(phone) in (9, 10):
        return f"02-{phone[2:-4]}-{phone[-4:]}"
    if phone.startswith("0") and len(phone) in (10, 11):
        return f"{phone[:3]}-{phone[3:-4]}-{phone[-4:]}"
    return phone


class CustomerQuerySet(models.QuerySet["Customer"]):
    def with_email(self, email: str) -> CustomerQuerySet:
        """The customers with e-mail ``email`` (normalised), found by its blind index."""
        return self.filter(email_hash=cipher().digest(EMAIL, email))

    def with_phone(self, phone: str) -> CustomerQuerySet:
        return self.filter(phone_hash=cipher().digest(PHONE, phone))


class Customer(models.Model):
    """E-mail, phone and name are sealed at rest (core/crypto.py) and read and written through
    the properties of the same names; ``email_hash`` and ``phone_hash`` are their blind
    indexes, which the unique constraints and every lookup use. ``name_terms`` holds short
    keyed hashes of the name's letters and letter pairs, so a search finds a name (Korean
    included) without the name being stored in the clear."""

    # db_index=False: the unique (workspace, ...) indexes below start with the workspace.
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="customers", db_index=False
    )
    # NULL when unknown, so plain unique indexes both allow many unknowns and serve lookups
    # (a partial index on != '' is not used by SQLite for `email IN (...)`).
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    email_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    phone_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    email_sealed = models.TextField(blank=True, default="")
    phone_sealed = models.TextField(blank=True, default="")
    name_sealed = models.TextField(blank=True, default="")
    name_terms = models.TextField(blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    # purpose -> {"granted": bool, "source": str, "at": ISO time} (docs/customers.md)
    consent = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="customer_unique_external_id"
            ),
            models.UniqueConstraint(
                fields=["workspace", "email_hash"], name="customer_unique_email_hash"
            ),
            models.UniqueConstraint(
                fields=["workspace", "phone_hash"], name="customer_unique_phone_hash"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id or f"customer {self.pk}"

    def _plain(self, purpose: str, sealed: str) -> str:
        cache: dict[tuple[str, str], str] = self.__dict__.setdefault("_opened", {})
        if (purpose, sealed) not in cache:
            cache[(purpose, sealed)] = cipher().open(purpose, sealed)
        return cache[(purpose, sealed)]

    @property
    def email(self) -> str | None:
        return self._plain(EMAIL, self.email_sealed) or None

    @email.setter
    def email(self, value: str | None) -> None:
        self.email_sealed = cipher().seal(EMAIL, value or "")
        self.email_hash = cipher().digest(EMAIL, value or "") or None

    @property
    def phone(self) -> str | None:
        return self._plain(PHONE, self.phone_sealed) or None

    @phone.setter
    def phone(self, value: str | None) -> None:
        self.phone_sealed = cipher().seal(PHONE, value or "")
        self.phone_hash = cipher().digest(PHONE, value or "") or None

    @property
    def phone_display(self) -> str | None:
        """The phone as people read it (``010-1234-5678``), the same on every page, export and
        API answer, masked or not."""
        return display_phone(self.phone or "") or None

    @property
    def name(self) -> str:
        return self._plain(NAME, self.name_sealed)

    @name.setter
    def name(self, value: str | None) -> None:
        self.name_sealed = cipher().seal(NAME, value or "")
        self.name_terms = name_terms(value or "")


def _grams(text: str) -> set[str]:
    """The letters and letter pairs of each word of ``text``, lower-cased."""
    grams: set[str] = set()
    for word in text.lower().split():
        grams.update(word)
        grams.update(word[i : i + 2] for i in range(len(word) - 1))
    return grams


def name_terms(name: str) -> str:
    """The name's searchable terms: a short keyed hash per gram, space-separated and framed
    by spaces so ``LIKE '% term %'`` matches whole terms only."""
    hashes = sorted({cipher().digest(NAME, gram)[:12] for gram in _grams(name)})
    return f" {' '.join(hashes)} " if hashes else ""


def name_query_terms(query: str) -> list[str]:
    """The terms a name must all have to match ``query``: its pairs (its letters when a word
    is one letter long)."""
    wanted: set[str] = set()
    for word in query.lower().split():
        pairs = {word[i : i + 2] for i in range(len(word) - 1)}
        wanted.update(pairs or {word})
    return sorted(cipher().digest(NAME, gram)[:12] for gram in wanted)


class CustomerEvent(models.Model):
    """Something a customer did (a purchase, a visit, a cancellation), as a workspace's systems
    report it (``POST /api/v1/events``); survey triggers react to it through the change log."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=60)
    occurred_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    # the sender's own id for the event, so a retried report is stored once
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="customer_event_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "type", "occurred_at"], name="cust_event_type"),
            models.Index(fields=["customer", "occurred_at"], name="cust_event_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.type} of customer {self.customer_id}"


class CustomerSettings(models.Model):
    """A workspace's customer settings; a workspace without a row has the defaults."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="customer_settings"
    )
    # a customer with no event and no feedback for this long counts as churned (docs/metrics.md)
    inactivity_days = models.PositiveSmallIntegerField(default=90)
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"customer settings of workspace {self.workspace_id}"


class ChurnModel(models.Model):
    """A workspace's trained churn model: a logistic regression over standardised signals,
    kept as numbers (no pickle), with what it scored on customers it did not see."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    features = models.JSONField(default=list)  # signal names, in order
    means = models.JSONField(default=list)
    scales = models.JSONField(default=list)
    coefficients = models.JSONField(default=list)
    intercept = models.FloatField(default=0.0)
    trained_on = models.IntegerField(default=0)  # customers in the training set
    churned = models.IntegerField(default=0)  # churned customers among all used
    held_out = models.IntegerField(default=0)
    auc = models.FloatField(null=True, blank=True)  # on the held-out customers
    brier = models.FloatField(null=True, blank=True)
    calibration = models.JSONField(default=list)  # [{"predicted", "observed", "count"}]
    active = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True, default="")  # why not active
    trained_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-trained_at"], name="churn_model_latest")]

    def __str__(self) -> str:
        return f"churn model {self.pk} of workspace {self.workspace_id}"


class ErasureState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Erasing")
    DONE = "done", _("Erased")
    FAILED = "failed", _("Failed")


class CustomerErasure(models.Model):
    """An erasure too large for one request, done by the worker; it holds no personal data
    (the customer's id only, which is gone when it is done)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    customer_id = models.BigIntegerField()
    state = models.CharField(max_length=8, choices=ErasureState.choices, default="pending")
    owner = models.CharField(max_length=64, blank=True, default="")
    requested_by = models.CharField(max_length=200, blank=True, default="")
    erased = models.IntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "id"], name="erasure_pending")]

    def __str__(self) -> str:
        return f"erasure {self.pk} of customer {self.customer_id}"


class Segment(models.Model):
    """A saved rule over customers (docs/customers.md#segments); its members are stored and
    kept current by the ``segments`` consumer and a periodic refresh, never per page view."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    rules = models.JSONField()
    member_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="segment_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_unique")
        ]
        indexes = [models.Index(fields=["customer"], name="segment_member_customer")]

    def __str__(self) -> str:
        return f"customer {self.customer_id} in segment {self.segment_id}"


class SegmentChange(models.Model):
    """A customer joining or leaving a segment, for their timeline."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    joined = models.BooleanField()
    at = models.DateTimeField(default=now)
    cause = models.CharField(max_length=300, blank=True, default="")  # the rule, in words

    class Meta:
        indexes = [models.Index(fields=["customer", "-at"], name="segment_change_customer")]

    def __str__(self) -> str:
        return (
            f"customer {self.customer_id} {'joined' if self.joined else 'left'} {self.segment_id}"
        )
