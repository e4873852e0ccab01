"""Adapt analysis to one workspace: people's corrections and the records' own scores (stars,
CSAT, NPS, CES) are labels in the workspace's own language and domain.

Sentiment: the shipped head is fine-tuned on the workspace's distinct labelled texts (one
example per normalised text), held out per class by a hash of the text, and switched in only
when it is not worse than the shipped head on the held-out texts and on the team's
customer-service dev sets (``cxdev.py``). Topics: each topic's centroid moves towards the
records people put into it and away from those they took it off (Rocchio); records are split
by a hash of their text, and the taught topics are switched in only when not worse on dev (macro-F1, then
accuracy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.analysis.cxdev import DevSetsMissing, cx_scores
from soriloop.analysis.engine.embed import DIMENSIONS, ENCODER, Encoder, embed
from soriloop.analysis.engine.features import Features, featurize
from soriloop.analysis.engine.heads import LinearHead, fine_tuned
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pii import find_pii, redact
from soriloop.analysis.engine.pipeline import TextIn, analyze, tokens_for
from soriloop.analysis.engine.sentiment import LABELS, SentimentModel
from soriloop.analysis.engine.store import MODELS, ModelStore
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

MIN_PER_CLASS = 15  # distinct labelled texts of each sentiment class before adapting
MIN_DEV_PER_CLASS = 3  # of them held out for dev
DEV_SHARE = 0.2
MIN_TOPIC_EXAMPLES = 20  # records with corrected topics
MIN_TOPIC_DEV = 5
CORRECTION_WEIGHT = 3.0  # a person's word counts more than a score
Scores = dict[str, Any]  # {"n", "accuracy", "macro_f1"}
# how a head learns from examples (engine.heads.fine_tuned): (weights, biases) after it
FineTune = Callable[
    [LinearHead, Sequence[tuple[Features, int, float]]], tuple[np.ndarray, np.ndarray]
]
# how topics learn from lessons (engine.topics.taught)
Teach = Callable[[Sequence[CompiledTopic], Mapping[str, Lesson]], list[CompiledTopic]]


@dataclass(frozen=True)
class Labelled:
    key: str  # the normalised text: one example per distinct text
    text: str
    label: str
    weight: float
    source: str  # "correction" | "score"


@dataclass(frozen=True)
class LabelledSet:
    examples: list[Labelled]
    records: int  # labelled records before deduplication
    conflicting: int  # distinct texts dropped because their labels disagree
    unconfirmed: int  # scored records left out: their score scale was only guessed


def normalised(text: str) -> str:
    """The text as deduplication compares it: NFKC, lower case, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def scale_unconfirmed() -> Q:
    """Records whose score scale nobody confirmed (an import that only guessed it, say 1-10
    for a 1-5 star column): their scores are no labels. The one place that knows the field."""
    return Q(metadata__score_scale_confirmed=False)


def _score_label(kind: str, score: float) -> str | None:
    """A weak label from the record's own score; the middle of each scale says nothing."""
    if kind in ("stars", "csat"):
        return "negative" if score <= 2 else "positive" if score >= 4 else None
    if kind == "nps":
        return "negative" if score <= 6 else "positive" if score >= 9 else None
    if kind == "ces":
        return "negative" if score <= 2 else "positive" if score >= 6 else None
    return None


def _latest_corrections(workspace: Workspace) -> dict[int, str]:
    corrected: dict[int, str] = {}
    for feedback_id, value in (
        Correction.objects.filter(workspace=workspace, field="sentiment")
        .order_by("created_at", "id")
        .values_list("feedback_id", "value")
    ):
        corrected[feedback_id] = value  # the latest wins
    return corrected


def labelled_records(workspace: Workspace) -> LabelledSet:
    """One example per distinct normalised text: the label people gave it, else the one its
    records' confirmed scores give it; a text whose labels disagree is left out."""
    corrected = _latest_corrections(workspace)
    live = Feedback.objects.filter(workspace=workspace, deleted_at__isnull=True).exclude(text="")
    scored = live.filter(score__isnull=False).exclude(score_kind="")
    unconfirmed = set(scored.filter(scale_unconfirmed()).values_list("id", flat=True))
    people = Correction.objects.filter(workspace=workspace, field="sentiment")
    records = live.filter(Q(pk__in=people.values("feedback_id")) | Q(pk__in=scored.values("id")))
    # per distinct text: its first wording, and the labels given by people and by scores
    texts: dict[str, tuple[str, set[str], set[str]]] = {}
    count = 0
    rows = records.order_by("id").values_list("id", "text", "score_kind", "score")
    for pk, text, kind, score in rows.iterator(chunk_size=2000):
        _first, by_people, by_scores = texts.setdefault(normalised(text), (text, set(), set()))
        if label := corrected.get(pk):
            by_people.add(label)
        elif pk not in unconfirmed and score is not None and (weak := _score_label(kind, score)):
            by_scores.add(weak)
        else:
            continue
        count += 1
    examples = []
    for key, (text, by_people, by_scores) in texts.items():
        labels = by_people or by_scores  # a person's word beats a score
        if len(labels) == 1:
            source, weight = ("correction", CORRECTION_WEIGHT) if by_people else ("score", 1.0)
            examples.append(Labelled(key, text, next(iter(labels)), weight, source))
    conflicting = sum(len(p or s) > 1 for _t, p, s in texts.values())
    return LabelledSet(examples, count, conflicting, len(unconfirmed))


