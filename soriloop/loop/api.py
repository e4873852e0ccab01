"""REST endpoints of the loop: cases, replies, notes, case rules, teams and the loop metrics
(docs/cases.md). An API key acts as the member who made it: their role and teams decide."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict, StrictBool, field_validator

from soriloop.accounts.api import read_auth, write_auth
from soriloop.accounts.models import ApiKey, Membership
from soriloop.accounts.services import TeamInvalid, team_create
from soriloop.alerts.api import AlertConditionsIn, AlertConditionsOut
from soriloop.alerts.rules import AlertRuleInvalid
from soriloop.alerts.selectors import member_of
from soriloop.core.api_types import NO_NUL, Day, RecordId, not_a_boolean, omitted
from soriloop.core.errors import BODY_ERRORS, ONE_ERRORS, WRITE_ERRORS, documented, envelope
from soriloop.loop import rules, selectors, services
from soriloop.loop.mail import TEMPLATES
from soriloop.loop.models import CaseStatus
from soriloop.loop.priority import LEVELS

router = Router(tags=["cases"])

StatusName = Literal[tuple(CaseStatus.values)]  # type: ignore[valid-type]
LevelName = Literal[LEVELS]  # type: ignore[valid-type]
TemplateName = Literal[tuple(sorted(TEMPLATES))]  # type: ignore[valid-type]
QueueName = Literal["mine", "team", "unassigned", "breaching", "open"]
Text = Annotated[str, Field(pattern=NO_NUL)]


class CaseQuery(Schema):
    status: StatusName | None = omitted()  # type: ignore[valid-type]
    team: RecordId | None = omitted()
    assignee: RecordId | None = omitted(description="A user id.")
    feedback: RecordId | None = omitted(description="The case of this record.")
    queue: QueueName | None = omitted()
    limit: int = Field(default=100, ge=1, le=500)


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


class MetricsQuery(Schema):
    start: Day
    end: Day
    team: RecordId | None = omitted()


class DurationsOut(Schema):
    median_minutes: float | None
    p90_minutes: float | None
    count: int


class LoopMetricsOut(Schema):
    start: dt.date
    end: dt.date
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


def _key(request: HttpRequest) -> ApiKey:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return key


def _member(request: HttpRequest) -> Membership | None:
    key = _key(request)
    return member_of(workspace=key.workspace, user=key.created_by)


def _acting(request: HttpRequest) -> Membership:
    """The key's member, for a write; refused when the member who made the key is gone."""
    member = _member(request)
    if member is None:
        raise PermissionDenied("the member who made this API key is no longer in the workspace")
    return member


def _json(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _missing() -> JsonResponse:
    return envelope(404, "No such case in this workspace.")


def _invalid(exc: services.CaseInvalid | AlertRuleInvalid | TeamInvalid) -> JsonResponse:
    return envelope(422, "The request has invalid fields.", exc.fields)


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
        workspace=_key(request).workspace, member=_member(request), status=query.status,
        team=query.team, assignee=query.assignee, feedback=query.feedback, queue=query.queue,
        limit=query.limit,
    )  # fmt: skip
    return _json({"items": [selectors.case_summary_json(c) for c in found]})


@router.get(
    "/cases/{case_id}",
    auth=read_auth,
    summary="One case with its priority reasons, SLA deadlines and history",
    response=documented({200: CaseDetailOut}, ONE_ERRORS),
)
def case_read(request: HttpRequest, case_id: Path[RecordId]) -> HttpResponse:
    case = selectors.case_get(
        workspace=_key(request).workspace, member=_member(request), case_id=case_id
    )
    return _json(_detail(case)) if case else _missing()


@router.post(
    "/cases",
    auth=write_auth,
    summary="Open a case by hand from one or several records",
    response=documented({201: CaseDetailOut}, WRITE_ERRORS, BODY_ERRORS),
)
def case_create(request: HttpRequest, payload: CaseIn) -> HttpResponse:
    try:
        case = services.case_create(
            workspace=_key(request).workspace, actor=_member(request),
            feedback_ids=payload.feedback, team_id=payload.team, assignee_id=payload.assignee,
        )  # fmt: skip
    except services.CaseInvalid as exc:
        return _invalid(exc)
    return _json(_detail(case), 201)


