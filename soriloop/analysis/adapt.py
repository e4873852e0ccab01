"""Adapt analysis to one workspace: people's corrections and the records' own scores (stars,
CSAT, NPS) are labels in the workspace's own language and domain.

Sentiment: the current head (the workspace's active one, else the shipped one) is fine-tuned
on the labelled records. Topics: each topic's centroid moves towards the records people put
into it and away from those they took it off (Rocchio). Either way records are split by id into
train (80%) and dev (20%), the current and the new model are scored on dev, and the new one is
switched in only when it scores at least as well (macro-F1, then accuracy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.analysis.engine.embed import DIMENSIONS, embed
from soriloop.analysis.engine.features import Features, featurize
from soriloop.analysis.engine.heads import fine_tuned
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pii import find_pii, redact
from soriloop.analysis.engine.pipeline import TextIn, analyze, sentiment_model, tokens_for
from soriloop.analysis.engine.sentiment import LABELS, SentimentModel
from soriloop.analysis.engine.topics import (
    CompiledTopic,
    Lesson,
    add_vector,
    assign_topics,
    save_lessons,
    taught,
)
from soriloop.analysis.models import AnalysisSettings, Correction, WorkspaceModel
from soriloop.analysis.schedule import Periodic
from soriloop.analysis.taxonomy import compiled_topics
from soriloop.analysis.training import multilabel_report, score_sentiment
from soriloop.feedback.models import Feedback

logger = logging.getLogger(__name__)

MIN_EXAMPLES = 40  # labelled records before adapting is worth it
MIN_DEV = 10
MIN_TOPIC_EXAMPLES = 20  # records with corrected topics
MIN_TOPIC_DEV = 5
CORRECTION_WEIGHT = 3.0  # a person's word counts more than a score


@dataclass(frozen=True)
class Labelled:
    feedback_id: int
    text: str
    label: str
    weight: float
    source: str  # "correction" | "score"


def _score_label(kind: str, score: float) -> str | None:
    """A weak label from the record's own score; the middle of each scale says nothing."""
    if kind in ("stars", "csat"):
        return "negative" if score <= 2 else "positive" if score >= 4 else None
    if kind == "nps":
        return "negative" if score <= 6 else "positive" if score >= 9 else None
    if kind == "ces":
        return "negative" if score <= 2 else "positive" if score >= 6 else None
    return None


def labelled_records(workspace: Workspace) -> list[Labelled]:
    corrected: dict[int, str] = {}
    for feedback_id, value in (
        Correction.objects.filter(workspace=workspace, field="sentiment")
        .order_by("created_at", "id")
        .values_list("feedback_id", "value")
    ):
        corrected[feedback_id] = value  # the latest wins
    found: list[Labelled] = []
    records = (
        Feedback.objects.filter(workspace=workspace, deleted_at__isnull=True)
        .exclude(text="")
        .values_list("id", "text", "score_kind", "score")
    )
    for pk, text, kind, score in records.iterator(chunk_size=2000):
        if pk in corrected:
            found.append(Labelled(pk, text, corrected[pk], CORRECTION_WEIGHT, "correction"))
        elif score is not None and (label := _score_label(kind, score)):
            found.append(Labelled(pk, text, label, 1.0, "score"))
    return found


def _is_dev(feedback_id: int) -> bool:
    return hashlib.sha256(f"dev-{feedback_id}".encode()).digest()[0] < 52  # ~20%


def _features(texts: list[str]) -> list[Features]:
    """The engine's features of each text, as the analysis computes them."""
    tokens = tokens_for(texts, [detect_language(t).language for t in texts])
    return [featurize(text, toks) for text, toks in zip(texts, tokens, strict=True)]


def _dev_scores(model: SentimentModel, dev: list[Labelled]) -> dict[str, Any]:
    results = analyze([TextIn(e.text) for e in dev], model=model)
    found = score_sentiment([e.label for e in dev], results)
    return {"n": found["n"], "accuracy": found["accuracy"], "macro_f1": found["macro_f1"]}


def current_model(workspace_id: int) -> SentimentModel:
    """The workspace's active head, else the shipped one."""
    active = (
        WorkspaceModel.objects.filter(workspace_id=workspace_id, kind="sentiment", active=True)
        .order_by("-created_at")
        .values_list("path", flat=True)
        .first()
    )
    if active and Path(active).exists():
        return _load(active)
    return sentiment_model()


