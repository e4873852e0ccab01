"""Surveys: build, publish, close, invite; save answers as they come; finished answers become
feedback records through ``feedback_ingest`` (docs/surveys.md)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.core.changes import change_append
from soriloop.customers.services import CustomerRef, customer_resolve_many
from soriloop.feedback.services import feedback_ingest
from soriloop.feedback.validation import FeedbackInput, InvalidFeedback, parse_feedback
from soriloop.surveys.fatigue import Person, contact_record
from soriloop.surveys.models import (
    Campaign,
    Invitation,
    Message,
    MessageKind,
    MessageState,
    Response,
    Survey,
    SurveyState,
    SurveyVersion,
)
from soriloop.surveys.questions import (
    LANGUAGES,
    SCORED,
    SurveyInvalid,
    check_answers,
    missing_required,
    parse_definition,
    visible_answers,
)
from soriloop.surveys.sending import messages_queue

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 1000


class LinkGone(Exception):
    """The survey is closed, or the invitation expired (HTTP 410)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class AlreadyAnswered(Exception):
    """The response of this link is finished (HTTP 409)."""


def _languages(raw: Any) -> list[str]:
    if raw is None:
        return ["ko", "en"]
    if (
        not isinstance(raw, list)
        or not raw
        or any(lang not in LANGUAGES for lang in raw)
        or len(set(raw)) != len(raw)
    ):
        raise SurveyInvalid({"languages": ["must be a list of ko and/or en"]})
    return list(raw)


