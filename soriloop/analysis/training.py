"""Train the analysis heads from ../shared/data (see its README for licences and rules).

Run by `soriloop train`; never at run time. A 5% dev split is carved from each file by a
hash of the row id, so the figures in docs/analysis.md are reproducible.
"""

from __future__ import annotations

import gzip
import json
import random
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from soriloop.analysis.engine.features import BITS, featurize
from soriloop.analysis.engine.lang import detect_language
from soriloop.analysis.engine.pipeline import Analysis, tokens_for
from soriloop.analysis.engine.sentiment import LABELS, AbuseModel, SentimentModel

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RAW_PER_CLASS = 60_000
# KOTE's online comments (shopping and services among them) are the closest thing here to
# customer feedback; each counts this many times a movie review.
KOTE_WEIGHT = 5.0
KOTE_POSITIVE = {
    "기쁨", "행복", "감동/감탄", "고마움", "즐거움/신남", "환영/호의", "안심/신뢰", "뿌듯함",
    "흐뭇함(귀여움/예쁨)", "존경", "편안/쾌적", "기대감",
}  # fmt: skip
KOTE_NEGATIVE = {
    "불평/불만", "화남/분노", "안타까움/실망", "짜증", "어이없음", "한심함", "의심/불신",
    "증오/혐오", "지긋지긋", "역겨움/징그러움", "절망", "힘듦/지침", "재미없음", "귀찮음",
    "서러움", "당황/난처", "불안/걱정",
}  # fmt: skip


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    lang: str
    weight: float = 1.0


def kote_label(emotions: list[str]) -> str | None:
    """Sentiment from KOTE's raters' emotions: a clear majority of one side, or "없음"."""
    positive = len(set(emotions) & KOTE_POSITIVE)
    negative = len(set(emotions) & KOTE_NEGATIVE)
    if "없음" in emotions and positive + negative <= 1:
        return "neutral"
    if positive >= 2 * max(negative, 1):
        return "positive"
    if negative >= 2 * max(positive, 1):
        return "negative"
    return None


def is_dev(row_id: str) -> bool:
    return zlib.crc32(row_id.encode()) % 20 == 0


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _raw_label(rating: int) -> str | None:
    if rating <= 3:
        return "negative"
    if rating in (5, 6):
        return "neutral"
    if rating >= 9:
        return "positive"
    return None


def sentiment_splits(data: Path) -> tuple[list[Example], dict[str, list[Example]]]:
    """Training examples and the named dev sets."""
    train: list[Example] = []
    dev: dict[str, list[Example]] = {
        "ko_binary": [],
        "ko_3class": [],
        "en_binary": [],
        "en_3class": [],
    }
    seen: set[str] = set()
    for row in _rows(data / "ko_sentiment_nsmc_train.jsonl"):
        example = Example(row["text"], row["label"], "ko")
        (dev["ko_binary"] if is_dev(row["id"]) else train).append(example)
        seen.add(row["text"])
    for row in _rows(data / "ko_sentiment3_movie_train.jsonl"):
        example = Example(row["text"], row["label"], "ko")
        (dev["ko_3class"] if is_dev(row["id"]) else train).append(example)
        seen.add(row["text"])
    rng = random.Random(7)  # noqa: S311 - a reproducible sample, not a secret
    pools: dict[str, list[Example]] = {label: [] for label in LABELS}
    for row in _rows(data / "ko_reviews_nsmc_raw.jsonl.gz"):
        label = _raw_label(int(row["rating"]))
        if label and row["text"] not in seen and not is_dev(row["id"]):
            pools[label].append(Example(row["text"], label, "ko"))
    for pool in pools.values():
        rng.shuffle(pool)
        train += pool[:RAW_PER_CLASS]
    for row in _rows(data / "ko_emotion_kote_train.jsonl"):
        label = kote_label(row["label"])
        if label and not is_dev(row["id"]):
            train.append(Example(row["text"], label, "ko", KOTE_WEIGHT))
    for row in _rows(data / "en_emotion_goemotions_train.jsonl"):
        groups = set(row["sentiment_group"]) - {"ambiguous"}
        if len(groups) != 1:
            continue
        example = Example(row["text"], groups.pop(), "en")
        (dev["en_3class"] if is_dev(row["id"]) else train).append(example)
    for row in _rows(data / "en_sentiment_imdb_sentences.jsonl"):
        example = Example(row["text"], row["label"], "en")
        (dev["en_binary"] if is_dev(row["id"]) else train).append(example)
    return train, dev


