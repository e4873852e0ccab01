"""REST endpoints of the loop: cases, replies, notes, case rules, teams and the loop metrics
(docs/cases.md). An API key acts as the member who made it: their role and teams decide."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict, StrictBool, field_validator

from soriloop.accounts.api import read_auth, request_key, write_auth
from soriloop.accounts.models import Membership
from soriloop.accounts.selectors import team_get, teams_of
from soriloop.accounts.services import TeamInvalid, team_create, team_member_set
from soriloop.alerts.rules import AlertRuleInvalid
from soriloop.alerts.schemas import AlertConditionsIn, AlertConditionsOut
from soriloop.alerts.selectors import member_of
from soriloop.core.api_types import NO_NUL, Day, Matching, OneOf, RecordId, not_a_boolean, omitted
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    envelope,
    invalid,
    json_ok,
    not_found,
)
from soriloop.feedback.filters import SLUG_PROBLEM, TOPIC_PATTERN, TOPIC_RE
from soriloop.insights.selectors import GRAINS
from soriloop.loop import metrics, rules, selectors, services
from soriloop.loop.calendar import DEFAULT_HOURS
from soriloop.loop.mail import TEMPLATES
from soriloop.loop.metrics import BY
from soriloop.loop.models import CaseStatus
from soriloop.loop.priority import LEVELS
from soriloop.loop.sla import loop_settings_of, sla_minutes

router = Router(tags=["cases"])

StatusName = Literal[tuple(CaseStatus.values)]  # type: ignore[valid-type]
LevelName = Literal[LEVELS]  # type: ignore[valid-type]
TemplateName = Literal[tuple(sorted(TEMPLATES))]  # type: ignore[valid-type]
QueueName = Literal["mine", "team", "unassigned", "breaching", "open"]
IDS_PATTERN = f"^[0-9]{{1,19}}(,[0-9]{{1,19}}){{0,{selectors.MAX_IDS - 1}}}$"
Text = Annotated[str, Field(pattern=NO_NUL)]


class CaseQuery(Schema):
    status: StatusName | None = omitted()  # type: ignore[valid-type]
    team: RecordId | None = omitted()
    assignee: RecordId | None = omitted(description="A user id.")
    feedback: RecordId | None = omitted(description="The case of this record.")
    queue: QueueName | None = omitted()
    ids: Annotated[str, Field(pattern=IDS_PATTERN)] | None = omitted(
        description="Comma-separated case ids (at most 500)."
    )
    created_from: Day | None = omitted(description="Created on or after this day.")
    created_to: Day | None = omitted(description="Created on or before this day.")
    topic: Annotated[str, Matching(TOPIC_PATTERN, SLUG_PROBLEM, TOPIC_RE)] | None = omitted(
        description="A topic of the case's records, or unassigned (none of them has one)."
    )
    without: Annotated[str, OneOf(selectors.WITHOUT)] | None = omitted(
        description="Cases with no team, or no assignee."
    )
    limit: int = Field(default=100, ge=1, le=500)

    def filters(self) -> selectors.CaseFilter:
        return selectors.CaseFilter(
            ids=tuple(int(i) for i in self.ids.split(",")) if self.ids else (),
            created_from=self.created_from, created_to=self.created_to,
            topic=self.topic or "", without=self.without or "",
        )  # fmt: skip


class SlaOut(Schema):
    first_response_due: dt.datetime | None
    next_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    paused: bool
    running: list[str]
    breached: list[str]


class CaseOut(Schema):
    id: int
    status: StatusName  # type: ignore[valid-type]
    priority: LevelName
    priority_score: int
    priority_reasons: list[str]
    priority_override_reason: str | None
    team: int | None
    assignee: int | None
    customer: int | None
    subject: str
    topic: str
    created_at: dt.datetime
    updated_at: dt.datetime
    sla: SlaOut


class CasePage(Schema):
    items: list[CaseOut]


class HistoryOut(Schema):
    at: dt.datetime
    who: str
    kind: str
    data: dict[str, Any]


class NoteOut(Schema):
    id: int
    author: str
    body: str
    mentions: list[int]
    created_at: dt.datetime


class ReplyOut(Schema):
    id: int
    state: Literal["queued", "sending", "sent", "failed"]
    subject: str
    body: str
    template: str | None
    message_id: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class VerificationOut(Schema):
    sent_at: dt.datetime
    answered_at: dt.datetime | None
    solved: bool | None
    score: int | None


class CaseDetailOut(CaseOut):
    feedback: list[int]
    acknowledged_at: dt.datetime | None
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    verified_at: dt.datetime | None
    no_survey_reason: str | None
    reply_address: str
    history: list[HistoryOut]
    notes: list[NoteOut]
    replies: list[ReplyOut]
    verification: VerificationOut | None


class CaseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    feedback: list[RecordId] = Field(min_length=1, max_length=services.MAX_FEEDBACK)
    team: RecordId | None = None
    assignee: RecordId | None = Field(default=None, description="A user id.")


class CasePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    status: StatusName | None = None  # type: ignore[valid-type]
    assignee: RecordId | None = Field(default=None, description="A user id; null unassigns.")
    team: RecordId | None = Field(default=None, description="null: no team.")
    priority: LevelName | None = Field(
        default=None, description="An override; needs priority_reason. null drops it."
    )
    priority_reason: str | None = Field(default=None, max_length=300, pattern=NO_NUL)
    no_survey_reason: str | None = Field(
        default=None,
        max_length=300,
        pattern=NO_NUL,
        description="With status resolved: no verification survey, and why.",
    )


class ReplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000, pattern=NO_NUL)
    template: TemplateName | None = None  # type: ignore[valid-type]


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000, pattern=NO_NUL)


class CaseRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    enabled: StrictBool = True
    conditions: AlertConditionsIn
    join_related: StrictBool = True
    join_days: int = Field(default=14, ge=0, le=365)
    team: RecordId | None = None

    _numbers = field_validator("join_days", mode="before")(not_a_boolean)


class CaseRuleOut(Schema):
    id: int
    name: str
    key: str | None
    enabled: bool
    conditions: AlertConditionsOut
    join_related: bool
    join_days: int
    team: int | None
    created_at: dt.datetime


class CaseRulePage(Schema):
    items: list[CaseRuleOut]


class TeamMemberIn(Schema):
    model_config = ConfigDict(extra="forbid")

    user: RecordId
    away: StrictBool = False
    cap: int | None = Field(default=None, ge=1, le=10_000)

    _numbers = field_validator("cap", mode="before")(not_a_boolean)


class TeamIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=NO_NUL)
    lead: RecordId | None = None
    assignment: Literal["round_robin", "least_open"] = "round_robin"
    restricted: StrictBool = False
    members: list[TeamMemberIn] = Field(default_factory=list, max_length=200)


class TeamOut(Schema):
    id: int
    name: str
    lead: int | None
    assignment: str
    restricted: bool


class LoopMetricsQuery(Schema):
    start: Day
    end: Day
    team: RecordId | None = omitted()
    by: Annotated[str, OneOf(BY)] | None = omitted(
        description="Adds `groups`: one per team, agent, topic or period bucket."
    )
    grain: Annotated[str, OneOf(GRAINS)] = Field(
        default="week", description="The buckets of `by=period`."
    )


class DurationsOut(Schema):
    median_minutes: float | None
    p90_minutes: float | None
    count: int


class LoopDrillOut(Schema):
    """Query strings of `GET /api/v1/cases` (and the cases page) naming the cases behind
    each number; null when more than 500 cases would be named by id."""

    cases: str
    replied: str | None
    resolved: str | None
    sla_missed: str | None
    recovered: str | None
    recontacted: str | None


class LoopNumbersOut(Schema):
    unhappy_records: int
    closed_loop: int
    closed_loop_rate: float | None
    cases: int
    time_to_acknowledge: DurationsOut
    time_to_first_response: DurationsOut
    time_to_resolution: DurationsOut
    sla_met: int
    sla_measured: int
    sla_attainment: float | None
    verified: int
    recovered: int
    recovery_rate: float | None
    score_change: float | None
    resolved: int
    recontacted: int
    recontact_pending: int
    recontact_rate: float | None
    drill: LoopDrillOut


class LoopGroupOut(LoopNumbersOut):
    key: str
    name: str
    start: dt.date
    end: dt.date


class LoopMetricsOut(LoopNumbersOut):
    start: dt.date
    end: dt.date
    by: str | None
    grain: str | None
    groups: list[LoopGroupOut] | None


def _member(request: HttpRequest) -> Membership | None:
    key = request_key(request)
    return member_of(workspace=key.workspace, user=key.created_by)


def _acting(request: HttpRequest) -> Membership:
    """The key's member, for a write; refused when the member who made the key is gone."""
    member = _member(request)
    if member is None:
        raise PermissionDenied("the member who made this API key is no longer in the workspace")
    return member


