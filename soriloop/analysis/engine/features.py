"""Hashed sparse features shared by training and prediction.

Korean: Kiwi morphemes (without particles) and their bigrams; English: words with negation
scope and bigrams; both: character 2- and 3-grams of the spaceless text, which carry slang,
typos and emoticons (ㅋㅋ, ㅠㅠ, :-)) that tokenizers split badly. Each feature remembers the
span it came from, so a prediction can point at its evidence.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

from soriloop.analysis.engine.keywords import STOP_EN, STOP_KO
from soriloop.analysis.engine.tokens import Token

BITS = 19
MASK = (1 << BITS) - 1
_NEGATORS = {
    "not",
    "no",
    "never",
    "don't",
    "doesn't",
    "didn't",
    "isn't",
    "wasn't",
    "can't",
    "won't",
    "cannot",
    "nothing",
    "hardly",
}
_SCOPE_END = set(".,!?;:")
_SKIP_TAGS = ("J", "SP", "SS", "SE", "SO")  # particles and punctuation
# Morphemes that can stand as evidence: nouns, verb and adjective stems, adverbs, roots,
# foreign words, emoji and emoticons (ㅠㅠ, ㅋㅋ, ^^). Endings (어요), bound nouns (번, 것),
# numerals and copulas carry no label a person could check.
_CONTENT_TAGS = {"NNG", "NNP", "VV", "VA", "MAG", "XR", "SL", "SW", "W_EMOJI"}


@dataclass(frozen=True)
class Features:
    indices: tuple[int, ...]
    values: tuple[float, ...]
    # feature index -> (start, end, surface) of the token features, for evidence
    spans: dict[int, tuple[int, int]]


# A feature's index is the CRC-32 of its name (UTF-8) masked to BITS bits. A character
# n-gram is named "c:" + the n-gram; its checksum is carried on from the prefix's.
_CHAR_PREFIX = zlib.crc32(b"c:")


def is_content(token: Token) -> bool:
    """Whether a token may be shown as evidence: a content word or an emoticon, not a filler."""
    if token.tag in ("W", "N"):
        return token.tag == "W" and len(token.form) > 1 and token.form not in STOP_EN
    return token.tag in _CONTENT_TAGS and token.form not in STOP_KO


def _token_features(tokens: list[Token], text: str) -> list[tuple[str, int, int, bool]]:
    """(feature, start, end, may be evidence) for each token and each pair of neighbours;
    a pair may be evidence when its second token is content ("not working", "불 친절")."""
    found: list[tuple[str, int, int, bool]] = []
    kept = [t for t in tokens if not t.tag.startswith(_SKIP_TAGS)]
    negated = False
    previous: Token | None = None
    for token in kept:
        if token.tag in ("W", "N"):
            word = token.form
            name = f"w:{'NOT_' if negated else ''}{word}"
            if word in _NEGATORS or word.endswith("n't"):
                negated = True
            elif text[token.end : token.end + 1] in _SCOPE_END:
                negated = False
        else:
            name = f"m:{token.form}/{token.tag[:2]}"
        content = is_content(token)
        found.append((name, token.start, token.end, content))
        if previous is not None:
            found.append((f"b:{previous.form}_{token.form}", previous.start, token.end, content))
        previous = token
    return found


def featurize(text: str, tokens: list[Token]) -> Features:
    # a plain dict and crc32 called inline: Counter's and a helper's calls were half the time
    counts: dict[int, int] = {}
    spans: dict[int, tuple[int, int]] = {}
    crc32 = zlib.crc32
    for name, start, end, content in _token_features(tokens, text):
        index = crc32(name.encode("utf-8")) & MASK
        counts[index] = counts.get(index, 0) + 1
        if content:
            spans.setdefault(index, (start, end))
    compact = "".join(text.lower().split())
    for n in (2, 3):
        for i in range(len(compact) - n + 1):
            index = crc32(compact[i : i + n].encode("utf-8"), _CHAR_PREFIX) & MASK
            counts[index] = counts.get(index, 0) + 1
    if not counts:
        return Features((), (), {})
    indices = tuple(counts)
    weights = [1.0 + math.log(count) for count in counts.values()]
    norm = math.sqrt(sum([w * w for w in weights])) or 1.0
    return Features(indices, tuple([w / norm for w in weights]), spans)
