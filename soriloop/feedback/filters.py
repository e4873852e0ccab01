"""One filter model for the inbox, exports and the API, serialised in the page URL."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

from soriloop.analysis.engine.kinds import TYPES
from soriloop.core.fields import DAY_PROBLEM, FieldErrors, parse_day, parse_id
from soriloop.feedback.models import SCORE_RANGES, Channel, Feedback, ScoreKind

SENTIMENTS = ("positive", "neutral", "negative")
LANGUAGES = ("ko", "en", "other")  # what the analysis tells (engine/lang.py)
UNASSIGNED = "unassigned"  # analysed, no confident topic
NO_TYPE = "none"  # analysed, no feedback type
FEEDBACK_TYPES = (*TYPES, NO_TYPE)
# The widest range of any score kind: a bound outside it is a mistake, not a filter.
SCORE_BOUNDS = (
    min(low for low, _high in SCORE_RANGES.values()),
    max(high for _low, high in SCORE_RANGES.values()),
)
# The rules below as JSON Schema patterns too, for the API description.
# A topic key (a slug, Korean ones too) or "unassigned": Python's \w is exactly Unicode's
# letters and numbers (as Python knows them) and _, though its re cannot spell it \p{L}.
TOPIC_PATTERN = r"^[\p{L}\p{N}_-]{1,60}$"
TOPIC_RE = re.compile(r"[\w-]{1,60}")
SLUG_PROBLEM = "must be a key like delivery or app_bug"
_CHANNEL = f"(?:{'|'.join(Channel.values)})"
CHANNELS_PATTERN = f"^{_CHANNEL}(?:,{_CHANNEL})*$"
CHANNELS_PROBLEM = f"must be one or more of {', '.join(Channel.values)}, comma-separated"
CURSOR_PATTERN = r"^-?[0-9]{1,16}_[0-9]{1,18}$"
CURSOR_PROBLEM = "is not a cursor this API gave out"


class BadFilter(FieldErrors):
    """Bad filter parameters, by field; ``usable`` is the filter without the bad ones."""

    usable: FeedbackFilter | None = None


@dataclass(frozen=True)
class FeedbackFilter:
    channel: tuple[str, ...] = ()
    source: str = ""
    touchpoint: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    score_kind: str = ""
    score_min: float | None = None
    score_max: float | None = None
    language: str = ""
    sentiment: str = ""
    topic: str = ""  # a topic key, or "unassigned"
    type: str = ""  # a feedback type, or "none"
    segment: str = ""  # the customer's "segment" attribute
    q: str = ""
    customer: int | None = None
    has_text: bool | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    # Whether ``q`` may match the original text, personal data included: only for a reader
    # who may see it. Others search the masked text, so a phone number finds no record.
    personal: bool = field(default=False, compare=False)

    @classmethod
    def from_query(cls, query: Mapping[str, Any], *, personal: bool = False) -> FeedbackFilter:
        """Parse URL parameters; raise ``BadFilter`` naming each malformed one. ``personal``:
        the reader may see personal data, so ``q`` searches the original text."""
        errors: dict[str, list[str]] = {}

        def get(name: str) -> str:
            value = query.get(name, "")
            return str(value).strip() if value is not None else ""

        channels: list[str] = []
        getlist = getattr(query, "getlist", None)
        raw_channels = getlist("channel") if getlist else [get("channel")]
        for raw in raw_channels:
            channels += [c for c in str(raw).split(",") if c]
        for c in channels:
            if c not in Channel.values:
                errors.setdefault("channel", []).append(f"unknown channel {c!r}")
        for name, allowed in (
            ("sentiment", SENTIMENTS),
            ("language", LANGUAGES),
            ("type", FEEDBACK_TYPES),
        ):
            if get(name) and get(name) not in allowed:
                errors.setdefault(name, []).append(f"must be one of {', '.join(allowed)}")
        kind = get("score_kind")
        if kind and kind not in ScoreKind.values:
            errors.setdefault("score_kind", []).append(
                f"must be one of {', '.join(ScoreKind.values)}"
            )
        result = cls(
            channel=tuple(dict.fromkeys(channels)),
            source=get("source"),
            touchpoint=get("touchpoint"),
            date_from=_date(get("date_from"), "date_from", errors),
            date_to=_date(get("date_to"), "date_to", errors),
            score_kind=kind,
            score_min=_number(get("score_min"), "score_min", errors),
            score_max=_number(get("score_max"), "score_max", errors),
            language=get("language"),
            sentiment=get("sentiment"),
            topic=_slug(get("topic"), "topic", errors),
            type=get("type") if get("type") in FEEDBACK_TYPES else "",
            segment=get("segment")[:60],
            q=get("q")[:200],
            customer=_int(get("customer"), "customer", errors),
            has_text=_bool(get("has_text"), "has_text", errors),
            personal=personal,
        )
        if result.date_from and result.date_to and result.date_from > result.date_to:
            errors.setdefault("date_to", []).append("is before date_from")
        if errors:
            bad = BadFilter(errors)
            blank = cls()
            bad.usable = replace(
                result,
                channel=tuple(c for c in result.channel if c in Channel.values),
                **{n: getattr(blank, n) for n in errors if n != "channel" and hasattr(blank, n)},
            )
            raise bad
        return result

    def apply(self, records: QuerySet[Feedback]) -> QuerySet[Feedback]:
        if self.channel:
            records = records.filter(channel__in=self.channel)
        if self.source:
            records = records.filter(source=self.source)
        if self.touchpoint:
            records = records.filter(touchpoint=self.touchpoint)
        if self.date_from:
            records = records.filter(day__gte=self.date_from)
        if self.date_to:
            records = records.filter(day__lte=self.date_to)
        if self.score_kind:
            records = records.filter(score_kind=self.score_kind)
        if self.score_min is not None:
            records = records.filter(score__gte=self.score_min)
        if self.score_max is not None:
            records = records.filter(score__lte=self.score_max)
        if self.language:
            records = records.filter(language=self.language)
        if self.sentiment:
            records = records.filter(enrichment__sentiment_label=self.sentiment)
        if self.topic == UNASSIGNED:
            records = records.filter(enrichment__isnull=False, enrichment__topic_keys="")
        elif self.topic:
            records = records.filter(enrichment__topic_keys__contains=f"|{self.topic}|")
        if self.type == NO_TYPE:
            records = records.filter(enrichment__isnull=False, enrichment__type_names="")
        elif self.type:
            records = records.filter(enrichment__type_names__contains=f"|{self.type}|")
        if self.segment:
            records = records.filter(customer__attributes__segment=self.segment)
        if self.customer is not None:
            records = records.filter(customer_id=self.customer)
        if self.has_text is not None:
            records = records.exclude(text="") if self.has_text else records.filter(text="")
        if self.q:
            # Substring match: works for Korean, which has no word stemming to lean on.
            for term in self.q.split():
                records = records.filter(self._text_has(term) | Q(external_id=term))
        return records

    def _text_has(self, term: str) -> Q:
        if self.personal:
            return Q(text__icontains=term)
        # The masked text is what the analysis stored: the redacted text when it found
        # personal data, else the text itself. A record not analysed yet has neither, so it
        # is found by its external id only until it is.
        return Q(enrichment__redacted_text__icontains=term) | Q(
            enrichment__redacted_text="", enrichment__isnull=False, text__icontains=term
        )

    def to_query(self, **changes: Any) -> str:
        """URL parameters for this filter (with ``changes``), without empty values."""
        chosen = replace(self, **changes) if changes else self
        pairs: list[tuple[str, str]] = []
        for f in fields(chosen):
            value = getattr(chosen, f.name)
            if f.name in ("extra", "personal") or value in (None, "", ()):
                continue
            if f.name == "channel":
                pairs += [("channel", c) for c in value]
            elif isinstance(value, bool):
                pairs.append((f.name, "true" if value else "false"))
            else:
                pairs.append((f.name, str(value)))
        return urlencode(pairs)

    @property
    def is_empty(self) -> bool:
        return self.to_query() == ""


def _date(raw: str, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if not raw:
        return None
    day = parse_day(raw)
    if day is None:
        errors.setdefault(name, []).append(DAY_PROBLEM)
    return day


def _slug(raw: str, name: str, errors: dict[str, list[str]]) -> str:
    if raw and not TOPIC_RE.fullmatch(raw):
        errors.setdefault(name, []).append(SLUG_PROBLEM)
        return ""
    return raw


def _number(raw: str, name: str, errors: dict[str, list[str]]) -> float | None:
    if not raw:
        return None
    low, high = SCORE_BOUNDS
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # NaN included
        errors.setdefault(name, []).append(f"must be a number from {low} to {high}")
        return None
    return value


def _int(raw: str, name: str, errors: dict[str, list[str]]) -> int | None:
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        errors.setdefault(name, []).append("must be a record id (a whole number)")
    return value


def _bool(raw: str, name: str, errors: dict[str, list[str]]) -> bool | None:
    if not raw:
        return None
    if raw.lower() in {"true", "1", "yes"}:
        return True
    if raw.lower() in {"false", "0", "no"}:
        return False
    errors.setdefault(name, []).append("must be true or false")
    return None


# A cursor is the last record's place in the newest-first order: its time in microseconds
# since 1970 (UTC) and its id. Sixteen digits span 1654 to 2286, so every cursor the pattern
# admits is a time Python holds, and every record's time (1900 to a day ahead) fits.
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def encode_cursor(record: Feedback) -> str:
    return f"{(record.received_at - _EPOCH) // _MICROSECOND}_{record.pk}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """Raise ``BadFilter`` when the cursor is not one ``encode_cursor`` makes."""
    if not _CURSOR.fullmatch(cursor):
        raise BadFilter({"cursor": [CURSOR_PROBLEM]})
    micros, pk = cursor.split("_")
    return _EPOCH + int(micros) * _MICROSECOND, int(pk)
