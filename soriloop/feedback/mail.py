"""Turn an e-mail into feedback: sender, subject, the new part of the body, attachments."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.feedback import mime
from soriloop.feedback.models import ChannelSettings, RawMail
from soriloop.feedback.services import IngestResult, feedback_ingest_one
from soriloop.feedback.validation import MAX_TEXT, FeedbackInput, InvalidFeedback, parse_feedback

logger = logging.getLogger(__name__)

# Where a reply's quoted history starts (English, Korean, common clients).
_QUOTE_HEADERS = re.compile(
    r"^(On .{3,200} wrote:?\s*$|-{2,}\s*Original Message\s*-{2,}|-{2,}\s*원본 메시지\s*-{2,}"
    r"|.{0,200}님이 작성:?\s*$|From:\s.+|보낸 사람:\s.+|_{10,})",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(-- ?$|Sent from my .+|Get Outlook for .+|iPhone에서 보냄|Galaxy에서 보냄|갤럭시에서 보냄|Samsung Galaxy .*보냄)",
    re.IGNORECASE,
)
_NO_REPLY = re.compile(r"(no-?reply|mailer-daemon|postmaster)@", re.IGNORECASE)
# Out-of-office replies that carry no Auto-Submitted header (older clients, Korean webmail).
_AWAY_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|away from|"
    r"부재중|자동 ?회신|자동 ?응답)",
    re.IGNORECASE,
)
_AWAY_HEADERS = ("X-Autoreply", "X-Autorespond")


class _TextFromHtml(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "script", "head"}:
            self.skip += 1
        elif tag == "blockquote":
            self.skip += 1  # quoted history in HTML replies
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script", "head", "blockquote"}:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def strip_reply(body: str) -> str:
    """The new part of a message: stop at quoted history or a signature; drop '>' lines."""
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if _QUOTE_HEADERS.match(stripped) or _SIGNATURE.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


@dataclass(frozen=True)
class ParsedMail:
    sender_name: str
    sender_email: str
    subject: str
    text: str
    message_id: str
    received_at: dt.datetime | None
    attachments: list[dict[str, Any]]
    automatic: bool


MAX_ATTACHMENTS_LISTED = 20


def _attachments(parts: list[Message]) -> list[dict[str, Any]]:
    return [
        {
            "name": mime.attachment_name(part)[:200],
            "type": part.get_content_type()[:100],
            "bytes": len(mime.part_bytes(part)),
        }
        for part in parts[:MAX_ATTACHMENTS_LISTED]
    ]


def _message_id(message: Message, raw: bytes) -> str:
    """The Message-ID, or a hash of the bytes: re-importing a message without one is still
    one record."""
    found = mime.header(message, "Message-ID").strip().strip("<>")
    return found[:200] if found else f"sha256:{hashlib.sha256(raw).hexdigest()}"


def parse_mail(raw: bytes) -> ParsedMail:
    """Everything a record needs from a message, however it is encoded; never raises on
    content (see ``mime`` for the decoding rules)."""
    message = mime.parse_message(raw)
    name, address = email.utils.parseaddr(mime.header(message, "From"))
    body_part, attachment_parts = mime.body_parts(message)
    body = ""
    if body_part is not None:
        content = mime.part_text(body_part)
        body = html_to_text(content) if body_part.get_content_type() == "text/html" else content
    subject = mime.header(message, "Subject").strip()
    auto = (
        mime.header(message, "Auto-Submitted").lower() not in {"", "no"}
        or mime.header(message, "Precedence").lower() in {"bulk", "junk", "auto_reply", "list"}
        or any(mime.header(message, h) for h in _AWAY_HEADERS)
        or bool(_AWAY_SUBJECT.match(subject))
    )
    return ParsedMail(
        sender_name=name,
        sender_email=address.lower(),
        subject=subject,
        text=strip_reply(body),
        message_id=_message_id(message, raw),
        received_at=mime.parse_date(mime.header(message, "Date")),
        attachments=_attachments(attachment_parts),
        automatic=auto or bool(_NO_REPLY.search(address)),
    )


def _subject_is_noise(subject: str) -> bool:
    return (
        not subject
        or re.fullmatch(r"(re|fw|fwd|답장|전달)\s*:.*", subject, re.IGNORECASE) is not None
    )


def _text_of(parsed: ParsedMail) -> str:
    """Subject (unless it is only "Re: ..."), then the new part of the body; a message with
    neither keeps what it has (the noisy subject, the attachment names) rather than be lost."""
    parts = [parsed.subject if not _subject_is_noise(parsed.subject) else "", parsed.text]
    text = "\n\n".join(p for p in parts if p)
    if not text.strip():
        names = ", ".join(a["name"] or a["type"] for a in parsed.attachments)
        text = parsed.subject or names or EMPTY_MAIL_TEXT
    return text[:MAX_TEXT]


EMPTY_MAIL_TEXT = "(empty e-mail)"


def _payload(parsed: ParsedMail, source: str, now: dt.datetime) -> dict[str, Any]:
    metadata: dict[str, Any] = {"subject": parsed.subject[:300]}
    if parsed.attachments:
        metadata["attachments"] = parsed.attachments
    if parsed.automatic:
        metadata["automatic"] = True
    customer = None
    if parsed.sender_email and not parsed.automatic:
        customer = {"email": parsed.sender_email, "name": parsed.sender_name[:200]}
    received = parsed.received_at
    return {
        "channel": "email",
        "source": source,
        "external_id": parsed.message_id,
        "text": _text_of(parsed),
        "metadata": metadata,
        "received_at": received if received and received <= now else None,
        "customer": customer,
    }


def _valid_item(payload: dict[str, Any], tz: ZoneInfo, now: dt.datetime) -> FeedbackInput:
    """The item, dropping what is unusable instead of the message: a sender address that is
    not one (kept in metadata), then everything but the text."""
    try:
        return parse_feedback(payload, channel="email", tz=tz, now=now)
    except InvalidFeedback as exc:
        logger.info("mail fields dropped: %s", exc.fields)
        if any(name.startswith("customer") for name in exc.fields) and payload["customer"]:
            sender = payload["customer"]
            payload["customer"] = None
            payload["metadata"]["from"] = f"{sender['name']} <{sender['email']}>".strip()[:300]
            try:
                return parse_feedback(payload, channel="email", tz=tz, now=now)
            except InvalidFeedback:
                pass
    minimal = {k: payload[k] for k in ("channel", "source", "text")}
    minimal["external_id"] = str(payload["external_id"])[:200]
    return parse_feedback(minimal, channel="email", tz=tz, now=now)


def mail_ingest(
    *, workspace: Workspace, raw: bytes, source: str = "email", thread: str = ""
) -> IngestResult:
    """Store one message as feedback (deduplicated by Message-ID, or by its bytes without
    one), and keep the raw message beside a new record, in the same transaction. Content
    never makes it fail; ``InvalidFeedback`` only when even a minimal record is impossible.

    ``thread``: the token of the reply address it was sent to (``reply+<token>@``), kept in
    ``metadata.thread`` for the app that owns the conversation (loop: cases)."""
    now = timezone.now()
    parsed = parse_mail(raw)
    payload = _payload(parsed, source, now)
    if thread:
        payload["metadata"]["thread"] = thread
    item = _valid_item(payload, ZoneInfo(workspace.timezone), now)
    with transaction.atomic():
        result = feedback_ingest_one(workspace=workspace, item=item)
        if result.status == "created":
            RawMail.objects.create(workspace=workspace, feedback_id=result.feedback_id, raw=raw)
    return result


def workspace_for_address(address: str, domain: str) -> Workspace | None:
    """The workspace whose inbound address is ``fb-<token>@domain`` (case-insensitive)."""
    local, _sep, host = address.lower().partition("@")
    if host != domain.lower() or not local.startswith("fb-"):
        return None
    found = (
        ChannelSettings.objects.select_related("workspace").filter(inbound_token=local[3:]).first()
    )
    return found.workspace if found else None


class ThreadResolver(Protocol):
    """The workspace of a reply address's token, or None (registered by the app that owns
    the conversations: feedback stands below it and cannot import it)."""

    def __call__(self, token: str) -> Workspace | None: ...


_thread_resolvers: list[ThreadResolver] = []


def thread_resolver_register(resolver: ThreadResolver) -> None:
    if resolver not in _thread_resolvers:
        _thread_resolvers.append(resolver)


@dataclass(frozen=True)
class Destination:
    workspace: Workspace
    thread: str  # the reply address's token; "" for a workspace's feedback address


def mail_destination(address: str, domain: str) -> Destination | None:
    """Where mail to ``address`` goes: a workspace's feedback address ``fb-<token>@domain``
    or a conversation's reply address ``reply+<token>@domain``; None: nowhere."""
    local, _sep, host = address.lower().partition("@")
    if host == domain.lower() and local.startswith("reply+"):
        token = local[len("reply+") :]
        for resolver in _thread_resolvers:
            found = resolver(token)
            if found is not None:
                return Destination(found, token)
        return None
    workspace = workspace_for_address(address, domain)
    return Destination(workspace, "") if workspace else None


def messages_in(path: Path) -> Iterator[tuple[int, bytes]]:
    """The raw messages of an .eml file (one) or an mbox file (many), numbered from 1."""
    if path.suffix.lower() == ".eml":
        yield 1, path.read_bytes()
        return
    box = mailbox.mbox(str(path), create=False)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            yield number, box.get_bytes(key)
    finally:
        box.close()


__all__ = [
    "InvalidFeedback",
    "mail_destination",
    "mail_ingest",
    "messages_in",
    "parse_mail",
    "thread_resolver_register",
    "workspace_for_address",
]