def _rank(key: str) -> bytes:
    return hashlib.sha256(f"dev-{key}".encode()).digest()


def sentiment_split(examples: list[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    """(train, dev): of each class about DEV_SHARE of its distinct texts, at least
    MIN_DEV_PER_CLASS, chosen by a hash of the text (stable, and a text is in one side only)."""
    train: list[Labelled] = []
    dev: list[Labelled] = []
    for label in LABELS:
        group = sorted((e for e in examples if e.label == label), key=lambda e: _rank(e.key))
        held = max(MIN_DEV_PER_CLASS, round(len(group) * DEV_SHARE))
        dev += group[:held]
        train += group[held:]
    return train, dev


def _features(texts: list[str]) -> list[Features]:
    """The engine's features of each text, as the analysis computes them."""
    tokens = tokens_for(texts, [detect_language(t).language for t in texts])
    return [featurize(text, toks) for text, toks in zip(texts, tokens, strict=True)]


def _dev_scores(
    model: SentimentModel, dev: list[Labelled], encoder: Encoder, models: ModelStore
) -> Scores:
    items = [TextIn(e.text) for e in dev]
    results = analyze(items, model=model, meaning=True, encoder=encoder, models=models)
    found = score_sentiment([e.label for e in dev], results)
    return {"n": found["n"], "accuracy": found["accuracy"], "macro_f1": found["macro_f1"]}


def adapted_model(workspace_id: int) -> WorkspaceModel | None:
    """The workspace's adapted sentiment head (the last one that passed), used or not."""
    return (
        WorkspaceModel.objects.filter(workspace_id=workspace_id, kind="sentiment", active=True)
        .order_by("-created_at")
        .first()
    )


def current_model(workspace_id: int, *, models: ModelStore = MODELS) -> SentimentModel:
    """The head of ``models`` that analyses the workspace's records: its adapted one, unless
    an admin chose the shipped one (or there is none)."""
    shipped = AnalysisSettings.objects.filter(sentiment_model="shipped")
    active = (
        WorkspaceModel.objects.filter(workspace_id=workspace_id, kind="sentiment", active=True)
        .exclude(workspace_id__in=shipped.values("workspace_id"))
        .order_by("-created_at")
        .values_list("path", flat=True)
        .first()
    )
    if active and Path(active).exists():
        return models.sentiment_file(Path(active))
    return models.sentiment()


def _not_worse(after: Scores, before: Scores) -> bool:
    return (after["macro_f1"], after["accuracy"]) >= (before["macro_f1"], before["accuracy"])


def _too_few(labelled: LabelledSet, dev: list[Labelled]) -> dict[str, Any] | None:
    """Why the labelled set is too small to learn from (``why``, ``short``, ``reason``), or
    None."""
    counts = {label: sum(e.label == label for e in labelled.examples) for label in LABELS}
    short = [label for label in LABELS if counts[label] < MIN_PER_CLASS]
    if short:
        have = ", ".join(f"{label} {counts[label]}" for label in short)
        reason = f"too few distinct records: needs {MIN_PER_CLASS} of each class ({have})"
        return {"why": "too_few", "short": short, "reason": reason}
    held = {label: sum(e.label == label for e in dev) for label in LABELS}
    if short := [label for label in LABELS if held[label] < MIN_DEV_PER_CLASS]:
        reason = f"too few held-out records: needs {MIN_DEV_PER_CLASS} of each class"
        return {"why": "too_few_dev", "short": short, "reason": reason}
    return None


def adapt_sentiment(
    *,
    workspace: Workspace,
    fine_tune: FineTune = fine_tuned,
    encoder: Encoder = ENCODER,
    models: ModelStore = MODELS,
) -> dict[str, Any]:
    """Fine-tune the shipped head of ``models`` on the workspace's distinct labelled texts
    (by ``fine_tune``); switch it in only when it is not worse than the shipped head on the
    workspace's held-out texts and on each customer-service dev set (both read with meaning,
    by ``encoder``). Returns a report (``switched_in``, else ``reason``)."""
    labelled = labelled_records(workspace)
    train, dev = sentiment_split(labelled.examples)
    report: dict[str, Any] = {
        "workspace": workspace.pk,
        "records": labelled.records,
        "examples": len(labelled.examples),
        "classes": {label: sum(e.label == label for e in labelled.examples) for label in LABELS},
        "from_corrections": sum(e.source == "correction" for e in labelled.examples),
        "conflicting": labelled.conflicting,
        "unconfirmed_scale": labelled.unconfirmed,
        "train": len(train),
        "dev": len(dev),
        "switched_in": False,
    }
    AnalysisSettings.objects.update_or_create(
        workspace=workspace, defaults={"adapted_at": timezone.now()}
    )
    if refused := _too_few(labelled, dev):
        return report | refused
    shipped = models.sentiment()
    try:
        cx_before = cx_scores(shipped, remember=True, encoder=encoder, models=models)
    except DevSetsMissing as exc:
        reason = f"the customer-service dev sets are missing: {exc}"
        return report | {"why": "no_cx_dev", "reason": reason}
    started = time.perf_counter()
    model = _fine_tuned(shipped, train, workspace, fine_tune)
    report |= _compared(shipped, model, dev, cx_before, encoder, models)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if report["worse_on"]:
        reason = (
            f"the adapted head scored worse than the shipped one on {', '.join(report['worse_on'])}"
        )
        return report | {"why": "worse", "reason": reason}
    folder = settings.DATA_DIR / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.version}.npz"
    model.save(path)
    _save_model(
        workspace, "sentiment", model.version, path, len(train), len(dev),
        report["before"], report["after"],
    )  # fmt: skip
    if analysis_settings_of(workspace).sentiment_model == "shipped":
        reason = "an admin chose the shipped model; the adapted one waits on Settings → Analysis"
        return report | {"why": "kept_shipped", "reason": reason}
    return report | {"switched_in": True}


def _fine_tuned(
    shipped: SentimentModel, train: list[Labelled], workspace: Workspace, fine_tune: FineTune
) -> SentimentModel:
    """The shipped head after a few epochs on the workspace's training texts. Only the
    weights of the words they use move; the biases stay the shipped ones: tuned on 120 Korean
    texts they moved English customer-service macro-F1 from 0.43 to 0.30, a shift of the prior
    reaching texts nothing in the workspace resembles."""
    features = _features([e.text for e in train])
    weights, _bias = fine_tune(
        shipped,
        [(f, LABELS.index(e.label), e.weight) for e, f in zip(train, features, strict=True)],
    )
    version = f"{shipped.version}+ws{workspace.pk}-{timezone.now():%Y%m%d%H%M%S}"
    return SentimentModel(weights, shipped.bias.copy(), version)


def _compared(
    shipped: SentimentModel,
    model: SentimentModel,
    dev: list[Labelled],
    cx_before: dict[str, Scores],
    encoder: Encoder,
    models: ModelStore,
) -> dict[str, Any]:
    """Both heads' scores on the workspace's held-out texts and on each customer-service dev
    set, and where the new one is worse (``worse_on``: "workspace", "cx-ko", "cx-en")."""
    before = _dev_scores(shipped, dev, encoder, models)
    after = _dev_scores(model, dev, encoder, models)
    cx_after = cx_scores(model, encoder=encoder, models=models)
    worse = [] if _not_worse(after, before) else ["workspace"]
    worse += [f"cx-{lang}" for lang in cx_before if not _not_worse(cx_after[lang], cx_before[lang])]
    return {
        "before": before, "after": after, "cx_before": cx_before, "cx_after": cx_after,
        "model": model.version, "accepted": not worse, "worse_on": worse,
    }  # fmt: skip


def analysis_settings_of(workspace: Workspace) -> AnalysisSettings:
    found, _created = AnalysisSettings.objects.get_or_create(workspace=workspace)
    return found


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


def adapt_topics(
    *, workspace: Workspace, teach: Teach = taught, encoder: Encoder = ENCODER
) -> dict[str, Any]:
    """Teach the taxonomy's centroids from people's topic corrections (by ``teach``, records
    and topics embedded by ``encoder``); compare the current and the taught topics on dev and
    switch in only if not worse; returns a report."""
    labelled = topic_labelled(workspace)
    report: dict[str, Any] = {"workspace": workspace.pk, "examples": len(labelled)}
    texts = [text for _, text, _ in labelled]
    examples = [
        (pk, (text, features, vector, gold))
        for (pk, text, gold), features, vector in zip(
            labelled, _features(texts), embed(texts, encoder=encoder), strict=True
        )
    ]
    # held out by a hash of the text, not the record id: the same records split the same way
    # whatever ids the database gave them
    train = [e for _pk, e in examples if _rank(normalised(e[0]))[0] >= 52]
    dev = [e for _pk, e in examples if _rank(normalised(e[0]))[0] < 52]
    report.update(train=len(train), dev=len(dev))
    if len(examples) < MIN_TOPIC_EXAMPLES or len(dev) < MIN_TOPIC_DEV:
        need = f"needs {MIN_TOPIC_EXAMPLES} records with corrected topics, {MIN_TOPIC_DEV} for dev"
        return report | {"switched_in": False, "reason": need}
    base = compiled_topics(workspace=workspace, adapted=False, meaning=True, encoder=encoder)
    keys = [t.spec.key for t in base]
    current = compiled_topics(workspace=workspace, meaning=True, encoder=encoder)
    before = _topic_scores(current, dev, keys)
    lessons = _lessons(base, train)
    after = _topic_scores(teach(base, lessons), dev, keys)
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
