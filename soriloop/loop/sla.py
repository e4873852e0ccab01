"""SLAs per priority (first response, next response, resolution) in business time; paused
while waiting on the customer; a warning before a breach and an escalation on it, batched
into one message per person (docs/cases.md)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from soriloop.accounts.models import User, Workspace
from soriloop.alerts.models import Notification
from soriloop.loop.calendar import BusinessCalendar, CalendarInvalid
from soriloop.loop.models import OPEN_STATUSES, Case, CaseEvent, LoopSettings

logger = logging.getLogger(__name__)

CLOCKS = ("first_response", "next_response", "resolution")
# business minutes by priority level
DEFAULT_SLA: dict[str, dict[str, int]] = {
    "urgent": {"first_response": 60, "next_response": 120, "resolution": 8 * 60},
    "high": {"first_response": 4 * 60, "next_response": 4 * 60, "resolution": 2 * 8 * 60},
    "normal": {"first_response": 8 * 60, "next_response": 8 * 60, "resolution": 5 * 8 * 60},
    "low": {"first_response": 2 * 8 * 60, "next_response": 2 * 8 * 60, "resolution": 10 * 8 * 60},
}
SCAN_EVERY = dt.timedelta(seconds=30)
_last_scan: dict[str, dt.datetime] = {}


def loop_settings_of(*, workspace: Workspace) -> LoopSettings:
    """The workspace's settings row, unsaved defaults when it has none (a read writes none)."""
    found = LoopSettings.objects.filter(workspace=workspace).first()
    return found or LoopSettings(workspace=workspace)


def calendar_of(*, workspace: Workspace) -> BusinessCalendar:
    row = loop_settings_of(workspace=workspace)
    return BusinessCalendar.of(
        timezone=workspace.timezone,
        hours=row.hours or None,
        days_off=row.days_off or (),
        public_holidays=row.public_holidays,
    )


def sla_minutes(*, workspace: Workspace, level: str) -> dict[str, int]:
    own: Mapping[str, Any] = loop_settings_of(workspace=workspace).sla.get(level) or {}
    return {**DEFAULT_SLA[level], **{k: int(v) for k, v in own.items() if k in CLOCKS}}


def sla_settings_clean(raw: Any) -> dict[str, dict[str, int]]:
    """``{"urgent": {"first_response": 60, ...}, ...}`` checked; raise ``CalendarInvalid``."""
    if not isinstance(raw, Mapping):
        raise CalendarInvalid({"sla": ["must be an object by priority"]})
    found: dict[str, dict[str, int]] = {}
    for level, clocks in raw.items():
        if level not in DEFAULT_SLA or not isinstance(clocks, Mapping):
            raise CalendarInvalid({f"sla.{level}": [f"must be one of {list(DEFAULT_SLA)}"]})
        for clock, minutes in clocks.items():
            if clock not in CLOCKS or isinstance(minutes, bool) or not isinstance(minutes, int):
                raise CalendarInvalid({f"sla.{level}.{clock}": ["minutes of a known clock"]})
            if not 1 <= minutes <= 525_600:
                raise CalendarInvalid({f"sla.{level}.{clock}": ["1 to 525600 minutes"]})
        found[level] = {str(k): int(v) for k, v in clocks.items()}
    return found


def deadlines_set(case: Case, *, level: str, start: dt.datetime) -> None:
    """The first-response and resolution deadlines of a new (or re-prioritised) case."""
    calendar = calendar_of(workspace=case.workspace)
    minutes = sla_minutes(workspace=case.workspace, level=level)
    if case.first_response_at is None:
        case.first_response_due = calendar.add(start, minutes["first_response"])
    if case.resolved_at is None:
        case.resolution_due = calendar.add(start, minutes["resolution"])


def next_response_set(case: Case, *, level: str, at: dt.datetime) -> None:
    """The customer wrote: the next answer is due."""
    calendar = calendar_of(workspace=case.workspace)
    case.next_response_due = calendar.add(
        at, sla_minutes(workspace=case.workspace, level=level)["next_response"]
    )
    case.warned = [w for w in case.warned if w != "next_response"]
    case.breached = [b for b in case.breached if b != "next_response"]


def sla_pause(case: Case, *, at: dt.datetime) -> None:
    if case.paused_at is None:
        case.paused_at = at


def sla_resume(case: Case, *, at: dt.datetime) -> None:
    """Leave "waiting on customer": every running deadline moves by the business time the
    clock was paused."""
    if case.paused_at is None:
        return
    calendar = calendar_of(workspace=case.workspace)
    paused = calendar.minutes_between(case.paused_at, at)
    for name in ("first_response_due", "next_response_due", "resolution_due"):
        due = getattr(case, name)
        if due is not None:
            setattr(case, name, calendar.add(due, paused) if paused else due)
    case.paused_at = None


