"""REST endpoints for surveys: build, publish, close, invite, results (docs/surveys.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Router, Schema
from pydantic import ConfigDict

from soriloop.accounts.api import read_auth, request_key, write_auth
from soriloop.core.api_types import RecordId
from soriloop.core.errors import (
    BODY_ERRORS,
    ONE_ERRORS,
    WRITE_ERRORS,
    documented,
    invalid,
    json_ok,
    not_found,
)
from soriloop.surveys import selectors, services
from soriloop.surveys.models import Survey
from soriloop.surveys.questions import KINDS, OPERATORS, SurveyInvalid

router = Router(tags=["surveys"])

Language = Literal["ko", "en"]
Texts = dict[Language, str]


class ConditionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="An earlier question's key.")
    op: Literal[OPERATORS] = "eq"  # type: ignore[valid-type]
    value: Any = None


class ChoiceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=80)
    text: Texts | str


class QuestionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    kind: Literal[KINDS] = Field(  # type: ignore[valid-type]
        description="nps 0-10, csat 1-5, ces 1-7, stars 1-5, single, multiple, text, hidden"
    )
    text: Texts | str | None = Field(
        default=None, description="By language; every question but a hidden one has one."
    )
    required: bool = False
    choices: list[ChoiceIn | str] | None = Field(
        default=None, description="single and multiple: the choices.", max_length=30
    )
    other: bool = Field(default=False, description='single and multiple: allow "other".')
    show_if: ConditionIn | None = Field(default=None, description="Ask only when it holds.")


class SurveyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    touchpoint: str = Field(default="", max_length=120)
    languages: list[Language] = Field(default=["ko", "en"], min_length=1, max_length=2)
    questions: list[QuestionIn] = Field(min_length=1, max_length=50)
    thank_you: Texts | None = None


class SurveyPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    touchpoint: str | None = Field(default=None, max_length=120)
    languages: list[Language] | None = Field(default=None, min_length=1, max_length=2)
    questions: list[QuestionIn] | None = Field(default=None, min_length=1, max_length=50)
    thank_you: Texts | None = None


class SurveyOut(Schema):
    id: int
    name: str
    touchpoint: str
    languages: list[str]
    state: Literal["draft", "live", "closed"]
    version: int
    questions: list[dict[str, Any]]
    thank_you: dict[str, str]
    public_link: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    closed_at: dt.datetime | None


class SurveyPage(Schema):
    items: list[SurveyOut]


class RecipientIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=254)
    external_id: str | None = Field(default=None, max_length=254)
    language: Language | None = None
    hidden: dict[str, str] | None = Field(default=None, description="Hidden fields' values.")


class InvitationsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    recipients: list[RecipientIn] = Field(min_length=1, max_length=services.MAX_RECIPIENTS)
    send: Literal["email", "none"] = "none"
    expires_days: int | None = Field(default=None, ge=1, le=365)


class InvitationOut(Schema):
    id: int
    email: str
    name: str
    external_id: str
    language: str
    link: str
    expires_at: dt.datetime | None
    customer_id: int | None


class InvitationsOut(Schema):
    invitations: list[InvitationOut]


class MetricOut(Schema):
    score: float | None
    n: int
    ci: list[float | None] | None


class QuestionResultOut(Schema):
    key: str
    kind: str
    n: int
    reached: int
    dropoff: float | None
    summary: dict[str, Any]


class TrendOut(Schema):
    week: str
    nps: MetricOut


class ResultsOut(Schema):
    invited: int
    started: int
    finished: int
    response_rate: float | None
    completion_rate: float | None
    questions: list[QuestionResultOut]
    nps: MetricOut
    csat: MetricOut
    ces: MetricOut
    trend: list[TrendOut]


def survey_json(survey: Survey) -> dict[str, Any]:
    current = survey.current
    return {
        "id": survey.pk,
        "name": survey.name,
        "touchpoint": survey.touchpoint,
        "languages": survey.languages,
        "state": survey.state,
        "version": current.number,
        "questions": current.questions,
        "thank_you": survey.thank_you,
        "public_link": services.public_link(survey),
        "created_at": survey.created_at.isoformat(),
        "published_at": survey.published_at.isoformat() if survey.published_at else None,
        "closed_at": survey.closed_at.isoformat() if survey.closed_at else None,
    }


def _survey(request: HttpRequest, survey_id: Path[RecordId]) -> Survey | None:
    return selectors.survey_get(workspace=request_key(request).workspace, survey_id=survey_id)


@router.post(
    "/surveys",
    auth=write_auth,
    summary="Create a survey (a draft)",
    response=documented({201: SurveyOut}, WRITE_ERRORS, BODY_ERRORS),
)
def survey_create(request: HttpRequest, payload: SurveyIn) -> HttpResponse:
    data = payload.model_dump(exclude_none=True)
    try:
        survey = services.survey_create(
            workspace=request_key(request).workspace, actor=None, data=data
        )
    except SurveyInvalid as exc:
        return invalid(exc.fields, "survey")
    return json_ok(survey_json(survey), 201)


@router.get(
    "/surveys", auth=read_auth, summary="List the surveys", response=documented({200: SurveyPage})
)
def survey_list(request: HttpRequest) -> HttpResponse:
    surveys = selectors.surveys_listed(workspace=request_key(request).workspace, limit=500)
    return json_ok({"items": [survey_json(s) for s in surveys]})


@router.get(
    "/surveys/{survey_id}",
    auth=read_auth,
    summary="Read a survey",
    response=documented({200: SurveyOut}, ONE_ERRORS),
)
def survey_read(request: HttpRequest, survey_id: Path[RecordId]) -> HttpResponse:
    survey = _survey(request, survey_id)
    return json_ok(survey_json(survey)) if survey else not_found("survey")


@router.patch(
    "/surveys/{survey_id}",
    auth=write_auth,
    summary="Change a survey (questions of a live one become a new version)",
    response=documented({200: SurveyOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def survey_patch(
    request: HttpRequest, survey_id: Path[RecordId], payload: SurveyPatch
) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    try:
        services.survey_update(
            survey=survey, actor=None, data=payload.model_dump(exclude_none=True)
        )
    except SurveyInvalid as exc:
        return invalid(exc.fields, "survey")
    return json_ok(survey_json(survey))


@router.post(
    "/surveys/{survey_id}/publish",
    auth=write_auth,
    summary="Open a survey to answers",
    response=documented({200: SurveyOut}, ONE_ERRORS, WRITE_ERRORS),
)
def survey_publish(request: HttpRequest, survey_id: Path[RecordId]) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    try:
        services.survey_publish(survey=survey, actor=None)
    except SurveyInvalid as exc:
        return invalid(exc.fields, "survey")
    return json_ok(survey_json(survey))


@router.post(
    "/surveys/{survey_id}/close",
    auth=write_auth,
    summary="Stop taking answers",
    response=documented({200: SurveyOut}, ONE_ERRORS, WRITE_ERRORS),
)
def survey_close(request: HttpRequest, survey_id: Path[RecordId]) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    services.survey_close(survey=survey, actor=None)
    return json_ok(survey_json(survey))


@router.post(
    "/surveys/{survey_id}/invitations",
    auth=write_auth,
    summary="Single-use links for recipients, optionally e-mailed",
    response=documented({201: InvitationsOut}, ONE_ERRORS, WRITE_ERRORS, BODY_ERRORS),
)
def survey_invite(
    request: HttpRequest, survey_id: Path[RecordId], payload: InvitationsIn
) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    try:
        recipients = services.parse_recipients(
            [r.model_dump(exclude_none=True) for r in payload.recipients]
        )
        invitations = services.invitations_create(
            survey=survey,
            actor=None,
            recipients=recipients,
            send=payload.send,
            expires_days=payload.expires_days,
        )
    except SurveyInvalid as exc:
        return invalid(exc.fields, "survey")
    items = [
        {
            "id": i.pk,
            "email": i.email,
            "name": i.name,
            "external_id": i.external_id,
            "language": i.language,
            "link": services.invitation_link(i),
            "expires_at": i.expires_at.isoformat() if i.expires_at else None,
            "customer_id": i.customer_id,
        }
        for i in invitations
    ]
    return json_ok({"invitations": items}, 201)


@router.get(
    "/surveys/{survey_id}/results",
    auth=read_auth,
    summary="Counts, response rate, per-question summaries, NPS / CSAT / CES",
    response=documented({200: ResultsOut}, ONE_ERRORS),
)
def survey_results(request: HttpRequest, survey_id: Path[RecordId]) -> HttpResponse:
    survey = _survey(request, survey_id)
    if survey is None:
        return not_found("survey")
    return json_ok(selectors.survey_results(survey=survey))
