"""What comes back into a case: the customer's e-mail to its reply address (stored as
feedback by ``soriloop smtpd`` with the case's token in ``metadata.thread``) and the answer to
its verification survey. The ``case-threads`` consumer of the change log (docs/cases.md)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Workspace
from soriloop.core.models import Change
from soriloop.feedback.models import Feedback
from soriloop.loop import sla
from soriloop.loop.models import Case, CaseFeedback, CaseStatus, Verification
from soriloop.loop.services import case_event, case_join, case_level, case_status_set
from soriloop.loop.verification import verdict
from soriloop.surveys.models import Response

THREAD_EVENTS = ("feedback.created", "survey.response.completed")
TOKEN_CHARS = set("0123456789abcdef")


def workspace_of_thread(token: str) -> Workspace | None:
    """The workspace of the case whose reply address carries ``token`` (for smtpd)."""
    if not token or len(token) > 40 or set(token) - TOKEN_CHARS:
        return None
    case = Case.objects.select_related("workspace").filter(reply_token=token).first()
    return case.workspace if case else None


def case_threads_consume(events: Sequence[Change]) -> None:
    """The change-log handler. Idempotent: a record joins a case once; an answer counts once."""
    mails = [e.subject_id for e in events if e.type == "feedback.created"]
    if mails:
        for record in Feedback.objects.select_related("customer").filter(
            pk__in=mails, channel="email", deleted_at=None
        ):
            if record.metadata.get("thread"):
                _threaded(record)
    for event in events:
        if event.type == "survey.response.completed":
            _answered(event.subject_id)


@transaction.atomic
def _threaded(record: Feedback) -> None:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("workspace", "customer")
        .filter(workspace_id=record.workspace_id, reply_token=record.metadata["thread"])
        .first()
    )
    if case is None:
        return
    automatic = bool(record.metadata.get("automatic"))
    if not case_join(case=case, record=record, role="auto_reply" if automatic else "reply"):
        return
    if automatic:
        return  # an out-of-office: on the history, never answered, no clock moves
    now = timezone.now()
    case.last_customer_at = now
    if case.status in (CaseStatus.RESOLVED, CaseStatus.VERIFIED):
        case_status_set(case=case, actor=None, status=CaseStatus.REOPENED, at=now)
    elif case.status == CaseStatus.WAITING_ON_CUSTOMER:
        case_status_set(case=case, actor=None, status=CaseStatus.IN_PROGRESS, at=now)
    sla.next_response_set(case, level=case_level(case), at=now)
    case.updated_at = now
    case.save()


@transaction.atomic
def _answered(response_id: int) -> None:
    response = Response.objects.filter(pk=response_id, finished_at__isnull=False).first()
    if response is None or response.invitation_id is None:
        return
    verification = (
        Verification.objects.select_for_update()
        .filter(invitation_id=response.invitation_id, answered_at__isnull=True)
        .first()
    )
    if verification is None:
        return
    good, score = verdict(response.answers)
    now = timezone.now()
    verification.answered_at, verification.solved, verification.score = now, good, score
    verification.save(update_fields=["answered_at", "solved", "score"])
    case = Case.objects.select_for_update().select_related("workspace").get(pk=verification.case_id)
    for feedback_id in response.feedback_ids:
        CaseFeedback.objects.get_or_create(
            feedback_id=feedback_id,
            defaults={"case": case, "workspace_id": case.workspace_id, "role": "survey"},
        )
    case_event(case, "verification_answered", None, solved=good, score=score)
    if case.status == CaseStatus.RESOLVED:
        target = CaseStatus.VERIFIED if good else CaseStatus.REOPENED
        case_status_set(case=case, actor=None, status=target, at=now)
        case.updated_at = now
        case.save()
