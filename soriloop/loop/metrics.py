"""The loop metrics (docs/metrics.md#loop-metrics): closed-loop rate, times to acknowledge,
first response and resolution, SLA attainment, recovery and re-contact, for a period and
broken down by team, agent, topic or period, each number naming the cases behind it."""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from soriloop.accounts.models import Membership, Team, User, Workspace
from soriloop.analysis.selectors import topic_names
from soriloop.feedback.filters import UNASSIGNED
from soriloop.feedback.models import Feedback
from soriloop.insights.selectors import Period, bucket_days, bucket_start, series_length
from soriloop.loop.models import Case, CaseFeedback, Verification
from soriloop.loop.selectors import MAX_IDS, CaseFilter, cases_visible

BY = ("team", "agent", "topic", "period")
RECONTACT_DAYS = 30


@dataclass(frozen=True)
class Durations:
    median_minutes: float | None
    p90_minutes: float | None
    count: int


def _durations(values: Sequence[float]) -> Durations:
    if not values:
        return Durations(None, None, 0)
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Durations(round(statistics.median(ordered), 1), round(p90, 1), len(ordered))


@dataclass(frozen=True)
class Drill:
    """Query strings of the cases list (``/cases/?``, ``/api/v1/cases?``) naming the cases
    behind the numbers; None when more than ``MAX_IDS`` cases would be named by id."""

    cases: str  # every case counted
    replied: str | None
    resolved: str | None
    sla_missed: str | None
    recovered: str | None
    recontacted: str | None


@dataclass(frozen=True)
class LoopNumbers:
    unhappy_records: int
    closed_loop: int  # unhappy records whose case got a reply
    closed_loop_rate: float | None
    cases: int
    time_to_acknowledge: Durations
    time_to_first_response: Durations
    time_to_resolution: Durations
    sla_met: int
    sla_measured: int
    sla_attainment: float | None
    verified: int
    recovered: int  # detractors whose follow-up is passive or promoter
    recovery_rate: float | None
    score_change: float | None  # mean follow-up NPS minus the original
    resolved: int  # resolved cases with a known customer: the re-contact rate's base
    recontacted: int  # of those, whose customer wrote again within 30 days
    recontact_pending: int  # not re-contacted yet, their 30 days not over
    recontact_rate: float | None
    drill: Drill


@dataclass(frozen=True)
class LoopGroup:
    key: str  # a team or user id, a topic key, a bucket's first day; "none": no team/agent
    name: str
    start: dt.date
    end: dt.date
    numbers: LoopNumbers


@dataclass(frozen=True)
class LoopMetrics:
    start: dt.date
    end: dt.date
    numbers: LoopNumbers
    by: str | None = None
    grain: str | None = None
    groups: list[LoopGroup] = field(default_factory=list)


@dataclass(frozen=True)
class _Record:
    id: int
    day: dt.date
    topics: tuple[str, ...]
    case: Case | None  # its case, whenever that was opened


@dataclass
class _Facts:
    """What the numbers are counted from, loaded once for every group."""

    records: list[_Record]
    cases: list[Case]
    topics: dict[int, tuple[str, ...]]  # case id -> its records' topics
    opening_nps: dict[int, float]  # case id -> the NPS score of the record that opened it
    follow_ups: dict[int, int]  # case id -> its verification's score
    recontacted: set[int]
    now: dt.datetime


def metrics_loop(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    team: int | None = None,
    member: Membership | None = None,
    by: str | None = None,
    grain: str = "week",
) -> LoopMetrics:
    """The loop's numbers for the records and cases of ``start``..``end`` (workspace days),
    of the cases ``member`` may see (all with None), and with ``by`` one group per team,
    agent, topic or ``grain`` bucket (day, week from Monday, month) of the period."""
    base = CaseFilter(created_from=start, created_to=end, team=team)
    facts = _facts(workspace, member, base, start, end)
    numbers = _numbers(facts, facts.records, facts.cases, base)
    if by is None:
        return LoopMetrics(start, end, numbers)
    groups = _GROUPERS[by](workspace, facts, base, Period(start, end), grain)
    return LoopMetrics(start, end, numbers, by, grain if by == "period" else None, groups)


