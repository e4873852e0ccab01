"""Personal data in Korean and English feedback: find it, and redact it when asked.

Matching runs on a normalised copy of the text (NFKC, so full-width digits and the full-width
at sign count; every dash-like character read as ``-``; zero-width characters dropped) and
the spans are mapped back to the original, so a full-width phone number is redacted as written.

Digit boundaries use lookarounds, not ``\\b``: Python's ``\\b`` sees no boundary between a
digit and Hangul ("010-1234-5678로" or "카드번호4111..."), since both are word characters.

Precision comes from shape, not from luck: a card needs a known issuer prefix with that
issuer's length and the Luhn check (so a 13-digit order id starting 2024 never is one); a
phone needs a Korean area code or a US area code with separators; a bank account needs a
word for bank or account next to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PiiSpan:
    kind: str  # rrn, phone, email, card, account
    start: int
    end: int


LABELS = {
    "rrn": "[주민번호]",
    "phone": "[전화번호]",
    "email": "[이메일]",
    "card": "[카드번호]",
    "account": "[계좌번호]",
}

# hyphen, non-breaking hyphen, figure/en/em dash, horizontal bar, minus, small and full-width
# hyphen-minus, the katakana prolonged sound mark and Hangul ㅡ that people type as a dash
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc\u3161"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def normalise(text: str) -> tuple[str, list[int]]:
    """The matching copy of ``text`` and, for each of its characters, the index of the
    original character it came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            out.append(ch)
            origin.append(i)
            continue
        if ch in _ZERO_WIDTH:
            continue
        folded = "-" if ch in _DASHES else unicodedata.normalize("NFKC", ch)
        for piece in folded:
            out.append(piece)
            origin.append(i)
    return "".join(out), origin


_NO_DIGIT_BEFORE = r"(?<![\d\-+])"
_NO_DIGIT_AFTER = r"(?![\d\-]|\.\d)"
# between digit groups: a dash or dot with at most two spaces around it, or one or two spaces
_SEP = r"(?:[ \t]{0,2}[-.][ \t]{0,2}|[ \t]{1,2})"
_DASH = r"[ \t]{0,2}[-.][ \t]{0,2}"
_US_AREA = r"\([ \t]?[2-9]\d\d[ \t]?\)"
_KR_AREA = r"(?:1[016789]|2|[3-6][1-5]|70|50[2-8])"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9])"
)
# resident registration number: YYMMDD-GNNNNNN (G: 1-8), the date part possibly spaced
_RRN = re.compile(
    _NO_DIGIT_BEFORE
    + r"\d{2}[ .]?(?:0[1-9]|1[0-2])[ .]?(?:0[1-9]|[12]\d|3[01])"
    + rf"(?:{_SEP})?[1-8]\d{{6}}"
    + _NO_DIGIT_AFTER
)
_PHONE = re.compile(
    _NO_DIGIT_BEFORE
    + "(?:"
    # Korean, domestic: 010-1234-5678, (010) 1234-5678, 02)123-4567, 01012345678
    + rf"(?:\([ \t]?0{_KR_AREA}[ \t]?\)[ \t]?|0{_KR_AREA}(?:\)[ \t]?|{_SEP})?)"
    + rf"\d{{3,4}}{_SEP}?\d{{4}}"
    # Korean, international: +82 10-..., +82 (0)10-..., +82-010-..., 82-10-...
    + rf"|(?:\+[ \t]?82{_SEP}?|82{_SEP})(?:\(0\)[ \t]?|0)?{_KR_AREA}{_SEP}?\d{{3,4}}{_SEP}?\d{{4}}"
    # US: (415) 555-2671, 415-555-2671, 415.555.2671, +1 415 555 2671, +14155552671; spaces
    # alone only after +1, since "250 300 1000" is a list of quantities
    + rf"|\+[ \t]?1{_SEP}?(?:{_US_AREA}[ \t]?|[2-9]\d\d{_SEP}?)[2-9]\d\d{_SEP}?\d{{4}}"
    + rf"|(?:{_US_AREA}[ \t]?|[2-9]\d\d{_DASH})[2-9]\d\d{_DASH}\d{{4}}"
    + ")"
    + _NO_DIGIT_AFTER
)
_CARD_SEP = r"(?:[ \t]?[-.][ \t]?|[ \t])"
_CARD = re.compile(
    _NO_DIGIT_BEFORE
    + rf"(?:\d{{4}}(?:{_CARD_SEP}?\d{{4}}){{2}}{_CARD_SEP}?\d{{1,7}}"
    + rf"|\d{{4}}{_CARD_SEP}\d{{6}}{_CARD_SEP}\d{{4,5}})"  # Amex 4-6-5, Diners 4-6-4
    + _NO_DIGIT_AFTER
)
# A bank account has no fixed shape: digit groups (10-14 digits) next to a word for bank or
# account. Run-together digits only after the strongest words, dashed groups after any.
_ACCOUNT_NUMBER = r"\d{2,6}(?:[ \t]?-[ \t]?\d{2,7}){2,3}"
_STRONG = r"계좌|예금주|은행|뱅크|금고|account|acct|bank|IBAN"
_TRANSFER = r"입금|이체|송금"
_BANK_NAMES = r"신한|국민|농협|우체국|수협|신협|씨티|SC제일|KB|NH|IBK"
_ACCOUNT_AFTER_WORD = re.compile(
    rf"(?:(?:{_STRONG})[^\d\n]{{0,12}}?{_NO_DIGIT_BEFORE}(?P<plain>\d{{10,14}}|{_ACCOUNT_NUMBER})"
    rf"|(?:{_TRANSFER}|{_BANK_NAMES})[^\d\n]{{0,12}}?{_NO_DIGIT_BEFORE}(?P<dashed>{_ACCOUNT_NUMBER}))"
    + _NO_DIGIT_AFTER,
    re.IGNORECASE,
)
_ACCOUNT_BEFORE_WORD = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?P<dashed>{_ACCOUNT_NUMBER}){_NO_DIGIT_AFTER}"
    rf"[ \t(]{{0,3}}(?:{_BANK_NAMES}|[가-힣A-Za-z]{{0,4}}(?:은행|뱅크|bank))",
    re.IGNORECASE,
)


