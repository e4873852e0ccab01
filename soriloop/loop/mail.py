"""The reply e-mail of a case: ko/en templates with variables, the per-case reply address
and the threading headers (docs/cases.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "plain": {
        "ko": {"subject": "[{workspace}] 문의하신 내용에 대한 답변", "body": "{body}"},
        "en": {"subject": "[{workspace}] About your message", "body": "{body}"},
    },
    "apology": {
        "ko": {
            "subject": "[{workspace}] 불편을 드려 죄송합니다",
            "body": "{name}님, 안녕하세요.\n\n{body}\n\n{workspace} 드림",
        },
        "en": {
            "subject": "[{workspace}] We are sorry",
            "body": "Hello {name},\n\n{body}\n\nThe {workspace} team",
        },
    },
    "order": {
        "ko": {
            "subject": "[{workspace}] 주문 {order} 관련 안내",
            "body": "{name}님, 안녕하세요.\n\n주문 {order}({topic}) 건으로 연락드립니다.\n\n{body}\n\n{workspace} 드림",
        },
        "en": {
            "subject": "[{workspace}] Your order {order}",
            "body": "Hello {name},\n\nWe are writing about your order {order} ({topic}).\n\n{body}\n\nThe {workspace} team",
        },
    },
}
VARIABLE = re.compile(r"\{(name|order|topic|workspace)\}")


def render(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with {name}, {order}, {topic}, {workspace} filled in; other braces stay."""
    return VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


def compose_reply(
    *, template: str, language: str, body: str, variables: Mapping[str, str]
) -> tuple[str, str]:
    """The subject and text of a reply (``body`` rendered too: an agent may use variables)."""
    texts = TEMPLATES[template or "plain"][language if language in ("ko", "en") else "ko"]
    filled = {**variables, "body": render(body, variables)}
    text = texts["body"].replace("{body}", filled["body"])
    return render(texts["subject"], filled), render(text, filled)


def reply_address(token: str) -> str:
    return f"reply+{token}@{settings.INBOUND_EMAIL_DOMAIN}"


def message_id(case_id: int, reply_id: int) -> str:
    return f"<case-{case_id}-reply-{reply_id}@{settings.INBOUND_EMAIL_DOMAIN}>"


def email_of(
    *,
    workspace_name: str,
    token: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str,
    references: str,
) -> EmailMessage:
    address = reply_address(token)
    headers: dict[str, Any] = {"Message-ID": message_id, "Reply-To": address}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = references
    sender = f'"{workspace_name.replace(chr(34), "")}" <{address}>'
    return EmailMessage(subject=subject, body=body, from_email=sender, to=[to], headers=headers)
