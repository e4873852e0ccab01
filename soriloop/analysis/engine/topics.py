"""Topics from a workspace's own taxonomy: keywords and example sentences, no training.

Each topic is scored by its keywords found in the text and by the similarity of the text's
features to its examples' centroid; several topics may hold; none confident means
"unassigned". The same features as sentiment, so Korean without spaces and slang match.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from soriloop.analysis.engine.features import Features, featurize
from soriloop.analysis.engine.heads import Evidence
from soriloop.analysis.engine.tokens import Token

THRESHOLD = 0.35


@dataclass(frozen=True)
class TopicSpec:
    key: str
    name: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicMatch:
    key: str
    name: str
    confidence: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class CompiledTopic:
    spec: TopicSpec
    keywords: tuple[str, ...]  # lower-cased, spaces removed
    centroid: dict[int, float]


def _centroid(vectors: Sequence[Features]) -> dict[int, float]:
    total: dict[int, float] = {}
    for vector in vectors:
        add_vector(total, vector)
    norm = math.sqrt(sum(v * v for v in total.values())) or 1.0
    return {k: v / norm for k, v in total.items()}


def compile_topics(
    specs: Sequence[TopicSpec], example_tokens: Sequence[Sequence[list[Token]]]
) -> list[CompiledTopic]:
    """Prepare a taxonomy once; ``example_tokens`` holds each topic's examples' tokens."""
    compiled = []
    for spec, tokens in zip(specs, example_tokens, strict=True):
        vectors = [featurize(text, toks) for text, toks in zip(spec.examples, tokens, strict=True)]
        keys = tuple(dict.fromkeys("".join(k.lower().split()) for k in spec.keywords if k.strip()))
        compiled.append(CompiledTopic(spec, keys, _centroid(vectors) if vectors else {}))
    return compiled


@dataclass(frozen=True)
class Lesson:
    """What people's corrections taught one topic: the summed feature vectors of the records
    they put into it and of the records it was wrongly given."""

    positive: Mapping[int, float]
    negative: Mapping[int, float]
    n_positive: int
    n_negative: int


def save_lessons(path: Path, lessons: Mapping[str, Lesson]) -> None:
    """Lessons as JSON: hashed feature indices and sums, never the corrected texts."""
    data = {
        key: {
            "positive": [[k, round(v, 6)] for k, v in sorted(lesson.positive.items())],
            "negative": [[k, round(v, 6)] for k, v in sorted(lesson.negative.items())],
            "n_positive": lesson.n_positive,
            "n_negative": lesson.n_negative,
        }
        for key, lesson in lessons.items()
    }
    path.write_text(json.dumps({"topics": data}), encoding="utf-8")


def load_lessons(path: Path) -> dict[str, Lesson]:
    data = json.loads(path.read_text(encoding="utf-8"))["topics"]
    return {
        key: Lesson(
            {int(k): float(v) for k, v in value["positive"]},
            {int(k): float(v) for k, v in value["negative"]},
            int(value["n_positive"]),
            int(value["n_negative"]),
        )
        for key, value in data.items()
    }


def add_vector(total: dict[int, float], features: Features) -> None:
    for index, value in zip(features.indices, features.values, strict=True):
        total[index] = total.get(index, 0.0) + value


# Rocchio's weights for the examples' centroid, the corrected-in mean and the wrongly-given mean
# (the textbook values from relevance feedback).
ALPHA, BETA, GAMMA = 1.0, 0.75, 0.15


def taught(topics: Sequence[CompiledTopic], lessons: Mapping[str, Lesson]) -> list[CompiledTopic]:
    """The topics with their centroids moved towards what people put into them and away from
    what they took out of them (Rocchio); keywords are left as the taxonomy says."""
    found = []
    for topic in topics:
        lesson = lessons.get(topic.spec.key)
        if lesson is None:
            found.append(topic)
            continue
        moved = {k: ALPHA * v for k, v in topic.centroid.items()}
        for vector, weight in (
            (lesson.positive, BETA / max(lesson.n_positive, 1)),
            (lesson.negative, -GAMMA / max(lesson.n_negative, 1)),
        ):
            for index, value in vector.items():
                moved[index] = moved.get(index, 0.0) + weight * value
        kept = {k: v for k, v in moved.items() if v > 0}
        norm = math.sqrt(sum(v * v for v in kept.values())) or 1.0
        found.append(replace(topic, centroid={k: v / norm for k, v in kept.items()}))
    return found


def _keyword_hits(text: str, keywords: tuple[str, ...]) -> list[Evidence]:
    lowered = text.lower()
    compact_positions = [i for i, ch in enumerate(lowered) if not ch.isspace()]
    compact = "".join(lowered[i] for i in compact_positions)
    hits = []
    for keyword in keywords:
        at = compact.find(keyword)
        if at >= 0:
            start, end = compact_positions[at], compact_positions[at + len(keyword) - 1] + 1
            hits.append(Evidence(start, end, text[start:end], 1.0))
    return hits


MARGIN = 0.05  # how close to the first topic an unnamed second one must be (bench/topic_eval.py)


def assign_topics(
    text: str, features: Features, topics: Sequence[CompiledTopic], *, limit: int = 3
) -> tuple[TopicMatch, ...]:
    """The confident topics of ``text``, best first (empty: unassigned)."""
    found = []
    for topic in topics:
        hits = _keyword_hits(text, topic.keywords)
        similarity = sum(
            topic.centroid.get(i, 0.0) * v
            for i, v in zip(features.indices, features.values, strict=True)
        )
        keyword_score = min(1.0, 0.55 + 0.15 * (len(hits) - 1)) if hits else 0.0
        confidence = (
            max(keyword_score, min(1.0, similarity * 1.6))
            if hits
            else min(1.0, similarity * 1.6) * 0.8
        )
        if confidence >= THRESHOLD:
            found.append(
                TopicMatch(topic.spec.key, topic.spec.name, round(confidence, 4), tuple(hits[:3]))
            )
    found.sort(key=lambda m: -m.confidence)
    # Another topic must be named (a keyword) or nearly as clear as the first: a weak echo of
    # the examples is noise, not a second topic.
    return tuple(
        m for m in found[:limit] if m.evidence or m.confidence >= found[0].confidence - MARGIN
    )