def vectorize(texts: list[str]) -> Any:
    """A CSR matrix of the engine's own features (so training and prediction agree)."""
    from scipy.sparse import csr_matrix

    languages = [detect_language(t).language for t in texts]
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for start in range(0, len(texts), 5000):
        chunk = texts[start : start + 5000]
        for offset, (text, tokens) in enumerate(
            zip(chunk, tokens_for(chunk, languages[start : start + 5000]), strict=True)
        ):
            features = featurize(text, tokens)
            rows += [start + offset] * len(features.indices)
            cols += features.indices
            vals += features.values
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << BITS), dtype=np.float32)


def _fit_linear(
    train: list[Example], y: np.ndarray, *, alpha: float, epochs: int
) -> tuple[np.ndarray, np.ndarray]:
    """SGD logistic regression over the engine's features; returns (weights, biases)."""
    from sklearn.linear_model import SGDClassifier

    x = vectorize([e.text for e in train])
    classifier = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=epochs,
        tol=None,
        class_weight="balanced",
        random_state=7,
    )
    classifier.fit(x, y, sample_weight=np.array([e.weight for e in train]))
    return classifier.coef_.astype(np.float32), classifier.intercept_.astype(np.float32)


def fit_sentiment(train: list[Example], *, alpha: float = 5e-7, epochs: int = 15) -> SentimentModel:
    y = np.array([LABELS.index(e.label) for e in train])
    weights, bias = _fit_linear(train, y, alpha=alpha, epochs=epochs)
    return SentimentModel(weights, bias, f"sentiment-hash{BITS}-sgd-{time.strftime('%Y%m%d')}")


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall, F1 and support from the counts of one class."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def scores(gold: list[str], predicted: list[str], labels: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix."""
    confusion: dict[str, Counter[str]] = {g: Counter() for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        confusion.setdefault(g, Counter())[p] += 1
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = confusion.get(label, Counter())[label]
        fp = sum(confusion[g][label] for g in confusion if g != label)
        fn = sum(confusion.get(label, Counter()).values()) - tp
        per_class[label] = prf(tp, fp, fn)
    n = len(gold)
    return {
        "n": n,
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / n, 4)
        if n
        else 0.0,
        "macro_f1": round(sum(c["f1"] for c in per_class.values()) / len(labels), 4)
        if labels
        else 0.0,
        "per_class": per_class,
        "confusion": {g: {p: confusion[g][p] for p in labels} for g in labels},
    }


def multilabel_report(
    gold: list[set[str]], predicted: list[set[str]], classes: list[str]
) -> dict[str, Any]:
    """Per-class precision / recall / F1 over label sets, exact-match accuracy, macro-F1 over
    the classes that occur in the gold labels."""
    per_class = {}
    for kind in classes:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if kind in g and kind in p)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if kind not in g and kind in p)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if kind in g and kind not in p)
        per_class[kind] = prf(tp, fp, fn)
    present = [k for k in classes if per_class[k]["support"]]
    restricted = [
        (g & set(classes), p & set(classes)) for g, p in zip(gold, predicted, strict=True)
    ]
    return {
        "n": len(gold),
        "accuracy": round(sum(g == p for g, p in restricted) / len(gold), 4) if gold else 0.0,
        "macro_f1": round(sum(per_class[k]["f1"] for k in present) / len(present), 4)
        if present
        else 0.0,
        "per_class": per_class,
        "confusion": None,
    }


def score_sentiment(gold: list[str], results: list[Analysis]) -> dict[str, Any]:
    """Score predictions against gold labels: a file without "neutral" is a binary task
    (the prediction chooses between positive and negative only), else a 3-class one."""
    if "neutral" not in gold:
        predicted = [
            "positive"
            if a.sentiment.probabilities[2] >= a.sentiment.probabilities[0]
            else "negative"
            for a in results
        ]
        return scores(gold, predicted, ["negative", "positive"])
    return scores(gold, [a.sentiment.label for a in results], list(LABELS))


def abuse_splits(data: Path) -> tuple[list[Example], list[Example]]:
    train: list[Example] = []
    dev: list[Example] = []
    for row in _rows(data / "ko_abuse_curse_train.jsonl"):
        example = Example(row["text"], row["label"], "ko")
        (dev if is_dev(row["id"]) else train).append(example)
    return train, dev


def fit_abuse(train: list[Example], *, alpha: float = 1e-5, epochs: int = 30) -> AbuseModel:
    y = np.array([1 if e.label == "abusive" else 0 for e in train])
    weights, bias = _fit_linear(train, y, alpha=alpha, epochs=epochs)
    return AbuseModel(weights, bias, f"abuse-hash{BITS}-sgd-{time.strftime('%Y%m%d')}")
