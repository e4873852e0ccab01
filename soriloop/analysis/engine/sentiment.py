"""Text sentiment from a linear head over hashed features (weights trained by `soriloop train`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soriloop.analysis.engine.features import BITS, Features

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Evidence:
    start: int
    end: int
    text: str
    weight: float


@dataclass(frozen=True)
class Sentiment:
    label: str
    score: float  # p(positive) - p(negative), in [-1, 1]
    confidence: float  # probability of the label
    probabilities: tuple[float, float, float]  # negative, neutral, positive
    evidence: tuple[Evidence, ...]


class SentimentModel:
    """Weights [3, 2**BITS] and biases; loaded once per process from an .npz file."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, version: str) -> None:
        if weights.shape != (3, 1 << BITS):
            raise ValueError(f"expected weights of shape (3, {1 << BITS}), got {weights.shape}")
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.version = version

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        with np.load(path) as data:
            return cls(data["weights"], data["bias"], str(data["version"]))

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            version=np.array(self.version),
        )

    def predict(self, text: str, features: Features, *, evidence: int = 3) -> Sentiment:
        if not features.indices:
            probs = np.array([0.0, 1.0, 0.0], dtype=np.float32)
            return Sentiment("neutral", 0.0, 1.0, (0.0, 1.0, 0.0), ())
        index = np.fromiter(features.indices, dtype=np.int64)
        value = np.fromiter(features.values, dtype=np.float32)
        columns = self.weights[:, index]  # [3, k]
        logits = columns @ value + self.bias
        logits -= logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        best = int(probs.argmax())
        label = LABELS[best]
        return Sentiment(
            label=label,
            score=round(float(probs[2] - probs[0]), 4),
            confidence=round(float(probs[best]), 4),
            probabilities=(
                round(float(probs[0]), 4),
                round(float(probs[1]), 4),
                round(float(probs[2]), 4),
            ),
            evidence=self._evidence(text, features, columns, value, best, evidence)
            if label != "neutral"
            else (),
        )

    @staticmethod
    def _evidence(
        text: str, features: Features, columns: np.ndarray, value: np.ndarray, best: int, limit: int
    ) -> tuple[Evidence, ...]:
        """The token spans that pushed hardest towards the label (vs the other two)."""
        others = [c for c in range(3) if c != best]
        push = columns[best] * value - columns[others].mean(axis=0) * value
        chosen: list[Evidence] = []
        for k in np.argsort(-push):
            if push[k] <= 0 or len(chosen) >= limit:
                break
            span = features.spans.get(features.indices[int(k)])
            if span is None:
                continue
            start, end = span
            if any(not (end <= e.start or start >= e.end) for e in chosen):
                continue
            chosen.append(Evidence(start, end, text[start:end], round(float(push[k]), 4)))
        return tuple(sorted(chosen, key=lambda e: e.start))
