"""Alert rules: conditions over a record and its analysis, evaluated by a change-log consumer
on ``feedback.analyzed`` and ``feedback.corrected``; dedup, throttle, mute, and the 7-day
preview (docs/alerts.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.alerts.aggregates import AggregateInvalid, aggregate_clean, aggregate_preview
from soriloop.alerts.models import Alert, AlertMatch, AlertRule, RuleKind
from soriloop.alerts.notify import alert_fired
from soriloop.alerts.webhooks import UnsafeAddress, resolve
from soriloop.analysis.engine.kinds import TYPES
from soriloop.analysis.engine.pii import mask_text
from soriloop.analysis.engine.sentiment import LABELS
from soriloop.core.models import Change
from soriloop.feedback.models import SCORE_RANGES, Channel, Feedback

RULE_EVENTS = ("feedback.analyzed", "feedback.corrected")
LIST_FIELDS = ("topics", "types", "languages", "channels", "sources", "touchpoints", "segments")
MAX_RULES = 100
PREVIEW_DAYS = 7
PREVIEW_LIMIT = 20_000  # records a preview reads at most
EXAMPLES = 5

Decision = Literal["fire", "join", "throttled"]


class AlertRuleInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def _strings(name: str, raw: Any, allowed: Iterable[str] | None = None) -> list[str]:
    if not isinstance(raw, list) or any(not isinstance(v, str) or not v for v in raw):
        raise AlertRuleInvalid({f"conditions.{name}": ["must be a list of strings"]})
    if allowed is not None and set(raw) - set(allowed):
        raise AlertRuleInvalid({f"conditions.{name}": [f"each must be one of {list(allowed)}"]})
    return sorted(set(raw))


def _number(name: str, raw: Any, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
        raise AlertRuleInvalid({f"conditions.{name}": [f"must be a number in [{low}, {high}]"]})
    return float(raw)


def conditions_clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's conditions, checked, without empty ones; raise ``AlertRuleInvalid``."""
    found: dict[str, Any] = {}
    allowed = {"types": TYPES, "channels": Channel.values}
    for name in LIST_FIELDS:
        if raw.get(name):
            found[name] = _strings(name, raw[name], allowed.get(name))
    if raw.get("sentiment") is not None:
        if raw["sentiment"] not in LABELS:
            raise AlertRuleInvalid({"conditions.sentiment": [f"must be one of {list(LABELS)}"]})
        found["sentiment"] = raw["sentiment"]
    if raw.get("min_confidence") is not None:
        found["min_confidence"] = _number("min_confidence", raw["min_confidence"], 0, 1)
    if raw.get("keyword"):
        found["keyword"] = str(raw["keyword"]).strip().lower()[:100]
    if raw.get("abusive") is not None:
        found["abusive"] = bool(raw["abusive"])
    found.update(_score(raw))
    return found


def _score(raw: Mapping[str, Any]) -> dict[str, Any]:
    kind = raw.get("score_kind")
    if kind is None:
        if raw.get("score_min") is not None or raw.get("score_max") is not None:
            raise AlertRuleInvalid({"conditions.score_kind": ["a score range needs its kind"]})
        return {}
    if kind not in SCORE_RANGES:
        raise AlertRuleInvalid({"conditions.score_kind": [f"must be one of {list(SCORE_RANGES)}"]})
    low, high = SCORE_RANGES[kind]
    found: dict[str, Any] = {"score_kind": kind}
    for name in ("score_min", "score_max"):
        if raw.get(name) is not None:
            found[name] = _number(name, raw[name], low, high)
    if found.get("score_min", low) > found.get("score_max", high):
        raise AlertRuleInvalid({"conditions.score_min": ["must not exceed score_max"]})
    return found


def _any_of(wanted: list[str] | None, have: Iterable[str]) -> bool:
    return not wanted or bool(set(wanted) & set(have))


