"""The verification survey: "Is it solved? How likely are you to recommend us now?", sent
once per resolved case through the surveys app's single-use links and its outbox, as a
follow-up (the contact rule and suppression hold; quiet hours do not: the conversation it
follows ran then too). A built-in survey per workspace, made when it is
first needed (docs/cases.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from soriloop.accounts.models import Workspace
from soriloop.loop.models import Case, LoopSettings, Verification
from soriloop.surveys.models import Invitation, Survey, SurveyState
from soriloop.surveys.services import (
    Recipient,
    invitations_create,
    survey_create,
    survey_publish,
)

SOLVED_CHOICES = [
    {"key": "yes", "text": {"ko": "네, 해결되었어요", "en": "Yes, it is solved"}},
    {"key": "no", "text": {"ko": "아니요, 아직이에요", "en": "No, not yet"}},
]
DEFINITION: dict[str, Any] = {
    "name": "Verification: is it solved?",
    "touchpoint": "case-verification",
    "languages": ["ko", "en"],
    "questions": [
        {
            "key": "solved",
            "kind": "single",
            "required": True,
            "text": {"ko": "문의하신 문제가 해결되었나요?", "en": "Is it solved?"},
            "choices": SOLVED_CHOICES,
        },
        {
            "key": "nps",
            "kind": "nps",
            "required": True,
            "text": {
                "ko": "이제 저희를 친구나 동료에게 추천할 가능성은 얼마나 되나요?",
                "en": "How likely are you to recommend us now?",
            },
        },
        {
            "key": "comment",
            "kind": "text",
            "text": {"ko": "더 하고 싶은 말씀이 있나요?", "en": "Anything else to tell us?"},
        },
    ],
}
GOOD_SCORE = 7  # passive or promoter


def verification_survey(*, workspace: Workspace) -> Survey:
    """The workspace's verification survey, created and published on first need (a write:
    called when a case is resolved, never by a read)."""
    row, _created = LoopSettings.objects.select_for_update().get_or_create(workspace=workspace)
    survey = row.verification_survey
    if survey is not None and survey.state == SurveyState.LIVE:
        return survey
    survey = survey_create(workspace=workspace, actor=None, data=DEFINITION)
    survey_publish(survey=survey, actor=None)
    row.verification_survey = survey
    row.save(update_fields=["verification_survey"])
    return survey


@transaction.atomic
def verification_send(*, case: Case) -> Verification | None:
    """Queue the verification e-mail of a resolved case, once per case; None when it was
    sent before or the customer has no address."""
    customer = case.customer
    if customer is None or not customer.email or Verification.objects.filter(case=case).exists():
        return None
    survey = verification_survey(workspace=case.workspace)
    language = case.language if case.language in ("ko", "en") else "ko"
    [invitation] = invitations_create(
        survey=survey,
        actor=None,
        recipients=[
            Recipient(
                email=customer.email,
                name=customer.name,
                language=language,
                hidden={"case": str(case.pk)},
            )
        ],
        send="email",
        follow_up=True,
    )
    return Verification.objects.create(
        workspace_id=case.workspace_id, case=case, invitation=invitation
    )


def verdict(answers: Mapping[str, Any]) -> tuple[bool, int | None]:
    """Good (solved, and passive or promoter when scored) and the score."""
    score = answers.get("nps")
    score = int(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
    solved = answers.get("solved") == "yes"
    return solved and (score is None or score >= GOOD_SCORE), score


def verification_of(*, invitation: Invitation) -> Verification | None:
    return Verification.objects.select_related("case").filter(invitation=invitation).first()