def running(case: Case) -> dict[str, dt.datetime]:
    """The deadlines whose clock runs now (none while paused or closed)."""
    if case.paused_at is not None or case.status not in OPEN_STATUSES:
        return {}
    found: dict[str, dt.datetime] = {}
    if case.first_response_at is None and case.first_response_due:
        found["first_response"] = case.first_response_due
    answered = case.last_response_at is not None and (
        case.last_customer_at is None or case.last_response_at >= case.last_customer_at
    )
    if case.next_response_due and case.first_response_at and not answered:
        found["next_response"] = case.next_response_due
    if case.resolution_due:
        found["resolution"] = case.resolution_due
    return found


def sla_json(case: Case) -> dict[str, Any]:
    live = running(case)
    return {
        "first_response_due": _iso(case.first_response_due),
        "next_response_due": _iso(case.next_response_due),
        "resolution_due": _iso(case.resolution_due),
        "paused": case.paused_at is not None,
        "running": sorted(live),
        "breached": list(case.breached),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- the scan: warnings and escalations ---------------------------------------------------


@dataclass
class _Letter:
    warnings: list[tuple[Case, str]]
    breaches: list[tuple[Case, str]]


def sla_scan(*, owner: str = "", now: dt.datetime | None = None, force: bool = False) -> int:
    """A worker loop (every 30 s at most): warn before a deadline, escalate on a breach; one
    notification and one e-mail per person per scan. Returns the cases it touched."""
    now = now or timezone.now()
    last = _last_scan.get(owner)
    if not force and last is not None and now - last < SCAN_EVERY:
        return 0
    _last_scan[owner] = now
    letters: dict[int, _Letter] = defaultdict(lambda: _Letter([], []))
    touched = 0
    cases = Case.objects.select_related("workspace", "team", "assignee").filter(
        status__in=OPEN_STATUSES, paused_at=None
    )
    for case in cases.iterator():
        touched += _check(case, now, letters)
    for user_id, letter in letters.items():
        _send(user_id, letter)
    return touched


def _check(case: Case, now: dt.datetime, letters: dict[int, _Letter]) -> int:
    warn = dt.timedelta(minutes=loop_settings_of(workspace=case.workspace).warn_minutes)
    changed = False
    for clock, due in running(case).items():
        if due <= now and clock not in case.breached:
            case.breached = [*case.breached, clock]
            for user_id in _escalate_to(case):
                letters[user_id].breaches.append((case, clock))
            _event(case, "sla_breached", {"clock": clock, "due": due.isoformat()})
            changed = True
        elif now < due <= now + warn and clock not in case.warned:
            case.warned = [*case.warned, clock]
            if case.assignee_id:
                letters[case.assignee_id].warnings.append((case, clock))
            changed = True
    if changed:
        Case.objects.filter(pk=case.pk).update(warned=case.warned, breached=case.breached)
    return int(changed)


def _escalate_to(case: Case) -> list[int]:
    """The team lead and the assignee (each once)."""
    found = [case.team.lead_id if case.team else None, case.assignee_id]
    return list(dict.fromkeys(u for u in found if u))


def _event(case: Case, kind: str, data: dict[str, Any]) -> None:
    CaseEvent.objects.create(workspace_id=case.workspace_id, case=case, kind=kind, data=data)


CLOCK_NAMES = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


def _send(user_id: int, letter: _Letter) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    with translation.override(user.language or "ko"):
        title = _("Cases: %(breached)d breached, %(warned)d close to their deadline") % {
            "breached": len(letter.breaches),
            "warned": len(letter.warnings),
        }
        lines = [
            _("Breached: case %(id)s, %(clock)s") % {"id": c.pk, "clock": _(CLOCK_NAMES[k])}
            for c, k in letter.breaches
        ] + [
            _("Due soon: case %(id)s, %(clock)s") % {"id": c.pk, "clock": _(CLOCK_NAMES[k])}
            for c, k in letter.warnings
        ]
    body = "\n".join(lines)
    workspaces = {c.workspace_id for c, _k in letter.breaches + letter.warnings}
    with transaction.atomic():
        for workspace_id in workspaces:
            Notification.objects.create(
                workspace_id=workspace_id, user=user, title=title[:300], body=body, url="/cases/"
            )
    try:
        send_mail(title, f"{body}\n\n{settings.SITE_URL}/cases/\n", None, [user.email])
    except OSError:
        logger.warning("SLA letter to user %s not sent", user_id, exc_info=True)