def _detail(case: Any) -> dict[str, Any]:
    return selectors.case_detail_json(selectors.case_detail_get(case=case))


@router.get(
    "/cases",
    auth=read_auth,
    summary="Cases, highest priority first",
    response=documented({200: CasePage}),
)
def case_list(request: HttpRequest, query: Query[CaseQuery]) -> HttpResponse:
    found = selectors.case_list(
        workspace=request_key(request).workspace, member=_member(request), status=query.status,
        team=query.team, assignee=query.assignee, feedback=query.feedback, queue=query.queue,
        filters=query.filters(), limit=query.limit,
    )  # fmt: skip
    return json_ok({"items": [selectors.case_summary_json(c) for c in found]})


@router.get(
    "/cases/{case_id}",
    auth=read_auth,
    summary="One case with its priority reasons, SLA deadlines and history",
    response=documented({200: CaseDetailOut}, ONE_ERRORS),
)
def case_read(request: HttpRequest, case_id: Path[RecordId]) -> HttpResponse:
    case = selectors.case_get(
        workspace=request_key(request).workspace, member=_member(request), case_id=case_id
    )
    return json_ok(_detail(case)) if case else not_found("case")


@router.post(
    "/cases",
    auth=write_auth,
    summary="Open a case by hand from one or several records",
    response=documented({201: CaseDetailOut}, WRITE_ERRORS, BODY_ERRORS),
)
def case_create(request: HttpRequest, payload: CaseIn) -> HttpResponse:
    try:
        case = services.case_create(
            workspace=request_key(request).workspace, actor=_member(request),
            feedback_ids=payload.feedback, team_id=payload.team, assignee_id=payload.assignee,
        )  # fmt: skip
    except services.CaseInvalid as exc:
        return invalid(exc.fields)
    return json_ok(_detail(case), 201)


