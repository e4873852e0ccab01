"""Personal data in Korean and English feedback: find it, and redact it when asked.

Digit boundaries use lookarounds, not ``\\b``: Python's ``\\b`` sees no boundary between a
digit and Hangul ("010-1234-5678로" or "카드번호4111..."), since both are word characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NOT_DIGIT_BEFORE = r"(?<![\d\-])"
_NOT_DIGIT_AFTER = r"(?![\d\-])"


@dataclass(frozen=True)
class PiiSpan:
    kind: str  # rrn, phone, email, card, account
    start: int
    end: int


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    # resident registration number: YYMMDD-GNNNNNN (G: 1-8)
    (
        "rrn",
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?-?\s?[1-8]\d{6}"
            + _NOT_DIGIT_AFTER
        ),
    ),
    # mobile 010/011/016-019 and landlines 02, 031-064, 070; separators optional; +82 too
    (
        "phone",
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:\+82[\s-]?|0)(?:1[016789]|2|[3-6][1-5]|70)[\s.-]?\d{3,4}[\s.-]?\d{4}"
            + _NOT_DIGIT_AFTER
        ),
    ),
    # card: 13-19 digits, in groups of four or run together; confirmed by the Luhn check
    ("card", re.compile(_NOT_DIGIT_BEFORE + r"(?:\d{4}[\s-]?){3}\d{1,7}" + _NOT_DIGIT_AFTER)),
]
# A bank account has no fixed shape; only digit groups near a word for "account" count.
_ACCOUNT = re.compile(
    r"(?:계좌|계좌번호|입금|account|acct)[^\d\n]{0,12}("
    + _NOT_DIGIT_BEFORE
    + r"\d{2,6}-\d{2,6}-\d{2,7}(?:-\d{1,3})?|\d{10,14})"
    + _NOT_DIGIT_AFTER,
    re.IGNORECASE,
)
_LABELS = {
    "rrn": "[주민번호]",
    "phone": "[전화번호]",
    "email": "[이메일]",
    "card": "[카드번호]",
    "account": "[계좌번호]",
}


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _rrn_plausible(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    return len(digits) == 13


def find_pii(text: str) -> list[PiiSpan]:
    """Every personal-data span, earliest first, without overlaps."""
    spans: list[PiiSpan] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            value = match.group(0)
            if kind == "card":
                digits = re.sub(r"\D", "", value)
                if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
                    continue
            if kind == "rrn" and not _rrn_plausible(value):
                continue
            if free(start, end):
                spans.append(PiiSpan(kind, start, end))
                taken.append((start, end))
    for match in _ACCOUNT.finditer(text):
        start, end = match.span(1)
        if free(start, end):
            spans.append(PiiSpan("account", start, end))
            taken.append((start, end))
    return sorted(spans, key=lambda s: s.start)


def redact(text: str, spans: list[PiiSpan]) -> str:
    """``text`` with each span replaced by its kind's label, e.g. ``[전화번호]``."""
    parts, last = [], 0
    for span in spans:
        parts += [text[last : span.start], _LABELS[span.kind]]
        last = span.end
    parts.append(text[last:])
    return "".join(parts)
