"""Candidate keywords of one text: Korean nouns and noun compounds, English content words.

Ranking across a workspace (TF-IDF over its records) happens where the records are; here
each text only offers its candidates with their counts.
"""

from __future__ import annotations

from collections import Counter

from soriloop.analysis.engine.tokens import Token

_NOUN_TAGS = ("NNG", "NNP", "SL")
STOP_KO = {
    "것",
    "수",
    "거",
    "때",
    "좀",
    "정도",
    "부분",
    "이번",
    "진짜",
    "정말",
    "너무",
    "그냥",
    "점",
}
STOP_EN = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "very",
        "really",
        "just",
        "also",
        "too",
        "can",
        "could",
        "would",
        "should",
        "will",
        "am",
        "as",
        "about",
        "all",
        "any",
        "some",
        "more",
        "most",
        "much",
        "many",
        "get",
        "got",
        "one",
        "two",
        "again",
        "still",
        "even",
        "only",
        "than",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "how",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
        "im",
        "ive",
        "its",
        "thats",
    ]
)


# Negating prefixes stay on their noun: 불친절 is the opposite of 친절, 미배송 of 배송.
_NEGATING = {"불", "미", "무", "비"}


def keywords(tokens: list[Token], *, limit: int = 8) -> tuple[str, ...]:
    """Up to ``limit`` keywords, most frequent first, then by first appearance."""
    counts: Counter[str] = Counter()
    previous: Token | None = None
    prefix: Token | None = None
    for token in tokens:
        if prefix is not None and token.tag in ("NNG", "NNP") and token.start == prefix.end:
            token = Token(prefix.form + token.form, token.tag, prefix.start, token.end)
        # Kiwi tags the prefix XPN, or NNP when it stands before a loanword noun (미배송)
        negating = token.form in _NEGATING and token.tag in ("XPN", "NNP", "NNG")
        prefix = token if negating else None
        if token.tag in ("NNG", "NNP"):
            if len(token.form) > 1 and token.form not in STOP_KO:
                counts[token.form] += 1
            # adjacent nouns (at most one space apart) make a compound: 고객 센터, 배송 지연
            if previous is not None and token.start - previous.end <= 1:
                counts[f"{previous.form} {token.form}"] += 1
            previous = token
            continue
        previous = None
        if token.tag == "W" and len(token.form) > 2 and token.form.replace("'", "") not in STOP_EN:
            counts[token.form] += 1
        elif token.tag == "SL" and len(token.form) > 1:
            counts[token.form.lower()] += 1
    order = {word: i for i, word in enumerate(counts)}
    return tuple(sorted(counts, key=lambda w: (-counts[w], order[w]))[:limit])