@router.patch(
    "/cases/{case_id}",
    auth=write_auth,
    summary="Change status, assignee, team or override the priority (with a reason)",
    response=documented({200: CaseDetailOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def case_patch(request: HttpRequest, case_id: Path[RecordId], payload: CasePatch) -> HttpResponse:
    member = _member(request)
    case = selectors.case_get(workspace=_key(request).workspace, member=member, case_id=case_id)
    if case is None:
        return _missing()
    data = payload.model_dump(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k in ("assignee", "team", "priority")}
    try:
        case = services.case_update(case=case, actor=member, data=data)
    except services.CaseInvalid as exc:
        return _invalid(exc)
    return _json(_detail(case))


@router.post(
    "/cases/{case_id}/replies",
    auth=write_auth,
    summary="Reply to the customer by e-mail (queued, sent by the worker)",
    response=documented({201: ReplyOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def case_reply(request: HttpRequest, case_id: Path[RecordId], payload: ReplyIn) -> HttpResponse:
    member = _member(request)
    case = selectors.case_get(workspace=_key(request).workspace, member=member, case_id=case_id)
    if case is None:
        return _missing()
    try:
        reply = services.case_reply(
            case=case, actor=member, body=payload.body, template=payload.template or ""
        )
    except services.CaseInvalid as exc:
        return _invalid(exc)
    return _json(selectors.reply_json(reply), 201)


@router.post(
    "/cases/{case_id}/notes",
    auth=write_auth,
    summary="An internal note; @mentions notify members",
    response=documented({201: NoteOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def case_note(request: HttpRequest, case_id: Path[RecordId], payload: NoteIn) -> HttpResponse:
    member = _member(request)
    case = selectors.case_get(workspace=_key(request).workspace, member=member, case_id=case_id)
    if case is None:
        return _missing()
    try:
        note = services.case_note(case=case, actor=member, body=payload.body)
    except services.CaseInvalid as exc:
        return _invalid(exc)
    body = {
        "id": note.pk,
        "author": member.user.display_name if member else "",
        "body": note.body,
        "mentions": note.mentions,
        "created_at": note.created_at.isoformat(),
    }
    return _json(body, 201)


@router.get(
    "/case-rules",
    auth=read_auth,
    summary="The rules that open cases",
    response=documented({200: CaseRulePage}),
)
def case_rule_list(request: HttpRequest) -> HttpResponse:
    found = selectors.case_rules_of(workspace=_key(request).workspace)
    return _json({"items": [selectors.case_rule_json(r) for r in found]})


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
            workspace=_key(request).workspace, actor=_acting(request), data=data
        )
    except AlertRuleInvalid as exc:
        return _invalid(exc)
    return _json(selectors.case_rule_json(rule), 201)


@router.post(
    "/teams",
    auth=write_auth,
    summary="A team that cases are routed to",
    response=documented({201: TeamOut}, WRITE_ERRORS, BODY_ERRORS),
)
def team_add(request: HttpRequest, payload: TeamIn) -> HttpResponse:
    try:
        team = team_create(
            workspace=_key(request).workspace, actor=_acting(request), name=payload.name,
            lead_id=payload.lead, assignment=payload.assignment, restricted=payload.restricted,
            members=[m.model_dump() for m in payload.members],
        )  # fmt: skip
    except TeamInvalid as exc:
        return _invalid(exc)
    body = {
        "id": team.pk,
        "name": team.name,
        "lead": team.lead_id,
        "assignment": team.assignment,
        "restricted": team.restricted,
    }
    return _json(body, 201)


@router.get(
    "/loop/metrics",
    auth=read_auth,
    summary="Closed-loop rate, response times, SLA attainment and recovery",
    response=documented({200: LoopMetricsOut}),
)
def loop_metrics(request: HttpRequest, query: Query[MetricsQuery]) -> HttpResponse:
    if query.end < query.start:
        return envelope(422, "The period ends before it starts.", {"end": ["before start"]})
    found = selectors.metrics_loop(
        workspace=_key(request).workspace, start=query.start, end=query.end, team=query.team
    )
    body = asdict(found)
    body["start"], body["end"] = found.start.isoformat(), found.end.isoformat()
    return _json(body)
