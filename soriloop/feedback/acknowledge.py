"""What a sender is told once their feedback is stored, in their language (ko/en)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from soriloop.feedback.models import ChannelSettings


def guess_language(text: str, fallback: str = "ko") -> str:
    """ko when Hangul makes up a fair share of the letters, en when Latin does, else fallback."""
    hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if hangul == 0 and latin == 0:
        return fallback
    return "ko" if hangul * 3 >= latin else "en"


def thanks(settings: ChannelSettings, language: str) -> str:
    custom = settings.thanks_ko if language == "ko" else settings.thanks_en
    if custom:
        return custom
    with translation.override(language):
        return _("Thank you for your feedback. We read every message and use it to get better.")


def reply(settings: ChannelSettings, language: str, *, text: str) -> tuple[str, str]:
    """The acknowledgement e-mail's subject and body."""
    subject = settings.reply_subject_ko if language == "ko" else settings.reply_subject_en
    body = settings.reply_body_ko if language == "ko" else settings.reply_body_en
    name = settings.workspace.name
    with translation.override(language):
        subject = subject or _("[%(workspace)s] We received your feedback") % {"workspace": name}
        body = body or _(
            "Hello,\n\nThank you for writing to %(workspace)s. Your message has reached our team "
            "and a person will read it. If it needs an answer, we will reply to this address."
        ) % {"workspace": name}
        quoted = "\n".join(f"> {line}" for line in text.splitlines()[:20])
        footer = _("Your message:")
    return subject, f"{body}\n\n{footer}\n{quoted}\n" if quoted else f"{body}\n"