def loop_buckets(*, start: dt.date, end: dt.date, grain: str) -> int:
    """How many groups ``by="period"`` gives for the period at this grain."""
    return series_length(period=Period(start, end), grain=grain)


def _facts(
    workspace: Workspace, member: Membership | None, base: CaseFilter, start: dt.date, end: dt.date
) -> _Facts:
    visible = cases_visible(workspace=workspace, member=member)
    cases = list(base.apply(visible, workspace).order_by("id"))
    ids = [c.pk for c in cases]
    unhappy = Feedback.objects.filter(
        workspace=workspace, deleted_at=None, day__gte=start, day__lte=end
    ).filter(Q(score_kind="nps", score__lte=6) | Q(enrichment__sentiment_label="negative"))
    rows = list(unhappy.values_list("id", "day", "enrichment__topic_keys").distinct())
    case_of = _cases_of(workspace, [r[0] for r in rows])
    records = [_Record(pk, day, _keys(topic_keys), case_of.get(pk)) for pk, day, topic_keys in rows]
    now = timezone.now()
    return _Facts(
        records=records,
        cases=cases,
        topics=_case_topics(ids),
        opening_nps={
            case_id: score
            for case_id, score in CaseFeedback.objects.filter(
                case_id__in=ids, role="opened", feedback__score_kind="nps"
            ).values_list("case_id", "feedback__score")
            if score is not None
        },
        follow_ups={
            case_id: score
            for case_id, score in Verification.objects.filter(
                workspace=workspace, case_id__in=ids
            ).values_list("case_id", "score")
            if score is not None
        },
        recontacted=_recontacted(workspace, cases, now),
        now=now,
    )


def _keys(topic_keys: str | None) -> tuple[str, ...]:
    return tuple(k for k in (topic_keys or "").split("|") if k)


def _cases_of(workspace: Workspace, feedback_ids: list[int]) -> dict[int, Case]:
    """Record id -> its case (any case of the workspace: the closed-loop rate counts every
    reply, whoever may see the case)."""
    links = CaseFeedback.objects.filter(
        workspace=workspace, feedback_id__in=feedback_ids
    ).select_related("case")
    return {link.feedback_id: link.case for link in links}


def _case_topics(case_ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, set[str]] = defaultdict(set)
    links = CaseFeedback.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "feedback__enrichment__topic_keys"
    )
    for case_id, topic_keys in links:
        found[case_id].update(_keys(topic_keys))
    return {case_id: tuple(sorted(keys)) for case_id, keys in found.items()}


def _recontacted(workspace: Workspace, cases: list[Case], now: dt.datetime) -> set[int]:
    """The resolved cases whose customer wrote again (a record not of this case, or a new
    case) after the resolution and at most ``RECONTACT_DAYS`` days after it."""
    resolved = [c for c in cases if c.resolved_at and c.customer_id]
    if not resolved:
        return set()
    window = dt.timedelta(days=RECONTACT_DAYS)
    customers = {c.customer_id for c in resolved}
    since = min(c.resolved_at for c in resolved if c.resolved_at)
    until = max(c.resolved_at for c in resolved if c.resolved_at) + window
    writes: dict[int, list[tuple[dt.datetime, int | None]]] = defaultdict(list)
    records = Feedback.objects.filter(
        workspace=workspace, customer_id__in=customers, deleted_at=None,
        received_at__gt=since, received_at__lte=until,
    ).values_list("customer_id", "received_at", "case_links__case_id")  # fmt: skip
    for customer_id, at, case_id in records:
        writes[customer_id].append((at, case_id))
    opened = Case.objects.filter(
        workspace=workspace, customer_id__in=customers, created_at__gt=since,
        created_at__lte=until,
    ).values_list("customer_id", "created_at", "id")  # fmt: skip
    for customer_id, at, case_id in opened:
        writes[customer_id].append((at, case_id))
    return {
        c.pk
        for c in resolved
        if c.resolved_at
        and any(
            c.resolved_at < at <= c.resolved_at + window and case_id != c.pk
            for at, case_id in writes[c.customer_id or 0]
        )
    }


