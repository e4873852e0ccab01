"""Background work of the feedback context. Tasks take ids, re-read state, are idempotent.

Acknowledgements are a consumer of the change log: each ``feedback.created`` of a channel
whose sender expects a reply queues ``feedback_acknowledge`` (in the consumer's transaction,
so the reply is queued exactly when the consumer moves past the event)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from soriloop.core.models import Change
from soriloop.feedback.acknowledge import guess_language, reply
from soriloop.feedback.imports import feedback_import_run
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get

__all__ = ["feedback_acknowledge", "feedback_acknowledgements_queue", "feedback_import_run"]

ACK_CHANNELS = {"email", "widget", "hosted"}

logger = logging.getLogger(__name__)


@task()
def feedback_acknowledge(feedback_id: int) -> str:
    """E-mail the sender that their feedback arrived, once; returns what it did."""
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update(of=("self",))
            .select_related("customer", "workspace")
            .filter(id=feedback_id, acknowledged_at__isnull=True)
            .first()
        )
        if feedback is None:
            return "already acknowledged or gone"
        email = feedback.customer.email if feedback.customer else ""
        settings = channel_settings_get(workspace=feedback.workspace)
        if not email or not settings.reply_enabled:
            return "no e-mail to reply to"
        if feedback.metadata.get("thread"):
            return "an answer in a conversation: its owner replies"
        language = feedback.metadata.get("lang") or guess_language(
            feedback.text, feedback.workspace.default_language
        )
        subject, body = reply(settings, language, text=feedback.text)
        # Sent inside the transaction: if the mail server refuses, the mark is not kept and
        # the task's error is recorded; a retry sends it then.
        send_mail(subject, body, None, [email])
        feedback.acknowledged_at = timezone.now()
        feedback.save(update_fields=["acknowledged_at"])
    logger.info("acknowledged feedback %s to its sender", feedback_id)
    return "sent"


def feedback_acknowledgements_queue(events: Sequence[Change]) -> None:
    """The change-log handler for ``feedback.created``: queue a reply to each known sender of
    a channel that expects one. Idempotent: ``feedback_acknowledge`` replies at most once."""
    for event in events:
        if event.payload.get("channel") in ACK_CHANNELS and event.payload.get("customer_id"):
            feedback_acknowledge.enqueue(feedback_id=event.subject_id)
