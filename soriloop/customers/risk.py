"""Churn risk of a customer: a workspace's own model when it has learnt from enough churned
customers, else a transparent RFM + feedback heuristic, each labelled as what it is.

The signals (docs/customers.md) come from the registered sources (hooks.py): recency,
frequency and spend from the customer's events, contact frequency and the last NPS from its
feedback, the sentiment trend from the analysis of that feedback.

The model is a logistic regression over the standardised signals, trained on a snapshot: the
signals as they were one inactivity window ago, and whether the customer churned after it
(a churned or cancellation event, or no activity since). It is used only when the workspace had
at least ``EVENTS_PER_FEATURE`` churned (and as many kept) customers per signal, the usual
"ten events per variable" of logistic models, and when its held-out AUC reached ``MIN_AUC``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from soriloop.accounts.models import Workspace
from soriloop.customers.hooks import customer_sources
from soriloop.customers.models import ChurnModel, Customer, CustomerSettings

logger = logging.getLogger(__name__)

FEATURES = (
    "recency_days",
    "purchases_90d",
    "spend_365d",
    "events_90d",
    "feedback_90d",
    "last_nps",
    "sentiment_recent",
    "sentiment_trend",
)
# A missing signal reads as this: no NPS given is neither promoter nor detractor.
DEFAULTS = {"last_nps": 7.5, "sentiment_recent": 0.0, "sentiment_trend": 0.0}
EVENTS_PER_FEATURE = 10
MIN_AUC = 0.6
HELD_OUT_SHARE = 0.25
CHURN_EVENTS = ("churned", "subscription_cancelled")
DEFAULT_INACTIVITY_DAYS = 90


@dataclass(frozen=True)
class ChurnRisk:
    """``score`` from 0 to 1; ``level`` low, medium or high; ``reasons`` in words, the
    weightiest first (never empty); ``model`` "heuristic" or "model"."""

    score: float
    level: str
    reasons: list[str]
    model: str


def level_of(score: float) -> str:
    return "high" if score >= 0.6 else "medium" if score >= 0.3 else "low"


def inactivity_days(workspace_id: int) -> int:
    found = CustomerSettings.objects.filter(workspace_id=workspace_id).first()
    return found.inactivity_days if found else DEFAULT_INACTIVITY_DAYS


def signals_of(
    workspace_id: int, customers: Sequence[Customer], now: dt.datetime
) -> dict[int, dict[str, float]]:
    """Every source's signals of ``customers`` as of ``now`` (nothing after it counts)."""
    ids = [c.pk for c in customers]
    found: dict[int, dict[str, float]] = {pk: {} for pk in ids}
    for source in customer_sources():
        if source.signals is not None:
            for pk, values in source.signals(workspace_id, ids, now).items():
                found.setdefault(pk, {}).update(values)
    for customer in customers:
        values = found[customer.pk]
        seen = [values[k] for k in ("last_event_days", "last_feedback_days") if k in values]
        last = min(seen) if seen else None
        since_signup = max(0.0, (now - customer.created_at).total_seconds() / 86400)
        values["recency_days"] = since_signup if last is None else min(last, since_signup)
        for name, default in DEFAULTS.items():
            values.setdefault(name, default)
        for name in FEATURES:
            values.setdefault(name, 0.0)
    return found


# -- the heuristic ------------------------------------------------------------------------


def _heuristic(values: dict[str, float], window: int) -> ChurnRisk:
    """Weighted parts, each from 0 to 1, with the reason it gives when it counts."""
    if values.get("churned_at_days") is not None:
        days = int(values["churned_at_days"])
        reason = _("Reported churned or cancelled %(days)s days ago") % {"days": days}
        return ChurnRisk(score=1.0, level="high", reasons=[reason], model="heuristic")
    parts: list[tuple[float, str]] = []
    recency = values["recency_days"]
    parts.append(
        (
            0.30 * min(recency / window, 1.0),
            _("No activity for %(days)s days") % {"days": int(recency)},
        )
    )
    purchases = values["purchases_90d"]
    frequency = 1.0 if purchases == 0 else 0.5 if purchases < 3 else 0.0
    parts.append(
        (0.15 * frequency, _("%(count)s purchases in the last 90 days") % {"count": int(purchases)})
    )
    parts.append((0.10 * (values["spend_365d"] <= 0), _("No spending in the last year")))
    nps = values["last_nps"]
    if nps != DEFAULTS["last_nps"]:
        detractor = 1.0 if nps <= 6 else 0.4 if nps <= 8 else 0.0
        parts.append((0.20 * detractor, _("Last NPS answer was %(score)s") % {"score": int(nps)}))
    sentiment = values["sentiment_recent"]
    trend = values["sentiment_trend"]
    parts.append(
        (
            0.15 * min(1.0, max(0.0, -sentiment) + max(0.0, -trend) / 2),
            _("Recent feedback is negative or getting worse"),
        )
    )
    contacts = values["feedback_90d"]
    parts.append(
        (
            0.10 * min(1.0, max(0.0, contacts - 1) / 3),
            _("Wrote %(count)s times in the last 90 days") % {"count": int(contacts)},
        )
    )
    score = round(min(1.0, sum(weight for weight, _reason in parts)), 3)
    reasons = [reason for weight, reason in sorted(parts, key=lambda p: -p[0]) if weight >= 0.05]
    if not reasons:
        reasons = [_("Active recently, buying, with no negative feedback")]
    return ChurnRisk(score=score, level=level_of(score), reasons=reasons[:3], model="heuristic")


