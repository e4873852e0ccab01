"""Tokens with their character offsets: Kiwi morphemes for Korean, words for English."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+(?:[.,]\d+)?")
_kiwi: Any = None
_kiwi_lock = threading.Lock()


@dataclass(frozen=True)
class Token:
    form: str
    tag: str  # Kiwi's part of speech for Korean; "W" for an English word, "N" for a number
    start: int
    end: int


def kiwi() -> Any:
    """One Kiwi per process: loading it takes a second and ~100 MB."""
    global _kiwi
    with _kiwi_lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            _kiwi = Kiwi(num_workers=2)
    return _kiwi


def korean_tokens(texts: Sequence[str]) -> list[list[Token]]:
    """Kiwi's morphemes for each text (handles missing spaces and internet slang)."""
    if not texts:
        return []
    results = kiwi().tokenize(list(texts))
    return [[Token(t.form, t.tag, t.start, t.start + t.len) for t in tokens] for tokens in results]


def english_tokens(text: str) -> list[Token]:
    return [
        Token(m.group(0).lower(), "N" if m.group(0)[0].isdigit() else "W", m.start(), m.end())
        for m in _WORD.finditer(text)
    ]
