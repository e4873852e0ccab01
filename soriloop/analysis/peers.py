"""The sentiment tools a user would pick instead of Soriloop, scored on the same rows.

VADER (`vaderSentiment`, the 2014 social-media lexicon, MIT) and TextBlob (its pattern
lexicon, MIT) are English-only rule sets; `soriloop eval sentiment FILE --peers` runs them
beside the shipped model so the comparison in docs/analysis.md is one run on one file. Both
are development dependencies: nothing in the product imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

# VADER's documented cut-off for its compound score; TextBlob has none, so any polarity off
# zero counts.
VADER_CUT = 0.05


@cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

    return SentimentIntensityAnalyzer()


def vader_score(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


def textblob_score(text: str) -> float:
    from textblob import TextBlob  # type: ignore[import-untyped]

    return float(TextBlob(text).sentiment.polarity)


PEERS: dict[str, tuple[Callable[[str], float], float]] = {
    "vader": (vader_score, VADER_CUT),
    "textblob": (textblob_score, 0.0),
}


def peer_labels(name: str, texts: Sequence[str], *, binary: bool) -> list[str]:
    """The peer's label for each text: on a binary task the sign of its score (zero counts as
    positive, as the peers' own docs put the neutral point there), else three classes by its
    cut-off."""
    score, cut = PEERS[name]
    found = []
    for text in texts:
        value = score(text)
        if binary:
            found.append("negative" if value < 0 else "positive")
        elif value > cut:
            found.append("positive")
        elif value < -cut:
            found.append("negative")
        else:
            found.append("neutral")
    return found
