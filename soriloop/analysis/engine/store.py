"""Where the analysis gets its trained heads: the shipped weights, and the sentiment heads
adapted to a workspace (files written by ``analysis/adapt.py``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Protocol

from soriloop.analysis.engine.sentiment import AbuseModel, MeaningHead, SentimentModel

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
SENTIMENT_FILE = WEIGHTS / "sentiment.npz"
ABUSE_FILE = WEIGHTS / "abuse.npz"
MEANING_FILE = WEIGHTS / "sentiment_meaning.npz"
KEEP_FILES = 16  # adapted heads kept in memory (one per workspace that has one)


class ModelStore(Protocol):
    """The heads one analysis reads with; the same object each time for the same head."""

    def sentiment(self) -> SentimentModel:
        """The shipped sentiment head."""
        ...

    def sentiment_file(self, path: Path) -> SentimentModel:
        """A sentiment head saved at ``path`` (a workspace's adapted one)."""
        ...

    def abuse(self) -> AbuseModel: ...

    def meaning(self) -> MeaningHead | None:
        """The sentiment head over sentence embeddings (None before it was trained)."""
        ...


class ModelFiles:
    """Heads read from their files when first needed, then kept: the shipped ones for good,
    the ``keep`` sentiment heads ``sentiment_file`` was last asked for."""

    def __init__(
        self,
        *,
        sentiment: Path = SENTIMENT_FILE,
        abuse: Path = ABUSE_FILE,
        meaning: Path = MEANING_FILE,
        keep: int = KEEP_FILES,
    ) -> None:
        self.sentiment_path, self.abuse_path, self.meaning_path = sentiment, abuse, meaning
        self.keep = keep
        self._files: dict[Path, SentimentModel] = {}

    @cached_property
    def _sentiment(self) -> SentimentModel:
        return SentimentModel.load(self.sentiment_path)

    @cached_property
    def _abuse(self) -> AbuseModel:
        return AbuseModel.load(self.abuse_path)

    @cached_property
    def _meaning(self) -> MeaningHead | None:
        return MeaningHead.load(self.meaning_path) if self.meaning_path.exists() else None

    def sentiment(self) -> SentimentModel:
        return self._sentiment

    def abuse(self) -> AbuseModel:
        return self._abuse

    def meaning(self) -> MeaningHead | None:
        return self._meaning

    def sentiment_file(self, path: Path) -> SentimentModel:
        found = self._files.pop(path, None) or SentimentModel.load(path)
        self._files[path] = found  # the latest read last, so the oldest goes first
        while len(self._files) > self.keep:
            del self._files[next(iter(self._files))]
        return found


MODELS = ModelFiles()  # the shipped heads, built once; each file is read when first needed
