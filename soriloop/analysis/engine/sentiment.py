"""Text sentiment from a linear head over hashed features (weights trained by `soriloop train`)."""

from __future__ import annotations

from dataclasses import dataclass

from soriloop.analysis.engine.features import Features
from soriloop.analysis.engine.heads import Evidence, LinearHead

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Sentiment:
    label: str
    score: float  # p(positive) - p(negative), in [-1, 1]
    confidence: float  # probability of the label
    probabilities: tuple[float, float, float]  # negative, neutral, positive
    evidence: tuple[Evidence, ...]


class SentimentModel(LinearHead):
    """Three classes: negative, neutral, positive."""

    def predict(self, text: str, features: Features, *, evidence: int = 3) -> Sentiment:
        if not features.indices:
            return Sentiment("neutral", 0.0, 1.0, (0.0, 1.0, 0.0), ())
        probs = self.probabilities(features)
        best = int(probs.argmax())
        label = LABELS[best]
        found: tuple[Evidence, ...] = ()
        if label != "neutral":
            columns, value = self.columns(features)
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
