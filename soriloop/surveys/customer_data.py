"""The surveys context's part of a customer's profile (customers/hooks.py): their survey
answers on the timeline and in the export, and the erasure of their invitations, outbox
messages, contacts, responses and suppression (kept as a keyed hash)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from soriloop.customers.hooks import CustomerSource, TimelineItem
from soriloop.surveys.models import Contact, Invitation, Message, Response, Suppression
from soriloop.surveys.suppression import suppression_hashed


def _responses(workspace_id: int, customer_id: int) -> Any:
    return Response.objects.filter(
        workspace_id=workspace_id, customer_id=customer_id, finished_at__isnull=False
    ).select_related("survey")


def responses_timeline(
    workspace_id: int, customer_id: int, before: dt.datetime | None, limit: int
) -> list[TimelineItem]:
    found = _responses(workspace_id, customer_id)
    if before is not None:
        found = found.filter(finished_at__lt=before)
    return [
        TimelineItem(
            at=r.finished_at,
            kind="survey_response",
            ref=r.pk,
            summary=r.survey.name,
            data={"survey_id": r.survey_id, "feedback_ids": r.feedback_ids},
        )
        for r in found.order_by("-finished_at", "-pk")[:limit]
    ]


def surveys_export(workspace_id: int, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    invitations = Invitation.objects.filter(workspace_id=workspace_id, customer_id=customer_id)
    return {
        "survey_answers": [
            {
                "id": r.pk,
                "survey": r.survey.name,
                "language": r.language,
                "answers": r.answers,
                "hidden": r.hidden,
                "finished_at": r.finished_at.isoformat(),
                "feedback_ids": r.feedback_ids,
            }
            for r in _responses(workspace_id, customer_id).order_by("finished_at", "pk")
        ],
        "survey_invitations": [
            {
                "id": i.pk,
                "survey_id": i.survey_id,
                "email": i.email,
                "created_at": i.created_at.isoformat(),
                "sent_at": i.sent_at.isoformat() if i.sent_at else None,
            }
            for i in invitations.order_by("created_at", "pk")
        ],
    }


def surveys_erase(workspace_id: int, customer_id: int, email: str, phone: str) -> int:
    """Responses deleted (their answers became feedback, erased by that source), invitations
    kept for the survey's counts but emptied of who they were for, the outbox's errors and
    the contact history forgotten, a suppression kept as a keyed hash."""
    mine = Q(customer_id=customer_id) | (Q(email=email) if email else Q(pk__in=[]))
    invitations = Invitation.objects.filter(mine, workspace_id=workspace_id)
    ids = list(invitations.values_list("id", flat=True))
    erased = len(ids)
    Message.objects.filter(invitation_id__in=ids).update(error="")
    invitations.update(customer=None, email="", name="", external_id="", hidden={})
    responses, _ = Response.objects.filter(
        Q(customer_id=customer_id) | Q(invitation_id__in=ids), workspace_id=workspace_id
    ).delete()
    contacts = Q(customer_id=customer_id) | (Q(address=email) if email else Q(pk__in=[]))
    deleted, _ = Contact.objects.filter(contacts, workspace_id=workspace_id).delete()
    if email:
        plain = Suppression.objects.filter(workspace_id=workspace_id, address=email)
        hashed = suppression_hashed(email)
        if Suppression.objects.filter(workspace_id=workspace_id, address=hashed).exists():
            erased += plain.delete()[0]
        else:
            erased += plain.update(address=hashed, detail="")
    return erased + responses + deleted


SOURCE = CustomerSource(
    name="surveys", timeline=responses_timeline, export=surveys_export, erase=surveys_erase
)
