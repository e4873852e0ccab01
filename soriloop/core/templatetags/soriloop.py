from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

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