def record_matches(conditions: Mapping[str, Any], record: Feedback) -> bool:
    """Whether an analysed record meets every condition (a list: any of its values)."""
    enrichment = getattr(record, "enrichment", None)
    if enrichment is None:
        return False
    c = conditions
    segment = str((record.customer.attributes or {}).get("segment", "")) if record.customer else ""
    checks = (
        c.get("sentiment") in (None, enrichment.sentiment_label),
        enrichment.sentiment_confidence >= c.get("min_confidence", 0.0),
        _any_of(c.get("topics"), (t["key"] for t in enrichment.topics)),
        _any_of(c.get("types"), (t["name"] for t in enrichment.types)),
        _any_of(c.get("languages"), [record.language]),
        _any_of(c.get("channels"), [record.channel]),
        _any_of(c.get("sources"), [record.source]),
        _any_of(c.get("touchpoints"), [record.touchpoint]),
        _any_of(c.get("segments"), [segment]),
        c.get("abusive") in (None, enrichment.abusive),
        _score_matches(c, record),
        _keyword_matches(c.get("keyword"), record, enrichment.keywords),
    )
    return all(checks)


def _score_matches(c: Mapping[str, Any], record: Feedback) -> bool:
    if "score_kind" not in c:
        return True
    if record.score_kind != c["score_kind"] or record.score is None:
        return False
    return bool(
        c.get("score_min", record.score) <= record.score <= c.get("score_max", record.score)
    )


def _keyword_matches(keyword: str | None, record: Feedback, keywords: list[Any]) -> bool:
    if not keyword:
        return True
    return keyword in record.text.lower() or keyword in (str(k).lower() for k in keywords)


def decide(rule: AlertRule, *, open_since: dt.datetime | None, fired_last_hour: int) -> Decision:
    """What a new match does: join the open alert of the dedup window, else fire unless the
    hour's throttle is used up."""
    if open_since is not None:
        return "join"
    return "fire" if fired_last_hour < rule.max_per_hour else "throttled"


def muted(rule: AlertRule, at: dt.datetime) -> bool:
    return rule.muted_until is not None and rule.muted_until > at


# -- writes ------------------------------------------------------------------------------


