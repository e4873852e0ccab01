"""Contact fatigue in one place: every survey sent or shown to a person is a ``Contact``, and
every send path asks ``fatigue_check`` before it sends (docs/surveys.md, "Contact fatigue").

The workspace rule ("at most one survey per 14 days, at most 4 per 90 days") holds for every
survey; a survey may override its gap and its limit, and may be left out of the other
surveys' counts, so a frequent transactional survey cannot push a rare one back forever.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.surveys.models import Contact, FatigueOverride, Message, Survey, SurveySettings
from soriloop.surveys.questions import SurveyInvalid

MAX_DAYS = 365


@dataclass(frozen=True)
class Rule:
    """A workspace's contact rule and quiet hours (local times; both None: none)."""

    gap_days: int
    max_in_window: int
    window_days: int
    quiet_start: dt.time | None
    quiet_end: dt.time | None

    def as_dict(self) -> dict[str, Any]:
        quiet = (
            {"start": self.quiet_start.strftime("%H:%M"), "end": self.quiet_end.strftime("%H:%M")}
            if self.quiet_start is not None and self.quiet_end is not None
            else None
        )
        return {
            "gap_days": self.gap_days,
            "max_in_window": self.max_in_window,
            "window_days": self.window_days,
            "quiet_hours": quiet,
        }


def _default_rule() -> Rule:
    quiet = settings.SURVEY_QUIET_HOURS
    return Rule(
        gap_days=settings.SURVEY_FATIGUE_GAP_DAYS,
        max_in_window=settings.SURVEY_FATIGUE_MAX,
        window_days=settings.SURVEY_FATIGUE_WINDOW_DAYS,
        quiet_start=dt.time.fromisoformat(quiet[0]) if quiet else None,
        quiet_end=dt.time.fromisoformat(quiet[1]) if quiet else None,
    )


def rule_get(*, workspace: Workspace) -> Rule:
    """The workspace's rule: its own once set, else the settings' defaults (reads no write)."""
    row = SurveySettings.objects.filter(workspace=workspace).first()
    if row is None:
        return _default_rule()
    return Rule(row.gap_days, row.max_in_window, row.window_days, row.quiet_start, row.quiet_end)


def _days(data: Mapping[str, Any], name: str, current: int, minimum: int) -> int:
    value = data.get(name, current)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_DAYS:
        raise SurveyInvalid({name: [f"must be a whole number from {minimum} to {MAX_DAYS}"]})
    return int(value)


def _clock(value: Any, name: str) -> dt.time:
    try:
        if not isinstance(value, str) or len(value) != 5:
            raise ValueError(value)
        return dt.time.fromisoformat(value)
    except ValueError:
        raise SurveyInvalid({name: ["must be a time of day as HH:MM"]}) from None


def _quiet(raw: Any, current: Rule) -> tuple[dt.time | None, dt.time | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, Mapping):
        raise SurveyInvalid({"quiet_hours": ['must be {"start": "HH:MM", "end": "HH:MM"} or null']})
    start = _clock(raw.get("start"), "quiet_hours.start")
    end = _clock(raw.get("end"), "quiet_hours.end")
    if start == end:
        raise SurveyInvalid({"quiet_hours": ["must start and end at different times"]})
    return start, end


