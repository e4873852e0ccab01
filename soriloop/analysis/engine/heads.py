"""Linear heads over hashed features: load/save, probabilities, and evidence spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from soriloop.analysis.engine.features import BITS, Features


@dataclass(frozen=True)
class Evidence:
    start: int
    end: int
    text: str
    weight: float


class LinearHead:
    """Weights [k, 2**BITS] and biases [k]. k == 1 is a binary head (sigmoid), else softmax."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, version: str) -> None:
        if weights.ndim != 2 or weights.shape[1] != 1 << BITS:
            raise ValueError(f"expected weights of shape (k, {1 << BITS}), got {weights.shape}")
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.version = version

    @classmethod
    def load(cls, path: Path) -> Self:
        with np.load(path) as data:
            return cls(data["weights"], data["bias"], str(data["version"]))

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            version=np.array(self.version),
        )

    def columns(self, features: Features) -> tuple[np.ndarray, np.ndarray]:
        index = np.fromiter(features.indices, dtype=np.int64)
        value = np.fromiter(features.values, dtype=np.float32)
        return self.weights[:, index], value

    def probabilities(self, features: Features) -> np.ndarray:
        """Class probabilities; for a binary head, [p(no), p(yes)]."""
        if not features.indices:
            return self._normalised(self.bias.copy())
        return self.probabilities_of(*self.columns(features))

    def probabilities_of(self, columns: np.ndarray, value: np.ndarray) -> np.ndarray:
        """``probabilities`` from the ``columns(features)`` of a text with features (for a
        caller that reads the columns again for evidence)."""
        return self._normalised(columns @ value + self.bias)

    @staticmethod
    def _normalised(logits: np.ndarray) -> np.ndarray:
        if len(logits) == 1:
            yes = 1.0 / (1.0 + float(np.exp(-logits[0])))
            return np.array([1.0 - yes, yes], dtype=np.float32)
        logits -= logits.max()
        probs = np.exp(logits)
        return np.asarray(probs / probs.sum(), dtype=np.float32)

    def evidence(
        self, text: str, features: Features, push: np.ndarray, limit: int = 3
    ) -> tuple[Evidence, ...]:
        """The token spans with the largest positive ``push`` (one value per feature)."""
        chosen: list[Evidence] = []
        order = np.argsort(-push)
        # Python ints and floats: the loop passes over many character n-grams (no span), and
        # numpy's scalars cost ten times more
        for k, value in zip(order.tolist(), push[order].tolist(), strict=True):
            if value <= 0 or len(chosen) >= limit:
                break
            span = features.spans.get(features.indices[k])
            if span is None:
                continue
            start, end = span
            if any(not (end <= e.start or start >= e.end) for e in chosen):
                continue
            chosen.append(Evidence(start, end, text[start:end], round(value, 4)))
        return tuple(sorted(chosen, key=lambda e: e.start))


def fine_tuned(
    head: LinearHead,
    examples: Sequence[tuple[Features, int, float]],
    *,
    epochs: int = 8,
    rate: float = 0.05,
    seed: int = 7,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases of a softmax ``head`` after a few epochs of SGD on ``examples``
    ((features, class index, weight)), starting from its own: a small local step, so a
    workspace's few hundred labels adjust the model instead of replacing it."""
    weights, bias = head.weights.copy(), head.bias.copy()
    order = np.arange(len(examples))
    rng = np.random.default_rng(seed)
    for _epoch in range(epochs):
        rng.shuffle(order)
        for i in order:
            features, label, weight = examples[int(i)]
            if not features.indices:
                continue
            index = np.fromiter(features.indices, dtype=np.int64)
            value = np.fromiter(features.values, dtype=np.float32)
            logits = weights[:, index] @ value + bias
            logits -= logits.max()
            p = np.exp(logits)
            p /= p.sum()
            p[label] -= 1.0  # the gradient of the log loss by the logits
            step = rate * weight * p
            weights[:, index] -= np.outer(step, value)
            bias -= step
    return weights, bias