@router.patch(
    "/cases/{case_id}",
    auth=write_auth,
    summary="Change status, assignee, team or override the priority (with a reason)",
    response=documented({200: CaseDetailOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def case_patch(request: HttpRequest, case_id: Path[RecordId], payload: CasePatch) -> HttpResponse:
    member = _member(request)
    case = selectors.case_get(
        workspace=request_key(request).workspace, member=member, case_id=case_id
    )
    if case is None:
        return not_found("case")
    data = payload.model_dump(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k in ("assignee", "team", "priority")}
    try:
        case = services.case_update(case=case, actor=member, data=data)
    except services.CaseInvalid as exc:
        return invalid(exc.fields)
    return json_ok(_detail(case))


@router.post(
    "/cases/{case_id}/replies",
    auth=write_auth,
    summary="Reply to the customer by e-mail (queued, sent by the worker)",
    response=documented({201: ReplyOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def case_reply(request: HttpRequest, case_id: Path[RecordId], payload: ReplyIn) -> HttpResponse:
    member = _member(request)
    case = selectors.case_get(
        workspace=request_key(request).workspace, member=member, case_id=case_id
    )
    if case is None:
        return not_found("case")
    try:
        reply = services.case_reply(
            case=case, actor=member, body=payload.body, template=payload.template or ""
        )
    except services.CaseInvalid as exc:
        return invalid(exc.fields)
    return json_ok(selectors.reply_json(reply), 201)


@router.post(
    "/cases/{case_id}/notes",
    auth=write_auth,
    summary="An internal note; @mentions notify members",
    response=documented({201: NoteOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def case_note(request: HttpRequest, case_id: Path[RecordId], payload: NoteIn) -> HttpResponse:
    member = _member(request)
    case = selectors.case_get(
        workspace=request_key(request).workspace, member=member, case_id=case_id
    )
    if case is None:
        return not_found("case")
    try:
        note = services.case_note(case=case, actor=member, body=payload.body)
    except services.CaseInvalid as exc:
        return invalid(exc.fields)
    body = {
        "id": note.pk,
        "author": member.user.display_name if member else "",
        "body": note.body,
        "mentions": note.mentions,
        "created_at": note.created_at.isoformat(),
    }
    return json_ok(body, 201)


@router.get(
    "/case-rules",
    auth=read_auth,
    summary="The rules that open cases",
    response=documented({200: CaseRulePage}),
)
def case_rule_list(request: HttpRequest) -> HttpResponse:
    found = selectors.case_rules_of(workspace=request_key(request).workspace)
    return json_ok({"items": [selectors.case_rule_json(r) for r in found]})


@router.post(
    "/case-rules",
    auth=write_auth,
    summary="A rule that opens a case (or joins related feedback to an open one)",
    response=documented({201: CaseRuleOut}, WRITE_ERRORS, BODY_ERRORS),
)
def case_rule_create(request: HttpRequest, payload: CaseRuleIn) -> HttpResponse:
    data = payload.model_dump()
    data["conditions"] = payload.conditions.model_dump(exclude_none=True)
    try:
        rule = rules.case_rule_create(
            workspace=request_key(request).workspace, actor=_acting(request), data=data
        )
    except AlertRuleInvalid as exc:
        return invalid(exc.fields)
    return json_ok(selectors.case_rule_json(rule), 201)


@router.post(
    "/teams",
    auth=write_auth,
    summary="A team that cases are routed to",
    response=documented({201: TeamOut}, WRITE_ERRORS, BODY_ERRORS),
)
def team_add(request: HttpRequest, payload: TeamIn) -> HttpResponse:
    try:
        team = team_create(
            workspace=request_key(request).workspace, actor=_acting(request), name=payload.name,
            lead_id=payload.lead, assignment=payload.assignment, restricted=payload.restricted,
            members=[m.model_dump() for m in payload.members],
        )  # fmt: skip
    except TeamInvalid as exc:
        return invalid(exc.fields)
    body = {
        "id": team.pk,
        "name": team.name,
        "lead": team.lead_id,
        "assignment": team.assignment,
        "restricted": team.restricted,
    }
    return json_ok(body, 201)


@router.get(
    "/loop/metrics",
    auth=read_auth,
    summary="Closed-loop rate, response times, SLA attainment and recovery",
    response=documented({200: LoopMetricsOut}),
)
def loop_metrics(request: HttpRequest, query: Query[LoopMetricsQuery]) -> HttpResponse:
    if query.end < query.start:
        return envelope(422, "The period ends before it starts.", {"end": ["before start"]})
    buckets = metrics.loop_buckets(start=query.start, end=query.end, grain=query.grain)
    if query.by == "period" and buckets > settings.METRICS_MAX_POINTS:
        reason = f"{buckets} buckets, at most {settings.METRICS_MAX_POINTS}: choose a longer grain"
        return envelope(422, "The period has too many buckets.", {"grain": [reason]})
    found = metrics.metrics_loop(
        workspace=request_key(request).workspace, start=query.start, end=query.end,
        team=query.team, member=_member(request), by=query.by, grain=query.grain,
    )  # fmt: skip
    return json_ok(metrics.loop_metrics_json(found))


# -- teams, routing and the business calendar (admins) ----------------------------------


class TeamMemberOut(Schema):
    user: int
    away: bool
    cap: int | None


class TeamDetailOut(TeamOut):
    members: list[TeamMemberOut]


class TeamPage(Schema):
    items: list[TeamDetailOut]


class TeamMemberPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    away: StrictBool | None = None
    cap: int | None = Field(default=None, ge=1, le=10_000, description="null: no cap.")

    _numbers = field_validator("cap", mode="before")(not_a_boolean)


def _team_json(team: Any) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "lead": team.lead_id,
        "assignment": team.assignment,
        "restricted": team.restricted,
        "members": [{"user": m.user_id, "away": m.away, "cap": m.cap} for m in team.members.all()],
    }


@router.get(
    "/teams", auth=read_auth, summary="The workspace's teams", response=documented({200: TeamPage})
)
def team_list(request: HttpRequest) -> HttpResponse:
    return json_ok(
        {"items": [_team_json(t) for t in teams_of(workspace=request_key(request).workspace)]}
    )


@router.patch(
    "/teams/{team_id}/members/{user_id}",
    auth=write_auth,
    summary="Mark a member away or back (oneself, or an admin), or change their cap (an admin)",
    response=documented({200: TeamDetailOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def team_member_patch(
    request: HttpRequest, team_id: Path[RecordId], user_id: Path[RecordId], payload: TeamMemberPatch
) -> HttpResponse:
    actor = _acting(request)
    team = team_get(workspace=request_key(request).workspace, team_id=team_id)
    if team is None:
        return not_found("team")
    data = payload.model_dump(exclude_unset=True)
    found = team_member_set(
        team=team, user_id=user_id, away=data.get("away"),
        cap=data.get("cap", ...), actor=actor,
    )  # fmt: skip
    if not found:
        return envelope(404, "No such member of this team.")
    fresh = team_get(workspace=request_key(request).workspace, team_id=team_id)
    return json_ok(_team_json(fresh))


class RoutingConditionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    topics: list[Text] = Field(default_factory=list, max_length=50)
    types: list[Literal["praise", "complaint", "suggestion", "question", "bug"]] = Field(
        default_factory=list
    )
    channels: list[Text] = Field(default_factory=list, max_length=20)
    segments: list[Text] = Field(default_factory=list, max_length=50)
    languages: list[Text] = Field(default_factory=list, max_length=20)
    touchpoints: list[Text] = Field(default_factory=list, max_length=50)


class RoutingRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    conditions: RoutingConditionsIn
    team: RecordId


class RoutingRuleOut(Schema):
    id: int
    position: int
    conditions: dict[str, Any]
    team: int


class RoutingRulePage(Schema):
    items: list[RoutingRuleOut]


def _routing_json(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "position": rule.position,
        "conditions": rule.conditions,
        "team": rule.team_id,
    }


@router.get(
    "/routing-rules",
    auth=read_auth,
    summary="Where new cases go, first match wins",
    response=documented({200: RoutingRulePage}),
)
def routing_rule_list(request: HttpRequest) -> HttpResponse:
    found = selectors.routing_rules_of(workspace=request_key(request).workspace)
    return json_ok({"items": [_routing_json(r) for r in found]})


@router.post(
    "/routing-rules",
    auth=write_auth,
    summary="Route new cases meeting the conditions to a team (placed last)",
    response=documented({201: RoutingRuleOut}, WRITE_ERRORS, BODY_ERRORS),
)
def routing_rule_create(request: HttpRequest, payload: RoutingRuleIn) -> HttpResponse:
    conditions = {k: v for k, v in payload.conditions.model_dump().items() if v}
    try:
        rule = services.routing_rule_create(
            workspace=request_key(request).workspace, actor=_acting(request),
            conditions=conditions, team_id=payload.team,
        )  # fmt: skip
    except services.CaseInvalid as exc:
        return invalid(exc.fields)
    return json_ok(_routing_json(rule), 201)


Clock = Annotated[int, Field(ge=1, le=525_600)]
Period = Annotated[
    list[Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]],
    Field(min_length=2, max_length=2),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ClocksIn(Schema):
    model_config = ConfigDict(extra="forbid")

    first_response: Clock | None = None
    next_response: Clock | None = None
    resolution: Clock | None = None

    _numbers = field_validator("first_response", "next_response", "resolution", mode="before")(
        not_a_boolean
    )


class LoopSettingsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    hours: dict[Weekday, list[Period]] | None = Field(
        default=None, description='Working periods by weekday: {"mon": [["09:00", "12:00"]]}.'
    )
    days_off: list[Day] | None = Field(default=None, max_length=400)
    public_holidays: StrictBool | None = Field(
        default=None, description="Korean public holidays are days off."
    )
    sla: dict[LevelName, ClocksIn] | None = Field(
        default=None, description="Business minutes per priority level."
    )
    warn_minutes: int | None = Field(default=None, ge=1, le=10_080)

    _numbers = field_validator("warn_minutes", mode="before")(not_a_boolean)


class LoopSettingsOut(Schema):
    hours: dict[str, list[list[str]]]
    days_off: list[str]
    public_holidays: bool
    sla: dict[str, dict[str, int]]
    warn_minutes: int


def _settings_json(row: Any) -> dict[str, Any]:
    return {
        "hours": row.hours or {k: [list(p) for p in v] for k, v in DEFAULT_HOURS.items()},
        "days_off": row.days_off,
        "public_holidays": row.public_holidays,
        "sla": {level: sla_minutes(workspace=row.workspace, level=level) for level in LEVELS},
        "warn_minutes": row.warn_minutes,
    }


@router.get(
    "/loop/settings",
    auth=read_auth,
    summary="The business calendar and SLA minutes of cases",
    response=documented({200: LoopSettingsOut}),
)
def loop_settings_read(request: HttpRequest) -> HttpResponse:
    return json_ok(_settings_json(loop_settings_of(workspace=request_key(request).workspace)))


@router.put(
    "/loop/settings",
    auth=write_auth,
    summary="Change the business calendar, SLA minutes or warning time (fields left out stay)",
    response=documented({200: LoopSettingsOut}, WRITE_ERRORS, BODY_ERRORS),
)
def loop_settings_put(request: HttpRequest, payload: LoopSettingsIn) -> HttpResponse:
    data = payload.model_dump(exclude_none=True)
    if payload.days_off is not None:
        data["days_off"] = [d.isoformat() for d in payload.days_off]
    if payload.sla is not None:
        data["sla"] = {k: v.model_dump(exclude_none=True) for k, v in payload.sla.items()}
    try:
        row = services.loop_settings_update(
            workspace=request_key(request).workspace, actor=_acting(request), data=data
        )
    except services.CaseInvalid as exc:
        return invalid(exc.fields)
    return json_ok(_settings_json(row))