def rule_update(*, workspace: Workspace, actor: Membership | None, data: Mapping[str, Any]) -> Rule:
    """Change the workspace's rule; fields left out keep their value. ``quiet_hours`` null
    means none. Raises ``SurveyInvalid`` naming bad fields."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    current = rule_get(workspace=workspace)
    quiet = (
        _quiet(data["quiet_hours"], current)
        if "quiet_hours" in data
        else (current.quiet_start, current.quiet_end)
    )
    rule = Rule(
        gap_days=_days(data, "gap_days", current.gap_days, 0),
        max_in_window=_days(data, "max_in_window", current.max_in_window, 1),
        window_days=_days(data, "window_days", current.window_days, 1),
        quiet_start=quiet[0],
        quiet_end=quiet[1],
    )
    SurveySettings.objects.update_or_create(
        workspace=workspace,
        defaults={
            "gap_days": rule.gap_days,
            "max_in_window": rule.max_in_window,
            "window_days": rule.window_days,
            "quiet_start": rule.quiet_start,
            "quiet_end": rule.quiet_end,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        workspace=workspace,
        actor=actor.user if actor else None,
        action="survey.settings",
        data=rule.as_dict(),
    )
    return rule


@dataclass(frozen=True)
class Override:
    """A survey's own gap and limit (None: the workspace's) and whether it counts for others."""

    gap_days: int | None = None
    max_in_window: int | None = None
    counts: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "gap_days": self.gap_days,
            "max_in_window": self.max_in_window,
            "counts": self.counts,
        }


def override_get(*, survey: Survey) -> Override:
    row = FatigueOverride.objects.filter(survey=survey).first()
    return Override(row.gap_days, row.max_in_window, row.counts) if row else Override()


def override_update(
    *, survey: Survey, actor: Membership | None, data: Mapping[str, Any]
) -> Override:
    """Set a survey's override (null fields follow the workspace rule)."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    current = override_get(survey=survey)
    values: dict[str, Any] = {}
    for name, minimum in (("gap_days", 0), ("max_in_window", 1)):
        value = data.get(name, getattr(current, name))
        values[name] = None if value is None else _days({name: value}, name, 0, minimum)
    counts = data.get("counts", current.counts)
    if not isinstance(counts, bool):
        raise SurveyInvalid({"counts": ["must be true or false"]})
    FatigueOverride.objects.update_or_create(survey=survey, defaults={**values, "counts": counts})
    return Override(values["gap_days"], values["max_in_window"], counts)


@dataclass(frozen=True)
class Person:
    """Whom a contact is about: the customer when known, else the address."""

    customer_id: int | None
    address: str

    @property
    def known(self) -> bool:
        return self.customer_id is not None or bool(self.address)

    def contacts(self, workspace_id: int) -> Q:
        if self.customer_id is not None:
            return Q(workspace_id=workspace_id, customer_id=self.customer_id)
        return Q(workspace_id=workspace_id, customer__isnull=True, address=self.address)


def person_lock(*, workspace_id: int, person: Person) -> None:
    """Serialise check-then-record for one person until the transaction ends (PostgreSQL; on
    SQLite writers are serialised already), so two workers cannot both pass the rule."""
    if connection.vendor != "postgresql":
        return
    name = f"fatigue:{workspace_id}:{person.customer_id or ''}:{person.address}".encode()
    key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def fatigue_check(
    *,
    survey: Survey,
    person: Person,
    at: dt.datetime,
    reminder: bool = False,
    message: Message | None = None,
) -> str:
    """Why ``survey`` may not reach ``person`` at ``at`` (``fatigue_gap``,
    ``fatigue_window``), or "" when it may.

    Counted: the person's contacts of surveys that count for others, and this survey's own.
    A reminder leaves out its own survey's contacts (its invitation is one); ``message``
    leaves out the contact that message itself wrote before a crash."""
    if not person.known:
        return ""
    rule = rule_get(workspace=survey.workspace)
    own = override_get(survey=survey)
    gap = rule.gap_days if own.gap_days is None else own.gap_days
    limit = rule.max_in_window if own.max_in_window is None else own.max_in_window
    since = at - dt.timedelta(days=max(gap, rule.window_days))
    seen = Contact.objects.filter(person.contacts(survey.workspace_id), at__gt=since, at__lte=at)
    seen = seen.filter(Q(counts=True) | Q(survey=survey))
    if reminder:
        seen = seen.exclude(survey=survey)
    if message is not None:
        seen = seen.exclude(message=message)
    times = list(seen.values_list("at", flat=True))
    if gap and any(t > at - dt.timedelta(days=gap) for t in times):
        return "fatigue_gap"
    if sum(1 for t in times if t > at - dt.timedelta(days=rule.window_days)) >= limit:
        return "fatigue_window"
    return ""


def contact_record(
    *,
    survey: Survey,
    person: Person,
    channel: str,
    kind: str,
    at: dt.datetime,
    message: Message | None = None,
) -> Contact:
    """Note that ``survey`` reached ``person`` (one contact per message)."""
    fields = {
        "workspace_id": survey.workspace_id,
        "customer_id": person.customer_id,
        "address": person.address,
        "survey": survey,
        "channel": channel,
        "kind": kind,
        "counts": override_get(survey=survey).counts,
        "at": at,
    }
    if message is None:
        return Contact.objects.create(**fields)
    contact, _created = Contact.objects.update_or_create(message=message, defaults=fields)
    return contact
