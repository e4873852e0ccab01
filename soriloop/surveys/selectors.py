"""Reads of surveys: lists, a link's survey, and each survey's results."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from soriloop.accounts.models import Workspace
from soriloop.insights.metrics import Totals, ces, csat, nps
from soriloop.surveys.models import (
    Invitation,
    Message,
    MessageKind,
    MessageState,
    Response,
    Survey,
    SurveyVersion,
)
from soriloop.surveys.questions import SCALES, shown
from soriloop.surveys.services import Link


def surveys_of(*, workspace: Workspace) -> QuerySet[Survey]:
    return Survey.objects.filter(workspace=workspace).order_by("-created_at")


def surveys_listed(*, workspace: Workspace, limit: int) -> list[Survey]:
    """The newest ``limit`` surveys with their versions (for ``Survey.current``)."""
    return list(surveys_of(workspace=workspace).prefetch_related("versions")[:limit])


def survey_get(*, workspace: Workspace, survey_id: int) -> Survey | None:
    return Survey.objects.filter(workspace=workspace, pk=survey_id).first()


def link_find(*, token: str = "", public_key: str = "") -> Link | None:
    """The survey (and invitation) a respondent's link names, or None for a bad link."""
    if token:
        invitation = (
            Invitation.objects.select_related("survey__workspace", "customer")
            .filter(token=token)
            .first()
        )
        return Link(invitation.survey, invitation) if invitation else None
    survey = Survey.objects.select_related("workspace").filter(public_key=public_key).first()
    return Link(survey) if survey and public_key else None


def invitations_delivered(*, survey: Survey) -> QuerySet[Invitation]:
    """Invitations whose link reached someone: handed out through the API, or e-mailed and
    accepted by the SMTP server (not those queued, skipped, bounced or failed)."""
    undelivered = Message.objects.filter(
        kind__in=[MessageKind.INVITATION, MessageKind.FOLLOW_UP]
    ).exclude(state=MessageState.SENT)
    return Invitation.objects.filter(survey=survey).exclude(
        pk__in=undelivered.filter(invitation__survey=survey).values("invitation_id")
    )


def _scale_totals(kind: str, values: Iterable[int]) -> Totals:
    totals = Totals.zero()
    for v in values:
        if kind == "nps":
            totals["nps_n"] += 1
            totals["nps_promoters"] += v >= 9
            totals["nps_detractors"] += v <= 6
        elif kind == "csat":
            totals["csat_n"] += 1
            totals["csat_sum"] += v
            totals["csat_satisfied"] += v >= 4
        elif kind == "ces":
            totals["ces_n"] += 1
            totals["ces_sum"] += v
            totals["ces_sq"] += v * v
            totals["ces_easy"] += v >= 5
    return totals


def _summary(question: Mapping[str, Any], values: list[Any]) -> dict[str, Any]:
    kind = question["kind"]
    if kind in SCALES:
        low, high = SCALES[kind]
        scale = Counter(values)
        summary: dict[str, Any] = {
            "mean": round(sum(values) / len(values), 2) if values else None,
            "distribution": {str(v): scale.get(v, 0) for v in range(low, high + 1)},
        }
        metric = {"nps": nps, "csat": csat, "ces": ces}.get(kind)
        if metric is not None:
            summary[kind] = metric(_scale_totals(kind, values)).as_dict()
        return summary
    if kind in ("single", "multiple"):
        picked: Counter[str] = Counter()
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                picked["other" if isinstance(item, Mapping) else str(item)] += 1
        counts: dict[str, int] = {c["key"]: picked.get(c["key"], 0) for c in question["choices"]}
        if question.get("other"):
            counts["other"] = picked.get("other", 0)
        return {"counts": counts}
    if kind == "text":
        return {"answered": len(values)}
    return {"filled": len(values)}


def _score(kind: str, values: Iterable[int]) -> dict[str, Any]:
    """NPS / CSAT / CES of the answers: the score, n and 95% CI."""
    found = {"nps": nps, "csat": csat, "ces": ces}[kind](_scale_totals(kind, values)).as_dict()
    return {"score": found["value"], "n": found["n"], "ci": found["ci95"]}


def _metric(kind: str, responses: list[Response]) -> dict[str, Any]:
    """The survey's NPS / CSAT / CES over every finished response."""
    values = [
        r.answers[q["key"]]
        for r in responses
        for q in r.version.questions
        if q["kind"] == kind and q["key"] in r.answers
    ]
    return _score(kind, values)


