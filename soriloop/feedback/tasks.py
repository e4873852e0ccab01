"""Background work of the feedback context. Tasks take ids, re-read state, are idempotent."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from soriloop.feedback.acknowledge import guess_language, reply
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get

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


@task()
def feedback_import_run(job_id: int) -> str:
    """Run (or resume) a file import; returns the counts."""
    from soriloop.core.heartbeat import current_worker_id
    from soriloop.feedback.imports import import_run

    job = import_run(job_id=job_id, worker_id=current_worker_id())
    if job is None:
        return "not runnable"
    return f"{job.state}: {job.rows_created} created, {job.rows_duplicate} duplicate, {job.rows_failed} failed"