def _minutes(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    return (b - a).total_seconds() / 60 if a and b else None


def _numbers(
    facts: _Facts, records: Iterable[_Record], cases: list[Case], where: CaseFilter
) -> LoopNumbers:
    records = list(records)
    replied = [r for r in records if r.case and r.case.first_response_at]
    ack = [m for c in cases if (m := _minutes(c.created_at, c.acknowledged_at)) is not None]
    first = [m for c in cases if (m := _minutes(c.created_at, c.first_response_at)) is not None]
    done = [m for c in cases if (m := _minutes(c.created_at, c.resolved_at)) is not None]
    met, measured, missed = _sla(cases)
    recovered, changes = [], []
    for c in cases:
        original, after = facts.opening_nps.get(c.pk), facts.follow_ups.get(c.pk)
        if original is None or original > 6 or after is None:
            continue
        changes.append(float(after - original))
        if after >= 7:
            recovered.append(c.pk)
    resolved = [c for c in cases if c.resolved_at and c.customer_id]
    again = [c.pk for c in resolved if c.pk in facts.recontacted]
    window = dt.timedelta(days=RECONTACT_DAYS)
    pending = sum(
        1
        for c in resolved
        if c.pk not in facts.recontacted and c.resolved_at and c.resolved_at + window > facts.now
    )
    return LoopNumbers(
        unhappy_records=len(records),
        closed_loop=len(replied),
        closed_loop_rate=_rate(len(replied), len(records)),
        cases=len(cases),
        time_to_acknowledge=_durations(ack),
        time_to_first_response=_durations(first),
        time_to_resolution=_durations(done),
        sla_met=met,
        sla_measured=measured,
        sla_attainment=_rate(met, measured),
        verified=sum(1 for c in cases if c.verified_at),
        recovered=len(recovered),
        recovery_rate=_rate(len(recovered), len(changes)),
        score_change=round(statistics.mean(changes), 2) if changes else None,
        resolved=len(resolved),
        recontacted=len(again),
        recontact_pending=pending,
        recontact_rate=_rate(len(again), len(resolved)),
        drill=Drill(
            cases=where.to_query(),
            replied=_ids(c.pk for c in cases if c.first_response_at),
            resolved=_ids(c.pk for c in resolved),
            sla_missed=_ids(missed),
            recovered=_ids(recovered),
            recontacted=_ids(again),
        ),
    )


def _sla(cases: list[Case]) -> tuple[int, int, list[int]]:
    """Deadlines met and measured (first response and resolution, once each is reached) and
    the cases that missed one."""
    met = measured = 0
    missed = []
    for c in cases:
        kept = True
        for due, at in (
            (c.first_response_due, c.first_response_at),
            (c.resolution_due, c.resolved_at),
        ):
            if due and at:
                measured += 1
                met += at <= due
                kept = kept and at <= due
        if not kept:
            missed.append(c.pk)
    return met, measured, missed


def _ids(ids: Iterable[int]) -> str | None:
    chosen = sorted(ids)
    return CaseFilter(ids=tuple(chosen)).to_query() if len(chosen) <= MAX_IDS else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# -- groups --------------------------------------------------------------------------------

Grouper = Callable[[Workspace, _Facts, CaseFilter, Period, str], list[LoopGroup]]


def _by_team(
    workspace: Workspace, facts: _Facts, base: CaseFilter, period: Period, grain: str
) -> list[LoopGroup]:
    """A record counts for its case's team; a record without a case for none."""
    names = dict(Team.objects.filter(workspace=workspace).values_list("id", "name"))
    return _by_owner(facts, base, period, "team", lambda c: c.team_id, names)


def _by_agent(
    workspace: Workspace, facts: _Facts, base: CaseFilter, period: Period, grain: str
) -> list[LoopGroup]:
    ids = {c.assignee_id for c in facts.cases} | {
        r.case.assignee_id for r in facts.records if r.case
    }
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=ids - {None})}
    return _by_owner(facts, base, period, "assignee", lambda c: c.assignee_id, names)