# -- the model ----------------------------------------------------------------------------

_WORDS = {
    "recency_days": lambda v: _("No activity for %(days)s days") % {"days": int(v)},
    "purchases_90d": lambda v: _("%(count)s purchases in the last 90 days") % {"count": int(v)},
    "spend_365d": lambda v: _("Spent %(amount)s in the last year") % {"amount": f"{v:,.0f}"},
    "events_90d": lambda v: _("%(count)s events in the last 90 days") % {"count": int(v)},
    "feedback_90d": lambda v: _("Wrote %(count)s times in the last 90 days") % {"count": int(v)},
    "last_nps": lambda v: _("Last NPS answer was %(score)s") % {"score": int(v)},
    "sentiment_recent": lambda v: _("Recent feedback sentiment %(value).2f") % {"value": v},
    "sentiment_trend": lambda v: _("Sentiment trend %(value)+.2f") % {"value": v},
}


def _model_risk(model: ChurnModel, values: dict[str, float]) -> ChurnRisk:
    z = [
        (values[name] - mean) / scale
        for name, mean, scale in zip(model.features, model.means, model.scales, strict=True)
    ]
    parts = [coef * zi for coef, zi in zip(model.coefficients, z, strict=True)]
    logit = model.intercept + sum(parts)
    score = round(1 / (1 + math.exp(-max(-30.0, min(30.0, logit)))), 3)
    order = sorted(range(len(parts)), key=lambda i: -parts[i])
    reasons = [_WORDS[model.features[i]](values[model.features[i]]) for i in order if parts[i] > 0]
    auc = _("model, held-out AUC %(auc).2f") % {"auc": model.auc or 0}
    reasons = reasons[:3] or [_("Nothing in the signals raises the risk")]
    return ChurnRisk(score=score, level=level_of(score), reasons=[*reasons, auc], model="model")


def churn_model_active(*, workspace_id: int) -> ChurnModel | None:
    """The workspace's model in use, or None (the heuristic applies)."""
    return (
        ChurnModel.objects.filter(workspace_id=workspace_id, active=True)
        .order_by("-trained_at", "-pk")
        .first()
    )


def churn_model_latest(*, workspace_id: int) -> ChurnModel | None:
    """The workspace's last training, used or not (None: never trained)."""
    return (
        ChurnModel.objects.filter(workspace_id=workspace_id).order_by("-trained_at", "-pk").first()
    )


def churn_risks(
    customers: Sequence[Customer], *, now: dt.datetime | None = None
) -> dict[int, ChurnRisk]:
    """The risk of each of ``customers`` (of one workspace), by id."""
    if not customers:
        return {}
    now = now or timezone.now()
    workspace_id = customers[0].workspace_id
    values = signals_of(workspace_id, customers, now)
    model = churn_model_active(workspace_id=workspace_id)
    window = inactivity_days(workspace_id)
    risks = {}
    for customer in customers:
        v = values[customer.pk]
        if model is not None and v.get("churned_at_days") is None:
            risks[customer.pk] = _model_risk(model, v)
        else:
            risks[customer.pk] = _heuristic(v, window)
    return risks


def customer_churn_risk(customer: Customer) -> ChurnRisk:
    """The churn risk of one customer now (the workspace's model or the heuristic)."""
    return churn_risks([customer])[customer.pk]


def _labelled(workspace: Workspace, now: dt.datetime) -> tuple[list[list[float]], list[int]]:
    """The snapshot one window ago: features then, and 1 for those who churned after it."""
    window = inactivity_days(workspace.pk)
    cutoff = now - dt.timedelta(days=window)
    customers = list(
        Customer.objects.filter(workspace=workspace, created_at__lt=cutoff).order_by("pk")
    )
    before = signals_of(workspace.pk, customers, cutoff)
    after = signals_of(workspace.pk, customers, now)
    rows, labels = [], []
    for customer in customers:
        then, later = before[customer.pk], after[customer.pk]
        if then.get("churned_at_days") is not None:
            continue  # already gone at the snapshot
        churned = later.get("churned_at_days") is not None or later["recency_days"] >= window
        rows.append([float(then[name]) for name in FEATURES])
        labels.append(1 if churned else 0)
    return rows, labels


