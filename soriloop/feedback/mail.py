"""Turn an e-mail into feedback: sender, subject, the new part of the body, attachments."""

from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.feedback.models import ChannelSettings
from soriloop.feedback.services import IngestResult, feedback_ingest_one
from soriloop.feedback.validation import MAX_TEXT, InvalidFeedback, parse_feedback

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
    received_at: Any
    attachments: list[dict[str, Any]]
    automatic: bool


def parse_mail(raw: bytes) -> ParsedMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = email.utils.parseaddr(str(message.get("From", "")))
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        content = body_part.get_content()
        body = html_to_text(content) if body_part.get_content_type() == "text/html" else content
    attachments = [
        {
            "name": part.get_filename() or "",
            "type": part.get_content_type(),
            "bytes": len(part.get_payload(decode=True) or b""),
        }
        for part in message.iter_attachments()
    ]
    auto = str(message.get("Auto-Submitted", "no")).lower() != "no" or str(
        message.get("Precedence", "")
    ).lower() in {"bulk", "junk", "auto_reply", "list"}
    date = message.get("Date")
    try:
        received = email.utils.parsedate_to_datetime(str(date)) if date else None
    except (TypeError, ValueError):
        received = None
    return ParsedMail(
        sender_name=str(name),
        sender_email=str(address).lower(),
        subject=str(message.get("Subject", "")).strip(),
        text=strip_reply(body),
        message_id=str(message.get("Message-ID", "")).strip().strip("<>")[:200],
        received_at=received,
        attachments=attachments,
        automatic=auto or bool(_NO_REPLY.search(str(address))),
    )


def _subject_is_noise(subject: str) -> bool:
    return (
        not subject
        or re.fullmatch(r"(re|fw|fwd|답장|전달)\s*:.*", subject, re.IGNORECASE) is not None
    )


def mail_ingest(*, workspace: Workspace, raw: bytes, source: str = "email") -> IngestResult:
    """Store one message as feedback (deduplicated by Message-ID); raise ``InvalidFeedback``."""
    parsed = parse_mail(raw)
    parts = [parsed.subject if not _subject_is_noise(parsed.subject) else "", parsed.text]
    text = "\n\n".join(p for p in parts if p)[:MAX_TEXT]
    metadata: dict[str, Any] = {"subject": parsed.subject[:300]}
    if parsed.attachments:
        metadata["attachments"] = parsed.attachments[:50]
    if parsed.automatic:
        metadata["automatic"] = True
    payload: dict[str, Any] = {
        "channel": "email",
        "source": source,
        "external_id": parsed.message_id,
        "text": text,
        "metadata": metadata,
        "received_at": parsed.received_at
        if parsed.received_at and parsed.received_at <= timezone.now()
        else None,
        "customer": {"email": parsed.sender_email, "name": parsed.sender_name}
        if parsed.sender_email and not parsed.automatic
        else None,
    }
    item = parse_feedback(
        payload, channel="email", tz=ZoneInfo(workspace.timezone), now=timezone.now()
    )
    return feedback_ingest_one(workspace=workspace, item=item)


def workspace_for_address(address: str, domain: str) -> Workspace | None:
    """The workspace whose inbound address is ``fb-<token>@domain`` (case-insensitive)."""
    local, _sep, host = address.lower().partition("@")
    if host != domain.lower() or not local.startswith("fb-"):
        return None
    found = (
        ChannelSettings.objects.select_related("workspace").filter(inbound_token=local[3:]).first()
    )
    return found.workspace if found else None


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


__all__ = ["InvalidFeedback", "mail_ingest", "messages_in", "parse_mail", "workspace_for_address"]