_CANDIDATE = re.compile(r"[\d@\uff20\ufe6b]")  # any digit (full-width too), an at sign


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _issuer_lengths(digits: str) -> range | tuple[int, ...]:
    """The lengths a card number with this prefix has; empty for no known issuer."""
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return (13, 16, 19)  # Visa
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return (16,)  # Mastercard
    if two in (34, 37):
        return (15,)  # American Express
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return (14, 16)  # Diners Club
    if 3528 <= four <= 3589 or two in (62, 65) or four == 6011 or 644 <= int(digits[:3]) <= 649:
        return range(16, 20)  # JCB, UnionPay, Discover
    if digits[0] == "9":
        return (16,)  # Korean domestic (BC and others)
    return ()


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _card(value: str) -> bool:
    digits = _digits(value)
    return 13 <= len(digits) <= 19 and len(digits) in _issuer_lengths(digits) and luhn_valid(digits)


def _account(value: str) -> bool:
    return 10 <= len(_digits(value)) <= 14


def _always(value: str) -> bool:
    return True


_CHECKS: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
    ("email", _EMAIL, _always),
    ("rrn", _RRN, _always),
    ("phone", _PHONE, _always),
    ("card", _CARD, _card),
]


def find_pii(text: str) -> list[PiiSpan]:
    """Every personal-data span in ``text`` (offsets into ``text`` as given), earliest first,
    without overlaps."""
    if not _CANDIDATE.search(text):  # most feedback has no digit and no at sign
        return []
    norm, origin = normalise(text)
    found: list[tuple[str, int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if all(end <= s or start >= e for _, s, e in found):
            found.append((kind, start, end))

    for kind, pattern, check in _CHECKS:
        for match in pattern.finditer(norm):
            if check(match.group(0)):
                add(kind, *match.span())
    for pattern in (_ACCOUNT_AFTER_WORD, _ACCOUNT_BEFORE_WORD):
        for match in pattern.finditer(norm):
            group = "plain" if match.groupdict().get("plain") else "dashed"
            if _account(match.group(group)):
                add("account", *match.span(group))
    return [
        PiiSpan(kind, origin[start], origin[end - 1] + 1)
        for kind, start, end in sorted(found, key=lambda f: f[1])
    ]


def redact(text: str, spans: list[PiiSpan]) -> str:
    """``text`` with each span replaced by its kind's label, e.g. ``[전화번호]``."""
    return redact_with_labels(text, spans)[0]


def redact_with_labels(text: str, spans: list[PiiSpan]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each span replaced by its label, and where each label now stands."""
    parts: list[str] = []
    labels: list[tuple[int, int]] = []
    last = length = 0
    for span in spans:
        before = text[last : span.start]
        label = LABELS[span.kind]
        parts += [before, label]
        length += len(before)
        labels.append((length, length + len(label)))
        length += len(label)
        last = span.end
    parts.append(text[last:])
    return "".join(parts), labels


def mask_text(text: str) -> str:
    """``text`` with its personal data replaced by labels (unchanged when it has none)."""
    spans = find_pii(text)
    return redact(text, spans) if spans else text


# metadata keys whose values are personal data whatever they look like ("phone": "5678")
_KEY_WORDS = {
    "phone": ("phone", "mobile", "tel", "cell", "전화", "휴대", "연락처"),
    "email": ("email", "mail", "메일"),
    "rrn": ("rrn", "ssn", "resident", "주민"),
    "card": ("card", "카드"),
    "account": ("account", "iban", "계좌"),
}
_KEY_PARTS = re.compile(r"[a-z]+|[^a-z\d_\-\s.]+")


def _key_kind(key: str) -> str | None:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).lower()
    parts = _KEY_PARTS.findall(spaced)
    for kind, words in _KEY_WORDS.items():
        if any(word in (parts if word.isascii() else spaced) for word in words):
            return kind
    return None


def mask_json(value: object, key: str | None = None) -> object:
    """A JSON value (metadata) with personal data masked: every string through
    :func:`mask_text`, and the whole value of a key that names personal data ("phone",
    "email", "연락처", ...) replaced by its label."""
    kind = _key_kind(key) if key else None
    if isinstance(value, dict):
        return {k: mask_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_json(v, key) for v in value]
    if isinstance(value, bool) or value is None or value == "":
        return value
    if kind is not None:
        return LABELS[kind]
    if isinstance(value, str):
        return mask_text(value)
    return LABELS["phone"] if isinstance(value, int) and find_pii(f"0{value}") else value


def mask_email(email: str) -> str:
    """``minsu.kim@example.com`` -> ``m***@example.com``."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


def mask_phone(phone: str) -> str:
    """Every digit but the first three and the last four hidden: ``010****3333``."""
    digits = sum(ch.isdigit() for ch in phone)
    seen, out = 0, []
    for ch in phone:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 3 or seen > digits - 4 else "*")
        else:
            out.append(ch)
    return "".join(out)
