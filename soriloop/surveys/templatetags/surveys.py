"""Template filters of the survey pages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import template

from soriloop.surveys.questions import SCALES

register = template.Library()


@register.filter
def pick_language(texts: Any, lang: str) -> str:
    """The text in ``lang``, else in the first language it has."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, Mapping) or not texts:
        return ""
    return str(texts.get(lang) or next(iter(texts.values())))


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None


@register.filter
def json_attr(value: Any) -> str:
    """JSON for a single-quoted attribute (autoescaping turns quotes into entities)."""
    return json.dumps(value, ensure_ascii=False)


@register.filter
def scale_values(kind: str) -> range:
    low, high = SCALES[kind]
    return range(low, high + 1)