@lru_cache(maxsize=16)
def _load(path: str) -> SentimentModel:
    return SentimentModel.load(Path(path))


def adapt_sentiment(*, workspace: Workspace) -> dict[str, Any]:
    """Fine-tune, compare on dev, switch in only if not worse; returns a report."""
    examples = labelled_records(workspace)
    train = [e for e in examples if not _is_dev(e.feedback_id)]
    dev = [e for e in examples if _is_dev(e.feedback_id)]
    report: dict[str, Any] = {
        "workspace": workspace.pk,
        "examples": len(examples),
        "from_corrections": sum(e.source == "correction" for e in examples),
        "train": len(train),
        "dev": len(dev),
    }
    AnalysisSettings.objects.update_or_create(
        workspace=workspace, defaults={"adapted_at": timezone.now()}
    )
    if len(examples) < MIN_EXAMPLES or len(dev) < MIN_DEV:
        report["switched_in"] = False
        report["reason"] = f"needs {MIN_EXAMPLES} labelled records with {MIN_DEV} for dev"
        return report
    base = current_model(workspace.pk)
    before = _dev_scores(base, dev)
    started = time.perf_counter()
    features = _features([e.text for e in train])
    weights, bias = fine_tuned(
        base,
        [(f, LABELS.index(e.label), e.weight) for e, f in zip(train, features, strict=True)],
    )
    version = f"{base.version.split('+ws')[0]}+ws{workspace.pk}-{timezone.now():%Y%m%d%H%M%S}"
    model = SentimentModel(weights, bias, version)
    after = _dev_scores(model, dev)
    better = (after["macro_f1"], after["accuracy"]) >= (before["macro_f1"], before["accuracy"])
    report.update(
        before=before, after=after, model=version, switched_in=better,
        seconds=round(time.perf_counter() - started, 1),
    )  # fmt: skip
    if not better:
        report["reason"] = "the adapted head scored worse on the workspace's dev records"
        return report
    folder = settings.DATA_DIR / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.npz"
    model.save(path)
    _save_model(workspace, "sentiment", version, path, len(train), len(dev), before, after)
    return report


def _save_model(
    workspace: Workspace, kind: str, version: str, path: Path,
    train: int, dev: int, before: dict[str, Any], after: dict[str, Any],
) -> None:  # fmt: skip
    """Record a new model of ``kind`` as the workspace's one in use."""
    with transaction.atomic():
        WorkspaceModel.objects.filter(workspace=workspace, kind=kind).update(active=False)
        WorkspaceModel.objects.create(
            workspace=workspace, kind=kind, version=version, path=str(path), active=True,
            train_examples=train, dev_examples=dev, dev_before=before, dev_after=after,
        )  # fmt: skip


def topic_labelled(workspace: Workspace) -> list[tuple[int, str, frozenset[str]]]:
    """(record id, text with personal data redacted, the topic keys a person gave it)."""
    corrected: dict[int, frozenset[str]] = {}
    corrections = Correction.objects.filter(workspace=workspace, field="topics")
    for feedback_id, value in corrections.order_by("created_at", "id").values_list(
        "feedback_id", "value"
    ):
        corrected[feedback_id] = frozenset(value)  # the latest wins
    records = Feedback.objects.filter(
        workspace=workspace,
        deleted_at__isnull=True,
        pk__in=corrections.values("feedback_id"),
    ).exclude(text="")
    found = []
    for pk, text in records.values_list("id", "text").iterator(chunk_size=2000):
        spans = find_pii(text)
        found.append((pk, redact(text, list(spans)) if spans else text, corrected[pk]))
    return found


TopicExample = tuple[str, Features, np.ndarray, frozenset[str]]  # text, features, vector, gold


def _topic_scores(
    topics: list[CompiledTopic], dev: list[TopicExample], keys: list[str]
) -> dict[str, Any]:
    predicted = [{m.key for m in assign_topics(t, f, topics, vector=v)} for t, f, v, _ in dev]
    found = multilabel_report([set(gold) for *_, gold in dev], predicted, keys)
    return {"n": found["n"], "accuracy": found["accuracy"], "macro_f1": found["macro_f1"]}


