"""Topics from a workspace's own taxonomy: keywords and example sentences, no training.

Each topic is scored by its keywords found in the text and by the similarity of the text's
features to its examples' centroid; several topics may hold; none confident means
"unassigned". The same features as sentiment, so Korean without spaces and slang match.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
        for index, value in zip(vector.indices, vector.values, strict=True):
            total[index] = total.get(index, 0.0) + value
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
