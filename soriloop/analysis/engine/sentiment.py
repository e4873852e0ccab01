"""Text sentiment: a linear head over hashed features (the words), blended with a softmax head
over the sentence embedding (the meaning) when the text has one. Weights are trained by
`soriloop train`.

The hashed head knows Korean slang and movie-review wording; the meaning head, trained on
customer-service messages, knows that "refund not received" and "택배가 아직 안 왔어요" report
a problem in any wording, and carries what it learnt in English over to Korean (one embedding
space). Their probabilities are averaged with a weight per language chosen on the dev sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from soriloop.analysis.engine.features import Features
from soriloop.analysis.engine.heads import Evidence, LinearHead

LABELS = ("negative", "neutral", "positive")
# the type rules' cues (engine/kinds.py), inputs of the meaning head
CUE_NAMES = ("question", "suggestion", "bug", "problem")
CUES = len(CUE_NAMES)


@dataclass(frozen=True)
class Sentiment:
    label: str
    score: float  # p(positive) - p(negative), in [-1, 1]
    confidence: float  # probability of the label
    probabilities: tuple[float, float, float]  # negative, neutral, positive
    evidence: tuple[Evidence, ...]


class MeaningHead:
    """Softmax over the unit sentence embedding and the text's type cues (question,
    suggestion, bug, problem: 0 or 1 each): weights (3, dims + cues), biases (3,). Its share of the
    blend is ``blend[language]`` (``blend["*"]`` for other languages) times the probability
    that the text is customer-service language rather than a movie review or a social post
    (a logistic ``domain`` gate over the embedding), so Korean movie reviews keep the hashed
    head they are read best by."""

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        blend: dict[str, float],
        version: str,
        domain: np.ndarray | None = None,
    ) -> None:
        if weights.ndim != 2 or weights.shape[0] != len(LABELS):
            raise ValueError(f"expected weights of shape (3, dims), got {weights.shape}")
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.blend = blend
        self.version = version
        self.domain = None if domain is None else domain.astype(np.float32)  # dims + 1 (bias)

    @classmethod
    def load(cls, path: Path) -> Self:
        with np.load(path) as data:
            blend = dict(zip(data["blend_keys"].tolist(), data["blend"].tolist(), strict=True))
            domain = data["domain"] if "domain" in data.files and data["domain"].size else None
            return cls(data["weights"], data["bias"], blend, str(data["version"]), domain)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights,
            bias=self.bias,
            blend_keys=np.array(list(self.blend)),
            blend=np.array(list(self.blend.values()), np.float32),
            version=np.array(self.version),
            domain=np.zeros(0, np.float32) if self.domain is None else self.domain,
        )

    @property
    def dims(self) -> int:
        return int(self.weights.shape[1]) - CUES

    def probabilities(self, vector: np.ndarray, cues: Sequence[float]) -> np.ndarray:
        inputs = np.concatenate([vector.astype(np.float32), np.asarray(cues, np.float32)])
        logits = self.weights @ inputs + self.bias
        logits -= logits.max()
        probs = np.exp(logits)
        return np.asarray(probs / probs.sum(), dtype=np.float32)

    def share(self, language: str, vector: np.ndarray) -> float:
        base = self.blend.get(language, self.blend.get("*", 0.0))
        if self.domain is None or base == 0.0:
            return base
        gate = float(self.domain[:-1] @ vector.astype(np.float32) + self.domain[-1])
        return base / (1.0 + float(np.exp(-gate)))


@dataclass(frozen=True)
class Meaning:
    """What the meaning head reads of one text."""

    head: MeaningHead
    vector: np.ndarray  # the unit sentence embedding
    language: str
    cues: tuple[float, ...]  # CUE_NAMES, 0 or 1 each


class SentimentModel(LinearHead):
    """Three classes: negative, neutral, positive."""

    def predict(
        self,
        text: str,
        features: Features,
        *,
        evidence: int = 3,
        meaning: Meaning | None = None,
    ) -> Sentiment:
        """The label of ``text``; with ``meaning`` the hashed head's probabilities are blended
        with the meaning head's."""
        if not features.indices:
            return Sentiment("neutral", 0.0, 1.0, (0.0, 1.0, 0.0), ())
        columns, value = self.columns(features)
        probs = self.probabilities_of(columns, value)
        if meaning is not None and float(np.abs(meaning.vector).sum()) > 0:
            share = meaning.head.share(meaning.language, meaning.vector)
            read = meaning.head.probabilities(meaning.vector, meaning.cues)
            probs = (1.0 - share) * probs + share * read
        best = int(probs.argmax())
        label = LABELS[best]
        found: tuple[Evidence, ...] = ()
        if label != "neutral":
            others = [c for c in range(3) if c != best]
            # how much each feature pushed towards the label rather than the other two
            push = columns[best] * value - columns[others].mean(axis=0) * value
            found = self.evidence(text, features, push, evidence)
        return Sentiment(
            label=label,
            score=round(float(probs[2] - probs[0]), 4),
            confidence=round(float(probs[best]), 4),
            probabilities=(
                round(float(probs[0]), 4),
                round(float(probs[1]), 4),
                round(float(probs[2]), 4),
            ),
            evidence=found,
        )


@dataclass(frozen=True)
class Abuse:
    abusive: bool
    confidence: float  # probability of abusive
    evidence: tuple[Evidence, ...]


class AbuseModel(LinearHead):
    """Binary: is the text abusive or profane?"""

    THRESHOLD = 0.5

    def predict(self, text: str, features: Features) -> Abuse:
        probability = float(self.probabilities(features)[1])
        found: tuple[Evidence, ...] = ()
        if probability >= self.THRESHOLD and features.indices:
            columns, value = self.columns(features)
            found = self.evidence(text, features, columns[0] * value)
        return Abuse(probability >= self.THRESHOLD, round(probability, 4), found)
