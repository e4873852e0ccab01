"""Language: ko / en / other, and whether Korean and English are mixed.

Hangul decides first (exact on short strings); for text written in Latin letters, lingua
limited to a few languages tells English from the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class LanguageResult:
    language: str  # "ko", "en", "other" or "" (nothing to tell: emoji, digits, empty)
    mixed: bool  # Korean text with a fair share of English words, or the other way round
    hangul_share: float


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" or "\u1100" <= ch <= "\u11ff"


def _is_kana_or_han(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff"


@cache
def _latin_detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.ENGLISH, Language.SPANISH, Language.FRENCH, Language.GERMAN,
        Language.PORTUGUESE, Language.ITALIAN, Language.INDONESIAN, Language.VIETNAMESE,
        Language.TAGALOG, Language.DUTCH,
    ]  # fmt: skip
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect_language(text: str) -> LanguageResult:
    hangul = latin = other = 0
    for ch in text:
        if _is_hangul(ch):
            hangul += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
        elif ch.isalpha():
            other += 1
    letters = hangul + latin + other
    if letters == 0:
        return LanguageResult("", False, 0.0)
    share = hangul / letters
    # Two Latin letters weigh about one Hangul syllable (a syllable is a whole block).
    weighted = hangul / (hangul + latin / 2 + other) if hangul else 0.0
    mixed = hangul > 0 and latin >= 4 and 0.15 <= weighted <= 0.85
    if weighted >= 0.3:
        return LanguageResult("ko", mixed, share)
    if other > latin and any(_is_kana_or_han(ch) for ch in text):
        return LanguageResult("other", False, share)
    if latin < 3:
        return LanguageResult("en" if latin else "other", False, share)
    from lingua import Language

    found = _latin_detector().detect_language_of(text)
    return LanguageResult("en" if found in (Language.ENGLISH, None) else "other", mixed, share)
