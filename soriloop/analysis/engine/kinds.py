"""Feedback type: praise, complaint, suggestion, question, bug (several may hold at once).

Transparent rules over Kiwi morphemes, English words and the sentiment: each type found
names the words that made it, so a person can see why and correct it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from soriloop.analysis.engine.heads import Evidence
from soriloop.analysis.engine.sentiment import CUE_NAMES, Sentiment
from soriloop.analysis.engine.tokens import Token

TYPES = ("praise", "complaint", "suggestion", "question", "bug")

_PATTERNS: dict[str, re.Pattern[str]] = {
    "question": re.compile(
        r"\?|(?:나요|까요|ㄹ까요|습니까|인가요|는지요|건가요|어떻게 하|언제 되|왜 안)"
        r"|(?:^|[.!]\s*)(?:how|what|when|where|why|can i|can you|could you|is there|do you|does|is it)\b",
        re.IGNORECASE,
    ),
    "suggestion": re.compile(
        r"(?:면 좋겠|으면 좋겠|했으면|해 ?주시면|추가해|추가되|생기면|개선해|바랍니다|건의|제안)"
        r"|\b(?:please add|would be (?:nice|great)|it would be|i wish|wish (?:there|you)|should (?:add|have|be)|suggest|feature request|could you add)\b",
        re.IGNORECASE,
    ),
    "bug": re.compile(
        r"(?:오류|에러|버그|튕겨|튕김|꺼져|꺼짐|먹통|멈춰|멈춤|렉|로딩이 안|작동(?:이)? 안|실행이 안|안 ?열려|로그인이 안|결제가 안|접속이 안)"
        r"|\b(?:crash(?:es|ed|ing)?|error|bug|broken|freez(?:e|es|ing)|doesn'?t work|not working|won'?t (?:load|open)|glitch)\b",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True)
class FeedbackType:
    name: str
    confidence: float
    evidence: tuple[Evidence, ...]


def _matches(text: str, pattern: re.Pattern[str]) -> tuple[Evidence, ...]:
    found = []
    for match in pattern.finditer(text):
        start, end = match.span()
        if end > start and match.group(0).strip("?").strip():
            found.append(Evidence(start, end, text[start:end], 1.0))
        elif match.group(0) == "?":
            found.append(Evidence(start, end, "?", 1.0))
    return tuple(found[:3])


def feedback_types(
    text: str, tokens: list[Token], sentiment: Sentiment
) -> tuple[FeedbackType, ...]:
    """The types that hold for ``text``, most confident first."""
    found: list[FeedbackType] = []
    for name, pattern in _PATTERNS.items():
        evidence = _matches(text, pattern)
        if evidence:
            found.append(FeedbackType(name, 0.8 if len(evidence) == 1 else 0.9, evidence))
    bug = next((t for t in found if t.name == "bug"), None)
    if bug is not None:
        # A bug report is a complaint about the product, whatever its polite wording.
        found.append(FeedbackType("complaint", bug.confidence, bug.evidence))
    elif sentiment.label == "negative" and sentiment.confidence >= 0.6:
        found.append(FeedbackType("complaint", round(sentiment.confidence, 4), sentiment.evidence))
    elif sentiment.label == "positive" and sentiment.confidence >= 0.6:
        found.append(FeedbackType("praise", round(sentiment.confidence, 4), sentiment.evidence))
    return tuple(sorted(found, key=lambda t: -t.confidence))


def type_cues(text: str) -> tuple[float, ...]:
    """Whether the question, suggestion and bug rules fire (1.0) or not (0.0), in the order of
    ``sentiment.CUE_NAMES``: inputs of the meaning head, which learns what they say about the
    sentiment (a question without a problem is neutral; a bug is a complaint)."""
    return tuple(1.0 if _PATTERNS[name].search(text) else 0.0 for name in CUE_NAMES)