def _text(data: Mapping[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise SurveyInvalid({name: ["must be a non-empty string" if required else "a string"]})
    if len(value) > limit:
        raise SurveyInvalid({name: [f"must be at most {limit} characters"]})
    return value.strip()


def _thank_you(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or any(
        lang not in LANGUAGES or not isinstance(text, str) or len(text) > 500
        for lang, text in raw.items()
    ):
        raise SurveyInvalid({"thank_you": ["must be texts by language (ko, en), 500 at most"]})
    return {lang: text.strip() for lang, text in raw.items() if text.strip()}


@transaction.atomic
def survey_create(
    *, workspace: Workspace, actor: Membership | None, data: Mapping[str, Any]
) -> Survey:
    """A draft survey with its first version; raise ``SurveyInvalid`` naming bad fields."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    languages = _languages(data.get("languages"))
    questions = parse_definition(data.get("questions"), languages)
    survey = Survey.objects.create(
        workspace=workspace,
        name=_text(data, "name", 200, required=True),
        touchpoint=_text(data, "touchpoint", 120),
        languages=languages,
        thank_you=_thank_you(data.get("thank_you")),
    )
    SurveyVersion.objects.create(survey=survey, number=1, questions=questions)
    _audit(survey, actor, "survey.created")
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, actor: Membership | None, data: Mapping[str, Any]) -> Survey:
    """Change a survey. New questions on a draft replace its only version; on a live survey
    they become a new version, and the answers given on older versions keep theirs."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    if survey.state == SurveyState.CLOSED:
        raise SurveyInvalid({"state": ["a closed survey cannot be changed"]})
    if "languages" in data:
        survey.languages = _languages(data["languages"])
    for name, limit in (("name", 200), ("touchpoint", 120)):
        if name in data:
            setattr(survey, name, _text(data, name, limit, required=name == "name"))
    if "thank_you" in data:
        survey.thank_you = _thank_you(data["thank_you"])
    survey.save()
    if "questions" in data:
        questions = parse_definition(data["questions"], survey.languages)
        current = survey.current
        if survey.state == SurveyState.DRAFT:
            current.questions = questions
            current.save(update_fields=["questions"])
        elif questions != current.questions:
            SurveyVersion.objects.create(
                survey=survey, number=current.number + 1, questions=questions
            )
    _audit(survey, actor, "survey.changed")
    return survey


def survey_publish(*, survey: Survey, actor: Membership | None) -> Survey:
    """Open a draft survey to answers (a live one stays live); a closed one stays closed."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    if survey.state == SurveyState.CLOSED:
        raise SurveyInvalid({"state": ["a closed survey cannot be published again"]})
    if survey.state == SurveyState.DRAFT:
        survey.state, survey.published_at = SurveyState.LIVE, timezone.now()
        survey.save(update_fields=["state", "published_at"])
        _audit(survey, actor, "survey.published")
    return survey


def survey_close(*, survey: Survey, actor: Membership | None) -> Survey:
    """Stop taking answers; links then show a "closed" page (answers keep counting)."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    if survey.state != SurveyState.CLOSED:
        survey.state, survey.closed_at = SurveyState.CLOSED, timezone.now()
        survey.save(update_fields=["state", "closed_at"])
        _audit(survey, actor, "survey.closed")
    return survey


def _audit(survey: Survey, actor: Membership | None, action: str) -> None:
    audit_record(
        workspace=survey.workspace,
        actor=actor.user if actor else None,
        action=action,
        target=f"survey {survey.pk}",
        data={"name": survey.name},
    )


def responses_export_audit(*, actor: Membership, survey: Survey, file_format: str) -> None:
    """Check the right to export a survey's responses and record that it happened."""
    require(actor, Action.EXPORT)
    audit_record(
        workspace=survey.workspace,
        actor=actor.user,
        action="export",
        target=f"survey {survey.pk}",
        data={"format": file_format.upper()},
    )


@dataclass(frozen=True)
class Recipient:
    email: str = ""
    name: str = ""
    external_id: str = ""
    language: str = ""
    hidden: Mapping[str, str] | None = None


def parse_recipients(raw: Any) -> list[Recipient]:
    """Recipients of invitations; raise ``SurveyInvalid`` naming each bad one."""
    if not isinstance(raw, list) or not raw:
        raise SurveyInvalid({"recipients": ["must be a non-empty list"]})
    if len(raw) > MAX_RECIPIENTS:
        raise SurveyInvalid({"recipients": [f"at most {MAX_RECIPIENTS} per request"]})
    errors: dict[str, list[str]] = {}
    found = []
    for i, item in enumerate(raw):
        where = f"recipients[{i}]"
        if not isinstance(item, Mapping):
            errors[where] = ["must be an object"]
            continue
        values = {k: item.get(k) or "" for k in ("email", "name", "external_id", "language")}
        if any(not isinstance(v, str) or len(v) > 254 for v in values.values()):
            errors[where] = ["email, name, external_id and language are strings (254 at most)"]
            continue
        if values["email"] and "@" not in values["email"]:
            errors[f"{where}.email"] = ["is not an e-mail address"]
        if values["language"] and values["language"] not in LANGUAGES:
            errors[f"{where}.language"] = ["must be ko or en"]
        hidden = item.get("hidden") or {}
        if not isinstance(hidden, Mapping) or any(not isinstance(v, str) for v in hidden.values()):
            errors[f"{where}.hidden"] = ["must be an object of strings"]
            hidden = {}
        found.append(Recipient(**values, hidden={str(k)[:40]: v[:200] for k, v in hidden.items()}))
    if errors:
        raise SurveyInvalid(errors)
    return found


@transaction.atomic
def invitations_create(
    *,
    survey: Survey,
    actor: Membership | None,
    recipients: Sequence[Recipient],
    send: str = "none",
    expires_days: int | None = None,
    campaign: Campaign | None = None,
    send_at: dt.datetime | None = None,
    follow_up: bool = False,
) -> list[Invitation]:
    """One single-use link per recipient, linked to their customer profile; ``send="email"``
    queues the invitation e-mail to each recipient with an address, sent from ``send_at``
    (default now) by the outbox (surveys/sending.py) with its throttle, quiet hours,
    suppression list and contact rule; ``follow_up``: as the follow-up of a conversation the
    recipient is in (a case's verification), which quiet hours do not hold."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    if survey.state == SurveyState.CLOSED:
        raise SurveyInvalid({"survey": ["is closed"]})
    if send not in ("email", "none"):
        raise SurveyInvalid({"send": ["must be email or none"]})
    customers = customer_resolve_many(
        workspace=survey.workspace,
        refs=[
            CustomerRef(external_id=r.external_id, email=r.email, name=r.name) for r in recipients
        ],
    )
    days = expires_days if expires_days is not None else settings.SURVEY_LINK_DAYS
    start = send_at or timezone.now()
    expires = start + dt.timedelta(days=days)
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                workspace=survey.workspace,
                survey=survey,
                customer=customer,
                email=r.email,
                name=r.name,
                external_id=r.external_id,
                language=r.language or survey.languages[0],
                hidden=dict(r.hidden or {}),
                expires_at=expires,
                campaign=campaign,
            )
            for r, customer in zip(recipients, customers, strict=True)
        ]
    )
    if send == "email":
        messages_queue(
            invitations=[i for i in invitations if i.email],
            due_at=start,
            kind=MessageKind.FOLLOW_UP if follow_up else MessageKind.INVITATION,
        )
    return invitations


def invitation_link(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}/s/{invitation.token}/"


def public_link(survey: Survey) -> str:
    return f"{settings.SITE_URL}/s/p/{survey.public_key}/"


def invitation_opened(*, invitation: Invitation) -> None:
    """Note the first time an invitation's link was opened (reminders treat "never opened"
    apart from "started")."""
    now = timezone.now()
    first = Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
        opened_at=now
    )
    invitation.opened_at = invitation.opened_at or now
    if first and not Message.objects.filter(invitation=invitation).exists():
        # a link handed out elsewhere (an app, a chat): shown now, so it counts for fatigue
        contact_record(
            survey=invitation.survey,
            person=Person(invitation.customer_id, invitation.email.strip().lower()),
            channel="link",
            kind="shown",
            at=now,
        )


@dataclass(frozen=True)
class Link:
    """What a respondent's link opens: an invitation's, or the survey's public link."""

    survey: Survey
    invitation: Invitation | None = None

    @property
    def workspace(self) -> Workspace:
        return self.survey.workspace


def link_check(link: Link) -> None:
    """Raise ``LinkGone`` when the link no longer takes answers."""
    if link.survey.state == SurveyState.CLOSED:
        raise LinkGone("closed", "This survey is closed.")
    if link.survey.state == SurveyState.DRAFT:
        raise LinkGone("not_open", "This survey is not open yet.")
    expires = link.invitation.expires_at if link.invitation else None
    if expires is not None and expires < timezone.now():
        raise LinkGone("expired", "This survey link has expired.")


def response_of(link: Link, *, device: str = "", language: str = "") -> Response | None:
    """The link's response so far: the invitation's, or this device's on a public link."""
    if link.invitation is not None:
        return Response.objects.filter(invitation=link.invitation).first()
    if not device:
        return None
    return (
        Response.objects.filter(survey=link.survey, invitation=None, device=device)
        .order_by("-started_at")
        .first()
    )


def response_answer(
    *,
    link: Link,
    answers: Mapping[str, Any],
    final: bool,
    device: str = "",
    language: str = "",
    hidden: Mapping[str, str] | None = None,
) -> Response:
    """Save answers as they are given (partial answers count; the same link or device goes
    on where it stopped). ``final`` finishes the response: required questions must then be
    answered, and the answers become feedback records in the same transaction.

    Raises ``LinkGone`` (closed, expired), ``AlreadyAnswered`` (finished) and
    ``SurveyInvalid`` (keyed by the question)."""
    link_check(link)
    with transaction.atomic():
        response = _locked_response(link, device=device, language=language, hidden=hidden)
        if response.finished_at is not None or response.recorded_at is not None:
            raise AlreadyAnswered()
        questions = response.version.questions
        merged = {**response.answers, **check_answers(questions, answers)}
        merged = {k: v for k, v in merged.items() if v is not None}
        if final:
            missing = missing_required(questions, merged)
            if missing:
                raise SurveyInvalid(missing)
            merged = visible_answers(questions, merged)
        response.answers = merged
        response.updated_at = timezone.now()
        if final:
            response.finished_at = response.updated_at
        response.save()
        if final:
            response_record(response=response)
    return response


def _locked_response(
    link: Link, *, device: str, language: str, hidden: Mapping[str, str] | None
) -> Response:
    """The link's response, locked for this update; created on the first answer."""
    if link.invitation is not None:
        found = Response.objects.select_for_update().filter(invitation=link.invitation).first()
    elif device:
        found = (
            Response.objects.select_for_update()
            .filter(survey=link.survey, invitation=None, device=device)
            .order_by("-started_at")
            .first()
        )
    else:
        found = None
    if found is not None:
        return found
    invitation = link.invitation
    lang = language if language in link.survey.languages else link.survey.languages[0]
    return Response.objects.create(
        workspace=link.workspace,
        survey=link.survey,
        version=link.survey.current,
        invitation=invitation,
        device=device if invitation is None else "",
        customer=invitation.customer if invitation else None,
        language=(invitation.language if invitation and invitation.language else lang),
        hidden={**(dict(hidden or {})), **(invitation.hidden if invitation else {})},
    )


def _customer_ref(response: Response) -> dict[str, str] | None:
    invitation = response.invitation
    if invitation is not None:
        ref = {
            "external_id": invitation.external_id,
            "email": invitation.email,
            "name": invitation.name,
        }
        return {k: v for k, v in ref.items() if v} or None
    customer = response.customer
    if customer is not None:
        known = {"external_id": customer.external_id or "", "email": customer.email or ""}
        return {k: v for k, v in known.items() if v} or None
    return None


def feedback_items(response: Response) -> list[FeedbackInput]:
    """The feedback records a response makes: one per answered scored question, its text the
    open answer that follows it (up to the next scored question); an open answer no scored
    question claims is a record of its own. Choices and hidden fields go in the metadata."""
    survey, questions = response.survey, response.version.questions
    answers = response.answers
    choices = {
        q["key"]: answers[q["key"]]
        for q in questions
        if q["kind"] in ("single", "multiple") and q["key"] in answers
    }
    base = {
        "survey_id": survey.pk,
        "survey": survey.name,
        "survey_version": response.version.number,
        "response_id": response.pk,
        "lang": response.language,
        **{f"hidden_{k}": v for k, v in response.hidden.items()},
        **({"choices": choices} if choices else {}),
    }
    groups: list[tuple[dict[str, Any] | None, list[str]]] = []
    for q in questions:
        if q["kind"] in SCORED:
            groups.append((q, []))
        elif q["kind"] == "text" and answers.get(q["key"]):
            if groups and groups[-1][0] is not None and not groups[-1][1]:
                groups[-1][1].append(q["key"])
            else:
                groups.append((None, [q["key"]]))
    items = []
    tz = ZoneInfo(survey.workspace.timezone)
    when = response.finished_at or response.updated_at
    for scored, texts in groups:
        key = scored["key"] if scored else texts[0]
        if scored is not None and scored["key"] not in answers:
            if not texts:
                continue
            scored, key = None, texts[0]
        data: dict[str, Any] = {
            "channel": "survey",
            "source": f"survey-{survey.pk}",
            "external_id": f"response-{response.pk}-{key}",
            "touchpoint": survey.touchpoint,
            "received_at": when.isoformat(),
            "text": "\n".join(answers[t] for t in texts),
            "metadata": {**base, "question": key},
            "customer": _customer_ref(response),
        }
        if scored is not None:
            data["score"], data["score_kind"] = answers[scored["key"]], scored["kind"]
        items.append(parse_feedback(data, channel="survey", tz=tz, now=timezone.now()))
    return items


def response_record(*, response: Response) -> list[int]:
    """Store the response's answers as feedback (idempotent: each answer has its own
    external id) and announce ``survey.response.completed``; returns the record ids."""
    try:
        items = feedback_items(response)
    except InvalidFeedback:  # answers were checked; a record's rules could still refuse one
        logger.exception("response %s made an invalid feedback record", response.pk)
        items = []
    results = feedback_ingest(workspace=response.workspace, items=items) if items else []
    ids = [r.feedback_id for r in results]
    response.feedback_ids = ids
    response.recorded_at = timezone.now()
    response.save(update_fields=["feedback_ids", "recorded_at"])
    change_append(
        workspace_id=response.workspace_id,
        type="survey.response.completed",
        subject_id=response.pk,
        payload={
            "survey_id": response.survey_id,
            "finished": response.finished_at is not None,
            "customer_id": response.customer_id,
            "feedback_ids": ids,
        },
    )
    return ids


def _reminder_pending(cutoff: dt.datetime) -> Any:
    """Responses whose invitation has a reminder to come or sent since ``cutoff``: a started
    response waits for it ("finish where you left off") before it counts as partial."""
    reminders = Message.objects.filter(kind=MessageKind.REMINDER).filter(
        Q(state__in=[MessageState.QUEUED, MessageState.SENDING]) | Q(sent_at__gte=cutoff)
    )
    return Response.objects.filter(invitation__in=reminders.values("invitation_id")).values("id")


def responses_record_partial(*, owner: str = "", limit: int = 200) -> int:
    """Turn partial responses left alone for ``SURVEY_PARTIAL_AFTER_HOURS`` into feedback
    (what was answered counts); returns how many (a worker loop)."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.SURVEY_PARTIAL_AFTER_HOURS)
    ids = list(
        Response.objects.filter(recorded_at__isnull=True, finished_at__isnull=True)
        .filter(updated_at__lt=cutoff)
        .exclude(answers={})
        .exclude(id__in=_reminder_pending(cutoff))
        .order_by("updated_at")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            response = (
                # of self: PostgreSQL cannot lock the nullable side of the outer joins
                Response.objects.select_for_update(of=("self",))
                .select_related("survey__workspace", "version", "invitation", "customer")
                .filter(pk=pk, recorded_at__isnull=True, finished_at__isnull=True)
                .first()
            )
            if response is not None:
                response_record(response=response)
    return len(ids)
