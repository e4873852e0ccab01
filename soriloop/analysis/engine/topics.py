"""Topics from a workspace's own taxonomy: keywords and example sentences, no training.

Each topic is scored by its keywords found in the text and by the similarity of the text's
features to its examples' centroid; several topics may hold; none confident means
"unassigned". The same features as sentiment, so Korean without spaces and slang match.

Given the text's sentence embedding too, the topic's meaning (its examples' and names'
embedding centroid) carries most of the weight: Korean text then matches English examples and
"my card never came" matches "delivery" without a shared word (bench/topic_eval.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from soriloop.analysis.engine.embed import DIMENSIONS, ENCODER, Encoder, embed
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
    names: tuple[str, ...] = ()  # what people call it (Korean, English): part of its meaning


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
    # unit sentence-embedding centroid of the examples and names, when compiled with meaning
    meaning: np.ndarray | None = field(default=None, compare=False)


def _centroid(vectors: Sequence[Features]) -> dict[int, float]:
    total: dict[int, float] = {}
    for vector in vectors:
        add_vector(total, vector)
    norm = math.sqrt(sum(v * v for v in total.values())) or 1.0
    return {k: v / norm for k, v in total.items()}


def compile_topics(
    specs: Sequence[TopicSpec],
    example_tokens: Sequence[Sequence[list[Token]]],
    *,
    meaning: bool = False,
    encoder: Encoder = ENCODER,
) -> list[CompiledTopic]:
    """Prepare a taxonomy once; ``example_tokens`` holds each topic's examples' tokens. With
    ``meaning`` the examples and names are embedded by ``encoder`` too (for
    ``assign_topics(vector=...)``)."""
    compiled = []
    for spec, tokens in zip(specs, example_tokens, strict=True):
        vectors = [featurize(text, toks) for text, toks in zip(spec.examples, tokens, strict=True)]
        keys = tuple(dict.fromkeys("".join(k.lower().split()) for k in spec.keywords if k.strip()))
        compiled.append(CompiledTopic(spec, keys, _centroid(vectors) if vectors else {}))
    if meaning:
        compiled = with_meaning(compiled, encoder=encoder)
    return compiled


def with_meaning(
    topics: Sequence[CompiledTopic], *, encoder: Encoder = ENCODER
) -> list[CompiledTopic]:
    """The topics with their embedding centroids (examples and names; a topic with neither
    has none and is matched by keywords and features only)."""
    found = []
    for topic in topics:
        texts = [t for t in (*topic.spec.examples, *topic.spec.names) if t.strip()]
        if not texts:
            found.append(topic)
            continue
        centroid = embed(texts, encoder=encoder).mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        found.append(replace(topic, meaning=centroid))
    return found


@dataclass(frozen=True)
class Lesson:
    """What people's corrections taught one topic: the summed feature vectors (and sentence
    embeddings) of the records they put into it and of the records it was wrongly given."""

    positive: Mapping[int, float]
    negative: Mapping[int, float]
    n_positive: int
    n_negative: int
    meaning_positive: np.ndarray | None = field(default=None, compare=False)
    meaning_negative: np.ndarray | None = field(default=None, compare=False)


def _dense(vector: np.ndarray | None) -> list[float] | None:
    return None if vector is None else [round(float(v), 6) for v in vector]


def _array(values: list[float] | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, np.float32)


def save_lessons(path: Path, lessons: Mapping[str, Lesson]) -> None:
    """Lessons as JSON: hashed feature indices and sums and embedding sums, never the
    corrected texts."""
    data = {
        key: {
            "positive": [[k, round(v, 6)] for k, v in sorted(lesson.positive.items())],
            "negative": [[k, round(v, 6)] for k, v in sorted(lesson.negative.items())],
            "n_positive": lesson.n_positive,
            "n_negative": lesson.n_negative,
            "meaning_positive": _dense(lesson.meaning_positive),
            "meaning_negative": _dense(lesson.meaning_negative),
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
            _array(value.get("meaning_positive")),
            _array(value.get("meaning_negative")),
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
        found.append(
            replace(
                topic,
                centroid={k: v / norm for k, v in kept.items()},
                meaning=_moved_meaning(topic.meaning, lesson),
            )
        )
    return found


def _moved_meaning(meaning: np.ndarray | None, lesson: Lesson) -> np.ndarray | None:
    """The same Rocchio step in the embedding space (no clipping: its axes have no sign)."""
    if lesson.meaning_positive is None and lesson.meaning_negative is None:
        return meaning
    moved = np.zeros(DIMENSIONS, np.float32) if meaning is None else ALPHA * meaning
    if lesson.meaning_positive is not None and lesson.n_positive:
        moved = moved + BETA * lesson.meaning_positive / lesson.n_positive
    if lesson.meaning_negative is not None and lesson.n_negative:
        moved = moved - GAMMA * lesson.meaning_negative / lesson.n_negative
    norm = float(np.linalg.norm(moved))
    return moved / norm if norm else meaning


@dataclass(frozen=True)
class _Compact:
    """The text lower-cased without spaces, and where each of its characters came from."""

    text: str
    compact: str
    positions: list[int]

    @classmethod
    def of(cls, text: str) -> _Compact:
        lowered = text.lower()
        positions = [i for i, ch in enumerate(lowered) if not ch.isspace()]
        return cls(text, "".join(lowered[i] for i in positions), positions)


def _keyword_hits(text: _Compact, keywords: tuple[str, ...]) -> list[Evidence]:
    hits = []
    for keyword in keywords:
        at = text.compact.find(keyword)
        if at >= 0:
            start, end = text.positions[at], text.positions[at + len(keyword) - 1] + 1
            hits.append(Evidence(start, end, text.text[start:end], 1.0))
    return hits


MARGIN = 0.05  # how close to the first topic an unnamed second one must be (bench/topic_eval.py)
# With a sentence embedding: confidence = FEATURE_WEIGHT x feature similarity + (1 - it) x
# meaning, where meaning = (cosine - MEANING_FLOOR) x MEANING_SCALE, plus KEYWORD_BONUS when a
# keyword is in the text. Chosen on bench/topic_eval.py; flat around these values (0.70-0.71).
FEATURE_WEIGHT = 0.2
MEANING_FLOOR, MEANING_SCALE = 0.1, 2.0
KEYWORD_BONUS = 0.2


def _confidence(
    hits: int, similarity: float, topic: CompiledTopic, vector: np.ndarray | None
) -> float:
    lexical = min(1.0, similarity * 1.6)
    if vector is not None and topic.meaning is not None:
        cosine = float(topic.meaning @ vector)
        meaning = min(1.0, max(0.0, (cosine - MEANING_FLOOR) * MEANING_SCALE))
        blended = FEATURE_WEIGHT * lexical + (1 - FEATURE_WEIGHT) * meaning
        return min(1.0, blended + (KEYWORD_BONUS if hits else 0.0))
    if hits:
        return max(min(1.0, 0.55 + 0.15 * (hits - 1)), lexical)
    return lexical * 0.8


def assign_topics(
    text: str,
    features: Features,
    topics: Sequence[CompiledTopic],
    *,
    limit: int = 3,
    vector: np.ndarray | None = None,
) -> tuple[TopicMatch, ...]:
    """The confident topics of ``text``, best first (empty: unassigned). ``vector`` is the
    text's unit sentence embedding, when it has been computed."""
    found = []
    compact = _Compact.of(text)
    values = dict(zip(features.indices, features.values, strict=True))
    for topic in topics:
        hits = _keyword_hits(compact, topic.keywords)
        # only the features the text shares with the centroid (a set intersection, in C)
        similarity = sum(
            [topic.centroid[i] * values[i] for i in values.keys() & topic.centroid.keys()]
        )
        confidence = _confidence(len(hits), similarity, topic, vector)
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
