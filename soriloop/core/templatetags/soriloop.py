from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from soriloop.analysis.engine.pii import mask_email, mask_json, mask_phone, mask_text

register = template.Library()

TYPE_LABELS = {
    "praise": _("Praise"),
    "complaint": _("Complaint"),
    "suggestion": _("Suggestion"),
    "question": _("Question"),
    "bug": _("Bug"),
}


@register.filter
def type_label(name: str) -> Any:
    """A feedback type's name in the page's language."""
    return TYPE_LABELS.get(name, name)


# Personal data for those who may not see it (agents and viewers, ``see_personal`` false in
# the page context): the original stays in the database, the page shows it masked.


@register.filter
def private(text: str | None, see_personal: bool) -> str | None:
    """The text with phone numbers, e-mails, resident and card numbers and accounts replaced
    by labels ("[전화번호]"), unless ``see_personal``."""
    return text if see_personal or not text else mask_text(text)


@register.filter
def private_json(value: Any, see_personal: bool) -> Any:
    """Metadata with personal data masked, unless ``see_personal``."""
    return value if see_personal or not value else mask_json(value)


@register.filter
def private_email(email: str | None, see_personal: bool) -> str | None:
    return email if see_personal or not email else mask_email(email)


@register.filter
def private_phone(phone: str | None, see_personal: bool) -> str | None:
    return phone if see_personal or not phone else mask_phone(phone)
