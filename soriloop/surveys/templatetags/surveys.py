"""Template filters of the survey pages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy

from soriloop.surveys.forms import KIND_LABELS
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


STATE_LABELS = {
    "draft": pgettext_lazy("survey state", "Draft"),
    "live": pgettext_lazy("survey state", "Live"),
    "closed": pgettext_lazy("survey state", "Closed"),
}


@register.filter
def survey_state(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@register.filter
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@register.filter
def as_percent(share: float | None) -> str:
    """A share of 1 as a whole percentage; a dash when there is none."""
    return "—" if share is None else f"{round(100 * share)}%"


@register.filter
def largest(counts: Any) -> int:
    """The largest of a mapping's counts (what a bar of full width stands for)."""
    return max(counts.values(), default=0) if isinstance(counts, Mapping) else 0


@register.filter
def nps_width(score: float | None) -> int:
    """An NPS of -100..100 as the width of a bar (0..100)."""
    return 0 if score is None else round((max(-100.0, min(100.0, score)) + 100) / 2)


SKIP_REASONS = {
    "suppressed": _lazy("unsubscribed or suppressed"),
    "fatigue_gap": _lazy("surveyed too recently"),
    "fatigue_window": _lazy("too many surveys in the window"),
    "survey_closed": _lazy("survey closed"),
    "expired": _lazy("link expired"),
    "cancelled": _lazy("campaign stopped"),
    "no_address": _lazy("no e-mail address"),
    "late": _lazy("too late to send"),
    "finished": _lazy("already answered"),
}
SENDING_STATES = {
    "scheduled": _lazy("scheduled"),
    "sending": _lazy("sending"),
    "sent": _lazy("sent"),
    "cancelled": _lazy("stopped"),
}


@register.filter
def skip_reason(code: str) -> str:
    """Why a send was skipped, in the page's language."""
    return str(SKIP_REASONS.get(code, code))


@register.filter
def sending_state(state: str) -> str:
    return str(SENDING_STATES.get(state, state))


@register.filter
def skipped_total(skipped: Mapping[str, int]) -> int:
    return sum(skipped.values())