def _recipients(workspace: Workspace, raw: Any) -> list[int]:
    if not isinstance(raw, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
        raise AlertRuleInvalid({"notify_user_ids": ["must be a list of user ids"]})
    members = set(
        Membership.objects.filter(workspace=workspace, user_id__in=raw).values_list(
            "user_id", flat=True
        )
    )
    if set(raw) - members:
        raise AlertRuleInvalid({"notify_user_ids": ["each must be a member of the workspace"]})
    return sorted(members)


def _slack(raw: Any) -> str:
    url = str(raw or "")
    if url:
        try:
            resolve(url)
        except UnsafeAddress as exc:
            raise AlertRuleInvalid({"slack_url": [str(exc)]}) from exc
    return url


SIMPLE = ("enabled", "in_app", "email", "webhook", "dedup_minutes", "max_per_hour")


def _apply(rule: AlertRule, data: Mapping[str, Any]) -> None:
    if "name" in data:
        rule.name = str(data["name"]).strip()[:200]
        if not rule.name:
            raise AlertRuleInvalid({"name": ["must not be empty"]})
    if "conditions" in data:
        rule.conditions = conditions_clean(data["conditions"] or {})
    _kind(rule, data)
    if "notify_user_ids" in data:
        rule.notify_user_ids = _recipients(rule.workspace, data["notify_user_ids"])
    if "slack_url" in data:
        rule.slack_url = _slack(data["slack_url"])
    for name in SIMPLE:
        if name in data:
            setattr(rule, name, data[name])
    for name in ("quiet_start", "quiet_end"):
        if name in data:
            setattr(rule, name, _time(name, data[name]))
    if "muted_until" in data:
        until = data["muted_until"]
        if until is not None and timezone.is_naive(until):
            until = timezone.make_aware(until, dt.UTC)
        rule.muted_until = until
    if (rule.quiet_start is None) != (rule.quiet_end is None):
        raise AlertRuleInvalid({"quiet_start": ["quiet hours need a start and an end"]})


def _kind(rule: AlertRule, data: Mapping[str, Any]) -> None:
    """The rule's kind and measure: an aggregate rule has a measure and no record
    conditions, a record rule no measure."""
    if "kind" in data:
        if data["kind"] not in RuleKind.values:
            raise AlertRuleInvalid({"kind": [f"must be one of {list(RuleKind.values)}"]})
        if data["kind"] != rule.kind:
            rule.kind, rule.aggregate_active = data["kind"], False
    if data.get("aggregate") is not None:
        try:
            spec = aggregate_clean(data["aggregate"])
        except AggregateInvalid as exc:
            raise AlertRuleInvalid(exc.fields) from exc
        if spec != rule.aggregate:
            rule.aggregate, rule.aggregate_active, rule.next_check_at = spec, False, None
    if rule.kind == RuleKind.AGGREGATE:
        if not rule.aggregate:
            raise AlertRuleInvalid({"aggregate": ["an aggregate rule needs its measure"]})
        if rule.conditions:
            raise AlertRuleInvalid({"conditions": ["an aggregate rule has no record conditions"]})
    elif data.get("aggregate") is not None:
        raise AlertRuleInvalid({"aggregate": ["only an aggregate rule has a measure"]})
    else:
        rule.aggregate = {}


def _time(name: str, raw: Any) -> dt.time | None:
    """A quiet-hours bound: a time or "HH:MM", read in the workspace's time zone (an offset
    sent along is dropped)."""
    if raw is None or isinstance(raw, dt.time):
        return raw.replace(tzinfo=None) if raw else None
    try:
        return dt.time.fromisoformat(str(raw)).replace(tzinfo=None)
    except ValueError as exc:
        raise AlertRuleInvalid({name: ["must be HH:MM"]}) from exc


def _audit(rule: AlertRule, actor: Membership, action: str) -> None:
    audit_record(
        workspace=rule.workspace,
        actor=actor.user,
        action=action,
        target=f"alert rule {rule.pk}",
        data={"name": rule.name},
    )


def alert_rule_create(
    *, workspace: Workspace, actor: Membership, data: Mapping[str, Any]
) -> AlertRule:
    """A new rule owned by ``actor`` (an admin); raise ``AlertRuleInvalid``."""
    require(actor, Action.MANAGE_SETTINGS)
    if AlertRule.objects.filter(workspace=workspace).count() >= MAX_RULES:
        raise AlertRuleInvalid({"name": [f"a workspace has at most {MAX_RULES} rules"]})
    rule = AlertRule(workspace=workspace, owner=actor.user)
    _apply(rule, {"name": "", **data})
    rule.save()
    _audit(rule, actor, "alert_rule.created")
    return rule


def alert_rule_update(*, rule: AlertRule, actor: Membership, data: Mapping[str, Any]) -> AlertRule:
    """Change a rule's fields (conditions, destinations, mute...); raise ``AlertRuleInvalid``."""
    require(actor, Action.MANAGE_SETTINGS)
    _apply(rule, data)
    rule.save()
    _audit(rule, actor, "alert_rule.changed")
    return rule


def alert_rule_delete(*, rule: AlertRule, actor: Membership) -> None:
    require(actor, Action.MANAGE_SETTINGS)
    _audit(rule, actor, "alert_rule.deleted")
    rule.delete()


# -- the consumer ----------------------------------------------------------------------


def _records(events: Sequence[Change]) -> list[Feedback]:
    ids = [e.subject_id for e in events if not e.payload.get("failed")]
    return list(
        Feedback.objects.select_related("enrichment", "customer")
        .filter(pk__in=ids, deleted_at=None)
        .order_by("id")
    )


def alert_rules_consume(events: Sequence[Change]) -> None:
    """The change-log handler: each analysed or corrected record against its workspace's
    enabled, unmuted rules. Idempotent: a record counts once per rule (``AlertMatch``)."""
    records = _records(events)
    if not records:
        return
    now = timezone.now()
    rules = [
        r
        for r in AlertRule.objects.select_related("workspace", "owner").filter(
            workspace_id__in={r.workspace_id for r in records}, enabled=True, kind=RuleKind.RECORD
        )
        if not muted(r, now)
    ]
    for record in records:
        for rule in rules:
            if rule.workspace_id == record.workspace_id and record_matches(rule.conditions, record):
                alert = alert_place(rule=rule, record=record, at=now)
                if alert is not None:
                    alert_fired(alert=alert, records=[record])


def alert_place(*, rule: AlertRule, record: Feedback, at: dt.datetime) -> Alert | None:
    """Count a matching record: join the rule's open alert or fire a new one. Returns the new
    alert, or None when it joined, was throttled or was counted before."""
    if AlertMatch.objects.filter(rule=rule, feedback_id=record.pk).exists():
        return None
    window = at - dt.timedelta(minutes=rule.dedup_minutes)
    open_alert = rule.alerts.filter(fired_at__gt=window).order_by("-fired_at").first()
    fired_last_hour = rule.alerts.filter(fired_at__gte=at - dt.timedelta(hours=1)).count()
    decision = decide(
        rule,
        open_since=open_alert.fired_at if open_alert else None,
        fired_last_hour=fired_last_hour,
    )
    if decision == "throttled":
        return None
    with transaction.atomic():
        if decision == "join" and open_alert is not None:
            open_alert.record_ids = [*open_alert.record_ids, record.pk]
            open_alert.count += 1
            open_alert.last_at = at
            open_alert.save(update_fields=["record_ids", "count", "last_at"])
            _match(rule, open_alert, record)
            return None
        alert = Alert.objects.create(
            workspace_id=rule.workspace_id,
            rule=rule,
            record_ids=[record.pk],
            fired_at=at,
            last_at=at,
        )
        _match(rule, alert, record)
        return alert


def _match(rule: AlertRule, alert: Alert, record: Feedback) -> None:
    try:
        with transaction.atomic():
            AlertMatch.objects.create(rule=rule, alert=alert, feedback_id=record.pk)
    except IntegrityError:
        pass  # counted by a concurrent worker: the unique row is the proof


# -- preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewExample:
    id: int
    text: str
    received_at: dt.datetime


@dataclass(frozen=True)
class Preview:
    days: int
    records_checked: int
    matches: int
    alerts: int
    throttled: int
    examples: list[PreviewExample]
    checks: int = 0  # aggregate rules: how often the measure was read
    fired_at: list[dt.datetime] = field(default_factory=list)  # aggregate rules


def alert_rule_preview(*, rule: AlertRule, now: dt.datetime | None = None) -> Preview:
    """How many alerts the rule would have fired over the last 7 days: a record rule's
    analysed records replayed in the order they arrived, with its dedup window and throttle;
    an aggregate rule's measure read hour by hour or day by day (``aggregate_preview``). A
    read, it writes nothing."""
    now = now or timezone.now()
    if rule.kind == RuleKind.AGGREGATE:
        found = aggregate_preview(rule=rule, now=now)
        return Preview(
            found.days, 0, found.holding, found.alerts, found.throttled, [],
            found.checks, found.fired_at,
        )  # fmt: skip
    records = (
        Feedback.objects.select_related("enrichment", "customer")
        .filter(
            workspace_id=rule.workspace_id,
            deleted_at=None,
            received_at__gte=now - dt.timedelta(days=PREVIEW_DAYS),
            enrichment__isnull=False,
        )
        .order_by("received_at", "id")[:PREVIEW_LIMIT]
    )
    fired: list[dt.datetime] = []
    checked = matches = throttled = 0
    examples: list[PreviewExample] = []
    for record in records:
        checked += 1
        if not record_matches(rule.conditions, record):
            continue
        matches += 1
        at = record.received_at
        window = at - dt.timedelta(minutes=rule.dedup_minutes)
        open_since = fired[-1] if fired and fired[-1] > window else None
        last_hour = sum(1 for f in fired if f >= at - dt.timedelta(hours=1))
        decision = decide(rule, open_since=open_since, fired_last_hour=last_hour)
        if decision == "fire":
            fired.append(at)
        throttled += decision == "throttled"
        if len(examples) < EXAMPLES:
            examples.append(PreviewExample(record.pk, mask_text(record.text)[:300], at))
    return Preview(PREVIEW_DAYS, checked, matches, len(fired), throttled, examples)
