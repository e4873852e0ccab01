"""Read e-mail the way it is really sent: wrong or unknown charsets, raw 8-bit headers, broken
base64, multiparts without a boundary, odd dates. Pure functions, no Django.

Text is decoded by the declared charset, then UTF-8, then CP949 (a superset of EUC-KR), and
only then with replacement characters, so a Korean message is never stored as garbage.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import email
import email.header
import email.policy
import email.utils
import re
from collections.abc import Iterator
from email.message import Message

# Labels mail clients use for Korean that name a narrower codec than the text really uses.
_WIDER = {"euc_kr": "cp949"}
_FALLBACKS = ("utf-8", "cp949")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}\s+(\d{3,})\b")
_BOUNDARY_LINE = re.compile(r"^--([^\s-][^\s]{0,69})\s*$", re.MULTILINE)


def _codec(label: str | None) -> str | None:
    """The Python text codec for a charset label, or None when there is no such text codec."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip('"').lower())
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None  # "base64", "zlib", "rot13" ... are not charsets
    return _WIDER.get(info.name.replace("-", "_"), info.name)


def _strict(data: bytes, codec: str) -> str | None:
    """``data`` decoded strictly, forgiving only a truncated character at the very end."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        # Only a multi-byte character cut off by the end (a torn base64 tail) is forgiven;
        # an invalid byte anywhere means this is not the text's charset.
        if exc.reason != "unexpected end of data" or exc.end != len(data) or exc.start == 0:
            return None
        try:
            return data[: exc.start].decode(codec)
        except UnicodeDecodeError:
            return None
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes: the declared charset, then UTF-8, then CP949, then with replacements."""
    first = _codec(declared)
    tried: list[str] = []
    for codec in (first, *_FALLBACKS):
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        text = _strict(data, codec)
        if text is not None:
            return text
    return data.decode(first or "utf-8", errors="replace")


def _raw_bytes(value: str) -> bytes:
    """The bytes behind a string the parser read with surrogateescape (text that is already
    decoded comes back as UTF-8)."""
    return value.encode("utf-8", errors="surrogateescape")


def decode_header(value: object) -> str:
    """A header value as text: encoded-words in any charset, raw 8-bit bytes (read with
    surrogateescape) in UTF-8 or CP949; folded whitespace becomes single spaces."""
    if value is None:
        return ""
    text = str(value)
    try:
        parts = email.header.decode_header(text)
    except (ValueError, binascii.Error, UnicodeError):
        parts = [(text, None)]
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(decode_bytes(_raw_bytes(chunk)))
        elif charset is None:
            # decode_header hands unencoded runs back as raw-unicode-escape bytes
            out.append(decode_bytes(_raw_bytes(chunk.decode("raw-unicode-escape"))))
        else:
            out.append(decode_bytes(chunk, charset))
    return " ".join("".join(out).split())


def header(message: Message, name: str) -> str:
    """The first ``name`` header, decoded; "" when absent. Read raw: the parser's own view
    of an 8-bit header is a Header object of unknown bytes."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return decode_header(value)
    return ""


def lenient_base64(data: bytes) -> bytes:
    """Base64 that tolerates stray characters, missing padding and a torn last quantum."""
    clean = _NOT_BASE64.sub(b"", data)
    clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean
    clean += b"=" * (-len(clean) % 4)
    try:
        return base64.b64decode(clean)
    except (binascii.Error, ValueError):
        return b""


def part_bytes(part: Message) -> bytes:
    """A non-multipart part's decoded payload, whatever its transfer encoding claims."""
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding == "base64":
        text = part.get_payload()
        return lenient_base64(
            text.encode("ascii", errors="ignore") if isinstance(text, str) else b""
        )
    # Raw 8-bit bytes as sent (quoted-printable decoded); the str payload would already be
    # decoded with the declared charset and replacement characters.
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def part_text(part: Message) -> str:
    return decode_bytes(part_bytes(part), part.get_content_charset())


def parse_message(raw: bytes) -> Message:
    """The message tree; a multipart whose boundary is missing is re-read with the one its
    body uses (the first ``--token`` line)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        payload = message.get_payload(decode=True)
        body = payload if isinstance(payload, bytes) else b""
        found = _BOUNDARY_LINE.search(body.decode("ascii", errors="replace"))
        if found:
            head = f'Content-Type: multipart/mixed; boundary="{found.group(1)}"\n\n'
            inner = email.message_from_bytes(head.encode() + body, policy=email.policy.compat32)
            message.set_payload(inner.get_payload())
            message.set_param("boundary", found.group(1))
        else:
            message.set_type("text/plain")
    return message


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    return disposition == "attachment" or bool(part.get_param("name") or part.get_filename())


def leaf_parts(message: Message) -> Iterator[Message]:
    """Every non-multipart part, depth first; a bad nested part does not stop the walk."""
    for part in message.walk():
        if not part.is_multipart():
            yield part


def body_parts(message: Message) -> tuple[Message | None, list[Message]]:
    """The body (first plain text part, else the first HTML one) and the attachments."""
    plain: Message | None = None
    html: Message | None = None
    attachments: list[Message] = []
    for part in leaf_parts(message):
        kind = part.get_content_type()
        if _is_attachment(part) and part is not message:
            attachments.append(part)
        elif kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
        elif not kind.startswith(("text/", "multipart/", "message/")):
            attachments.append(part)
    return plain or html, attachments


def attachment_name(part: Message) -> str:
    name = part.get_param("filename", header="content-disposition") or part.get_param("name")
    if isinstance(name, tuple):  # RFC 2231: (charset, language, value)
        charset, _language, value = name
        # the parser unquoted the %-escapes as Latin-1
        data = value.encode("latin-1", errors="surrogateescape") if isinstance(value, str) else b""
        return decode_bytes(data, charset)
    return decode_header(name) if name else ""


def parse_date(value: object) -> dt.datetime | None:
    """An aware UTC datetime from a Date header; ``-0000`` is UTC; None when unreadable or
    outside 1970 .. the year 9000."""
    if not value:
        return None
    written = _YEAR.search(str(value))
    if written and int(written.group(1)) < 1970:
        return None  # the parser would read "0001" as the two-digit year 01, i.e. 2001
    try:
        moment = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        moment = moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None
    return moment if 1970 <= moment.year < 9000 else None