def _trend(responses: list[Response]) -> list[dict[str, Any]]:
    """NPS by the week each response finished (Monday first)."""
    weeks: dict[dt.date, list[Response]] = {}
    for r in responses:
        assert r.finished_at is not None
        day = r.finished_at.date()
        weeks.setdefault(day - dt.timedelta(days=day.weekday()), []).append(r)
    return [
        {"week": week.isoformat(), "nps": _metric("nps", group)}
        for week, group in sorted(weeks.items())
    ]


def survey_results(*, survey: Survey) -> dict[str, Any]:
    """Counts (invited, started, finished), the response rate, each question's summary and
    drop-off, NPS / CSAT / CES with their 95% CI, and the weekly NPS trend."""
    responses = list(
        Response.objects.filter(survey=survey).select_related("version").order_by("id")
    )
    started = [r for r in responses if r.answers or r.finished_at]
    finished = [r for r in responses if r.finished_at is not None]
    invited = invitations_delivered(survey=survey).count()
    questions = []
    for q in survey.current.questions:
        values = [r.answers[q["key"]] for r in started if q["key"] in r.answers]
        reached = sum(1 for r in started if shown(q, r.answers))
        questions.append(
            {
                "key": q["key"],
                "kind": q["kind"],
                "n": len(values),
                "reached": reached,
                "dropoff": round(1 - len(values) / reached, 3) if reached else None,
                "summary": _summary(q, values),
            }
        )
    return {
        "invited": invited,
        "started": len(started),
        "finished": len(finished),
        "response_rate": round(len(finished) / invited, 3) if invited else None,
        "completion_rate": round(len(finished) / len(started), 3) if started else None,
        "questions": questions,
        "nps": _metric("nps", finished),
        "csat": _metric("csat", finished),
        "ces": _metric("ces", finished),
        "trend": _trend(finished),
    }


@dataclass(frozen=True)
class SurveyRow:
    """A line of the surveys page."""

    survey: Survey
    version: int
    started: int
    finished: int
    nps: dict[str, Any]  # score (None without NPS answers), n, ci


def survey_list(*, workspace: Workspace, limit: int = 500) -> list[SurveyRow]:
    """The workspace's surveys, newest first, each with its current version, how many
    responses started and finished, and its NPS over the finished ones (as the results)."""
    surveys = list(
        surveys_of(workspace=workspace).annotate(version_number=Max("versions__number"))[:limit]
    )
    ids = [s.pk for s in surveys]
    counts = {
        row["survey_id"]: row
        for row in Response.objects.filter(survey_id__in=ids)
        .values("survey_id")
        .annotate(
            started=Count("id", filter=~Q(answers={}) | Q(finished_at__isnull=False)),
            finished=Count("id", filter=Q(finished_at__isnull=False)),
        )
    }
    scores = _nps_by_survey(ids)
    return [
        SurveyRow(
            survey=s,
            version=s.version_number or 1,
            started=counts.get(s.pk, {}).get("started", 0),
            finished=counts.get(s.pk, {}).get("finished", 0),
            nps=_score("nps", scores.get(s.pk, [])),
        )
        for s in surveys
    ]


def _nps_by_survey(survey_ids: list[int]) -> dict[int, list[int]]:
    """The NPS answers of each survey's finished responses, read on their own versions."""
    nps_keys = {
        version_id: [q["key"] for q in questions if q["kind"] == "nps"]
        for version_id, questions in SurveyVersion.objects.filter(
            survey_id__in=survey_ids
        ).values_list("id", "questions")
    }
    found: dict[int, list[int]] = {}
    finished = Response.objects.filter(survey_id__in=survey_ids, finished_at__isnull=False)
    for survey_id, version_id, answers in finished.values_list(
        "survey_id", "version_id", "answers"
    ).iterator(chunk_size=2000):
        for key in nps_keys.get(version_id, []):
            if key in answers:
                found.setdefault(survey_id, []).append(answers[key])
    return found


def responses_started(*, survey: Survey) -> QuerySet[Response]:
    """The survey's responses with an answer or finished (what the results count as
    started), oldest first, with their version and customer."""
    return (
        Response.objects.filter(survey=survey)
        .filter(~Q(answers={}) | Q(finished_at__isnull=False))
        .select_related("version", "customer")
        .order_by("id")
    )