def _by_owner(
    facts: _Facts,
    base: CaseFilter,
    period: Period,
    field_name: str,
    owner: Callable[[Case], int | None],
    names: dict[int, str],
) -> list[LoopGroup]:
    keys = {owner(c) for c in facts.cases} | {owner(r.case) for r in facts.records if r.case}
    groups = []
    for key in sorted(keys, key=lambda k: (k is None, names.get(k or 0, ""), k or 0)):
        where = _owned(base, field_name, key)
        records = [r for r in facts.records if r.case and owner(r.case) == key]
        cases = [c for c in facts.cases if owner(c) == key]
        name = names.get(key, str(key)) if key is not None else ""
        numbers = _numbers(facts, records, cases, where)
        groups.append(
            LoopGroup(str(key) if key else "none", name, period.start, period.end, numbers)
        )
    return groups


def _owned(base: CaseFilter, field_name: str, key: int | None) -> CaseFilter:
    if key is None:
        return replace(base, without=field_name)
    return replace(base, team=key) if field_name == "team" else replace(base, assignee=key)


def _by_topic(
    workspace: Workspace, facts: _Facts, base: CaseFilter, period: Period, grain: str
) -> list[LoopGroup]:
    """A case counts for every topic of its records (``unassigned`` when they have none), a
    record for every topic of its own."""
    names = topic_names(workspace_id=workspace.pk)
    language_ko = (get_language() or "ko").startswith("ko")
    of_case = {c.pk: facts.topics.get(c.pk) or (UNASSIGNED,) for c in facts.cases}
    of_record = {r.id: r.topics or (UNASSIGNED,) for r in facts.records}
    keys = {k for ks in of_case.values() for k in ks} | {k for ks in of_record.values() for k in ks}
    groups = []
    for key in sorted(keys, key=lambda k: (k == UNASSIGNED, k)):
        cases = [c for c in facts.cases if key in of_case[c.pk]]
        records = [r for r in facts.records if key in of_record[r.id]]
        ko, en = names.get(key, (key, key))
        numbers = _numbers(facts, records, cases, replace(base, topic=key))
        groups.append(LoopGroup(key, ko if language_ko else en, period.start, period.end, numbers))
    return groups


def _by_period(
    workspace: Workspace, facts: _Facts, base: CaseFilter, period: Period, grain: str
) -> list[LoopGroup]:
    """Every bucket of the period, empty ones too; a case counts on its creation's day."""
    zone = zoneinfo.ZoneInfo(workspace.timezone)
    day_of = {c.pk: timezone.localtime(c.created_at, zone).date() for c in facts.cases}
    groups = []
    first = bucket_start(day=period.start, grain=grain)
    while first <= period.end:
        start, end = bucket_days(start=first, grain=grain, period=period)
        cases = [c for c in facts.cases if start <= day_of[c.pk] <= end]
        records = [r for r in facts.records if start <= r.day <= end]
        where = replace(base, created_from=start, created_to=end)
        numbers = _numbers(facts, records, cases, where)
        groups.append(LoopGroup(start.isoformat(), start.isoformat(), start, end, numbers))
        first = bucket_days(start=first, grain=grain, period=Period(first, dt.date.max))[1]
        first += dt.timedelta(days=1)
    return groups


_GROUPERS: dict[str, Grouper] = {
    "team": _by_team,
    "agent": _by_agent,
    "topic": _by_topic,
    "period": _by_period,
}


def loop_metrics_json(found: LoopMetrics) -> dict[str, object]:
    """The API's body: the period's numbers at the top (as before groups came), ``groups``
    with ``by``."""
    groups = None
    if found.by is not None:
        groups = [
            {"key": g.key, "name": g.name, "start": g.start.isoformat(),
             "end": g.end.isoformat(), **asdict(g.numbers)}
            for g in found.groups
        ]  # fmt: skip
    return {
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        **asdict(found.numbers),
        "by": found.by,
        "grain": found.grain,
        "groups": groups,
    }
