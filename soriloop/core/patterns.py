"""The rules of ``validation`` written as JSON Schema patterns, for the API description.

``validation`` normalises first and checks after (strips, drops control characters, removes
a phone number's separators); a pattern reads what was sent, so each one folds the
normalisation in. ``tests/test_patterns.py`` checks every pattern against the code it
describes. Only classes that ECMA 262, Rust's regex and Python's ``re`` read alike are used
(see ``core.api_types``).
"""

from __future__ import annotations

# Python's whitespace, spelt out: what str.isspace() admits, strip() removes and re's \s
# matches (ECMA's \s differs: no \x1c-\x1f or \x85, but \ufeff).
SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# What normalise_text drops besides whitespace.
CONTROL = r"\x00-\x08\x0e-\x1f\x7f\u200b\ufeff"

# Text that keeps something once normalised: a character neither whitespace nor control.
CONTENT = f"[^{SPACE}{CONTROL}]"

# An e-mail address (something@domain.tld, no spaces or control characters), or nothing;
# spaces around it are stripped.
_ADDRESS_CHAR = rf"[^@{SPACE}\x00-\x1f\x7f]"
EMAIL = rf"^[{SPACE}]*(?:{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.{_ADDRESS_CHAR}+[{SPACE}]*)?$"

# A phone number: 6 to 16 digits with an optional leading +, or nothing, once spaces,
# dashes, dots and brackets are removed; +82 (Korea) becomes a leading 0, so it needs a
# national number of 5 to 15 digits that does not start with 0 after the zeros it may have.
_SEP = rf"[{SPACE}().-]*"
_DIGIT = f"[0-9]{_SEP}"
_KOREAN = rf"8{_SEP}2{_SEP}(?:0{_SEP})*[1-9]{_SEP}(?:{_DIGIT}){{4,14}}"
_ABROAD = rf"8{_SEP}[013-9]{_SEP}(?:{_DIGIT}){{4,14}}|[0-79]{_SEP}(?:{_DIGIT}){{5,15}}"
PHONE = rf"^{_SEP}(?:(?:{_DIGIT}){{6,16}}|\+{_SEP}(?:{_KOREAN}|{_ABROAD}))?$"

# A date and time from 1900 to 2999 as received_at takes it: 2026-01-31, 2026-01-31T14:03,
# 2026-01-31 14:03:00.5+09:00; without an offset it is the workspace's time. The calendar is
# spelt out (29 February in leap years only) because the offset is optional, which rules out
# ``format: date-time``.
_YEAR = "(?:19[0-9]{2}|2[0-9]{3})"
_LEAP = "(?:19(?:0[48]|[2468][048]|[13579][26])|2[0-9](?:0[48]|[2468][048]|[13579][26])|2[048]00)"
_MONTH_DAY = (
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    "|(?:0[13-9]|1[0-2])-(?:29|30)"
    "|(?:0[13578]|1[02])-31)"
)
_DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP}-02-29)"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
MOMENT = f"^{_DATE}(?:[T ]{_TIME}{_OFFSET}?)?$"

# One address, nothing around it (lists of addresses, where a blank entry means nothing).
# (what Django's validate_email takes: dot-atom local part, domain labels of 1-63 characters)
_LOCAL = "[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_STRICT = rf"^{_LOCAL}(?:\.{_LOCAL})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$"