def _calibration(
    predicted: list[float], observed: list[int], bins: int = 5
) -> list[dict[str, float]]:
    table = []
    for b in range(bins):
        members = [
            i
            for i, p in enumerate(predicted)
            if b / bins <= p < (b + 1) / bins or (b == bins - 1 and p == 1.0)
        ]
        if members:
            table.append(
                {
                    "predicted": round(sum(predicted[i] for i in members) / len(members), 3),
                    "observed": round(sum(observed[i] for i in members) / len(members), 3),
                    "count": len(members),
                }
            )
    return table


def churn_model_train(*, workspace: Workspace, now: dt.datetime | None = None) -> ChurnModel:
    """Train and store the workspace's model; it becomes the active one only when there were
    enough churned and kept customers (``EVENTS_PER_FEATURE`` per signal) and its held-out
    AUC reached ``MIN_AUC`` (``note`` says why not otherwise)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score

    now = now or timezone.now()
    rows, labels = _labelled(workspace, now)
    churned, kept = sum(labels), len(labels) - sum(labels)
    needed = EVENTS_PER_FEATURE * len(FEATURES)
    model = ChurnModel(
        workspace=workspace,
        features=list(FEATURES),
        trained_on=len(rows),
        churned=churned,
        trained_at=now,
    )
    if min(churned, kept) < needed:
        model.note = f"needs {needed} churned and {needed} kept customers; has {churned} and {kept}"
        model.save()
        return model
    order = list(range(len(rows)))
    random.Random(workspace.pk).shuffle(order)  # noqa: S311 (a reproducible split, not a secret)
    cut = int(len(order) * (1 - HELD_OUT_SHARE))
    train, test = order[:cut], order[cut:]
    means = [sum(rows[i][j] for i in train) / len(train) for j in range(len(FEATURES))]
    scales = [
        math.sqrt(sum((rows[i][j] - means[j]) ** 2 for i in train) / len(train)) or 1.0
        for j in range(len(FEATURES))
    ]

    def z(i: int) -> list[float]:
        return [(rows[i][j] - means[j]) / scales[j] for j in range(len(FEATURES))]

    fitted = LogisticRegression(max_iter=1000).fit(
        [z(i) for i in train], [labels[i] for i in train]
    )
    predicted = [float(p) for p in fitted.predict_proba([z(i) for i in test])[:, 1]]
    observed = [labels[i] for i in test]
    model.means, model.scales = means, scales
    model.coefficients = [float(c) for c in fitted.coef_[0]]
    model.intercept = float(fitted.intercept_[0])
    model.held_out = len(test)
    if 0 < sum(observed) < len(observed):
        model.auc = round(float(roc_auc_score(observed, predicted)), 4)
    model.brier = round(float(brier_score_loss(observed, predicted)), 4)
    model.calibration = _calibration(predicted, observed)
    model.active = model.auc is not None and model.auc >= MIN_AUC
    if not model.active:
        model.note = f"held-out AUC {model.auc} below {MIN_AUC}"
    with transaction.atomic():
        if model.active:
            ChurnModel.objects.filter(workspace=workspace, active=True).update(active=False)
        model.save()
    logger.info(
        "churn model of workspace %s: auc %s, active %s", workspace.pk, model.auc, model.active
    )
    return model


def churn_model_json(model: ChurnModel) -> dict[str, Any]:
    """A trained model as the API, the command and the page show it."""
    return {
        "id": model.pk,
        "active": model.active,
        "note": model.note,
        "trained_at": model.trained_at.isoformat(),
        "customers": model.trained_on,
        "churned": model.churned,
        "held_out": model.held_out,
        "auc": model.auc,
        "brier": model.brier,
        "calibration": model.calibration,
        "features": model.features,
        "coefficients": [round(c, 4) for c in model.coefficients],
        "rule": f"used with at least {EVENTS_PER_FEATURE} churned and {EVENTS_PER_FEATURE} kept "
        f"customers per feature ({EVENTS_PER_FEATURE * len(FEATURES)} each) and a held-out AUC "
        f"of at least {MIN_AUC}",
    }


_train_checked = -math.inf


def churn_models_train_due(*, owner: str = "", limit: int = 1) -> int:
    """Train the churn model of workspaces whose last training is older than
    ``CHURN_TRAIN_SECONDS`` (or that never had one); a worker loop that looks at most every
    ten minutes and trains ``limit`` workspaces a pass. Returns how many it trained."""
    global _train_checked
    if owner and time.monotonic() - _train_checked < 600:
        return 0
    _train_checked = time.monotonic()
    cutoff = timezone.now() - dt.timedelta(seconds=settings.CHURN_TRAIN_SECONDS)
    recent = ChurnModel.objects.filter(trained_at__gte=cutoff).values("workspace_id")
    due = (
        Workspace.objects.filter(customers__isnull=False)
        .exclude(pk__in=recent)
        .distinct()
        .order_by("pk")[:limit]
    )
    trained = 0
    for workspace in due:
        churn_model_train(workspace=workspace)
        trained += 1
    return trained