def _lessons(base: list[CompiledTopic], train: list[TopicExample]) -> dict[str, Lesson]:
    """Per topic, the records people put into it and those they took it off (that the
    taxonomy gave it), summed as features and as embeddings."""
    # per topic: [put in, taken off] as feature sums, embedding sums and counts
    sums: dict[str, tuple[list[dict[int, float]], list[np.ndarray], list[int]]] = {
        t.spec.key: ([{}, {}], [np.zeros(DIMENSIONS, np.float32) for _ in "pn"], [0, 0])
        for t in base
    }
    for text, features, vector, gold in train:
        given = {m.key for m in assign_topics(text, features, base, vector=vector)}
        for key, (sparse, dense, counts) in sums.items():
            side = 0 if key in gold else 1 if key in given else None
            if side is not None:
                add_vector(sparse[side], features)
                dense[side] += vector
                counts[side] += 1
    return {
        key: Lesson(sparse[0], sparse[1], counts[0], counts[1], dense[0], dense[1])
        for key, (sparse, dense, counts) in sums.items()
        if counts[0] or counts[1]
    }


def adapt_topics(*, workspace: Workspace) -> dict[str, Any]:
    """Teach the taxonomy's centroids from people's topic corrections; compare the current and
    the taught topics on dev and switch in only if not worse; returns a report."""
    labelled = topic_labelled(workspace)
    report: dict[str, Any] = {"workspace": workspace.pk, "examples": len(labelled)}
    texts = [text for _, text, _ in labelled]
    examples = [
        (pk, (text, features, vector, gold))
        for (pk, text, gold), features, vector in zip(
            labelled, _features(texts), embed(texts), strict=True
        )
    ]
    train = [e for pk, e in examples if not _is_dev(pk)]
    dev = [e for pk, e in examples if _is_dev(pk)]
    report.update(train=len(train), dev=len(dev))
    if len(examples) < MIN_TOPIC_EXAMPLES or len(dev) < MIN_TOPIC_DEV:
        need = f"needs {MIN_TOPIC_EXAMPLES} records with corrected topics, {MIN_TOPIC_DEV} for dev"
        return report | {"switched_in": False, "reason": need}
    base = compiled_topics(workspace=workspace, adapted=False, meaning=True)
    keys = [t.spec.key for t in base]
    before = _topic_scores(compiled_topics(workspace=workspace, meaning=True), dev, keys)
    lessons = _lessons(base, train)
    after = _topic_scores(taught(base, lessons), dev, keys)
    version = f"topics+ws{workspace.pk}-{timezone.now():%Y%m%d%H%M%S}"
    better = (after["macro_f1"], after["accuracy"]) >= (before["macro_f1"], before["accuracy"])
    report.update(
        before=before, after=after, model=version, switched_in=better,
        topics_taught=sorted(lessons),
    )  # fmt: skip
    if not better:
        report["reason"] = "the taught topics scored worse on the workspace's dev records"
        return report
    folder = settings.DATA_DIR / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.json"
    save_lessons(path, lessons)
    _save_model(workspace, "topics", version, path, len(train), len(dev), before, after)
    return report


def adapt_workspace(*, workspace: Workspace) -> dict[str, Any]:
    """Both adaptations, as ``soriloop train --workspace``, the worker and Settings → Analysis
    run them; the report is kept for the settings page."""
    report = {
        "sentiment": adapt_sentiment(workspace=workspace),
        "topics": adapt_topics(workspace=workspace),
    }
    AnalysisSettings.objects.update_or_create(
        workspace=workspace,
        defaults={"adapt_report": {"at": timezone.now().isoformat(), **report}},
    )
    return report


def _new_corrections(workspace: Workspace, since: dt.datetime | None) -> bool:
    fresh = Correction.objects.filter(workspace=workspace, field__in=("sentiment", "topics"))
    return (fresh.filter(created_at__gt=since) if since else fresh).exists()


def _adapt_logged(workspace: Workspace) -> None:
    logger.info("adapted workspace %s: %s", workspace.pk, adapt_workspace(workspace=workspace))


# Worker loop: every five minutes, adapt workspaces not adapted for ADAPT_SECONDS that have
# new sentiment or topic corrections since.
adapt_scan = Periodic(
    stamp="adapted_at",
    every=lambda: settings.ADAPT_SECONDS,
    has_news=_new_corrections,
    job=_adapt_logged,
    check=300,
)
