"""The survey outbox: every survey e-mail (an invitation sent by the API, a campaign's, a
trigger's, a reminder) is a ``Message`` row sent by one worker loop, ``survey_mail_send``.

So every path gets the same guards, in this order, just before its send: the survey is not
closed, the link not expired, the campaign not cancelled, the address not suppressed, the
workspace's quiet hours (the message waits for their end), the contact rule (fatigue), and
the site's throttle (``SURVEY_MAIL_PER_MINUTE``).

A message is claimed (``sending``, with the worker's id) in one transaction, its contact is
written in a second one before the SMTP conversation and it is marked ``sent`` in a third
after the server's 250. No transaction is held across the conversation (on SQLite that would
stall every writer). A worker that dies leaves its claims to ``survey_mail_release_orphans``,
which puts them back: a message is sent twice only when the worker died between the server's
250 and its commit, and it keeps its Message-ID so receivers can drop the copy.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from soriloop.core.heartbeat import live_worker_ids
from soriloop.core.ratelimit import rate_limit_hit, rate_limit_remaining
from soriloop.customers.services import consent_withdrawn
from soriloop.surveys.fatigue import Person, contact_record, fatigue_check, person_lock, rule_get
from soriloop.surveys.models import (
    Contact,
    Invitation,
    Message,
    MessageKind,
    MessageState,
    Response,
    SurveyState,
)
from soriloop.surveys.questions import LANGUAGES
from soriloop.surveys.suppression import suppression_add, suppression_of, unsubscribe_url

logger = logging.getLogger(__name__)

BATCH = 50
THROTTLE = "survey-mail"
# Skipped sends, by reason (counted per campaign and trigger rule).
REASONS = (
    "suppressed",
    "fatigue_gap",
    "fatigue_window",
    "survey_closed",
    "expired",
    "cancelled",
    "no_address",
    "late",
    "finished",
    "no_consent",
)
VARIANTS = ("unopened", "opened", "started")
RETRY_MINUTES = 5


def messages_queue(
    *,
    invitations: Iterable[Invitation],
    due_at: dt.datetime | None = None,
    reason: str = "",
    kind: str = MessageKind.INVITATION,
) -> int:
    """Queue the invitation e-mail of each invitation (at most one each); with ``reason`` it
    is stored skipped instead, so that it is counted. ``kind`` "follow_up": the follow-up of
    a conversation (not held by quiet hours). Returns how many were new."""
    rows = [
        Message(
            workspace_id=i.workspace_id,
            invitation=i,
            kind=kind,
            due_at=due_at or timezone.now(),
            state=MessageState.SKIPPED if reason else MessageState.QUEUED,
            reason=reason,
        )
        for i in invitations
    ]
    return len(Message.objects.bulk_create(rows, ignore_conflicts=True))


def survey_mail_send(*, owner: str = "", limit: int = BATCH) -> int:
    """Send the survey e-mail that is due; returns how many messages were sent, skipped or
    refused (a worker loop; those deferred to the end of quiet hours are not counted).
    Stops early when the throttle's window is full or the SMTP server fails."""
    budget = rate_limit_remaining(
        scope=THROTTLE, ident="site", limit=settings.SURVEY_MAIL_PER_MINUTE
    )
    if not budget:
        return 0
    claimed = _claim(owner=owner, now=timezone.now(), limit=min(limit, budget))
    if not claimed:
        return 0
    done = 0
    backend = get_connection(fail_silently=False)
    try:
        for position, message in enumerate(claimed):
            outcome = _handle(message, backend)
            if outcome == "stop":
                _release(claimed[position:])
                break
            done += outcome == "done"
    finally:
        backend.close()
    return done


def _claim(*, owner: str, now: dt.datetime, limit: int) -> list[Message]:
    """Due messages for ``owner``, oldest first; the conditional UPDATE gives each one to one
    worker even when several read the same ids."""
    with transaction.atomic():
        ids = list(
            Message.objects.filter(state=MessageState.QUEUED, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(id__in=ids, state=MessageState.QUEUED).update(
            state=MessageState.SENDING, owner=owner
        )
    return list(
        Message.objects.filter(id__in=ids, state=MessageState.SENDING, owner=owner)
        .select_related("invitation__survey__workspace", "invitation__campaign")
        .order_by("due_at", "id")
    )


def _release(messages: Iterable[Message]) -> None:
    Message.objects.filter(id__in=[m.pk for m in messages], state=MessageState.SENDING).update(
        state=MessageState.QUEUED, owner=""
    )


def survey_mail_release_orphans() -> int:
    """Maintenance hook: messages claimed by a worker that stopped beating go back to the
    queue (the send resumes where it stopped); returns how many."""
    return (
        Message.objects.filter(state=MessageState.SENDING)
        .exclude(owner__in=live_worker_ids())
        .update(state=MessageState.QUEUED, owner="")
    )


def _handle(message: Message, backend: BaseEmailBackend) -> str:
    """Check, send and record one claimed message: "done" (sent, skipped, refused),
    "deferred" (quiet hours) or "stop" to end the step."""
    with transaction.atomic():
        verdict = _prepare(message)
    if verdict == "throttled":
        return "stop"
    if verdict == "deferred":
        return "deferred"
    if verdict != "send":
        return "done"
    try:
        backend.open()  # once per step: send_messages then keeps the connection
        backend.send_messages([compose(message)])
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        return _refused(message, code, reply)
    except smtplib.SMTPDataError as exc:  # the message refused, not the address
        return _refused(message, exc.smtp_code, exc.smtp_error, address_refused=False)
    except (smtplib.SMTPException, OSError) as exc:
        # the server: unreachable, our sender or login refused; no fault of this message
        logger.warning("survey mail: the SMTP server failed (%s); retrying later", exc)
        _retry(message, f"{type(exc).__name__}: {exc}")
        return "stop"
    _sent(message)
    return "done"


def _prepare(message: Message) -> str:
    """In one transaction: "send" (its contact written), "skipped", "deferred" to the end of
    the quiet hours, or "throttled" (the window filled since the claim)."""
    invitation = message.invitation
    person = Person(invitation.customer_id, invitation.email.strip().lower())
    person_lock(workspace_id=message.workspace_id, person=person)
    now = timezone.now()
    reason = _skip_reason(message, person, now)
    if reason:
        _skip(message, reason)
        return "skipped"
    until = quiet_until(message, now) if message.kind != MessageKind.FOLLOW_UP else None
    if until is not None:
        Message.objects.filter(pk=message.pk).update(
            state=MessageState.QUEUED, owner="", due_at=until
        )
        return "deferred"
    if rate_limit_hit(scope=THROTTLE, ident="site", limit=settings.SURVEY_MAIL_PER_MINUTE):
        return "throttled"
    contact_record(
        survey=invitation.survey,
        person=person,
        channel="email",
        kind=message.kind,
        at=now,
        message=message,
    )
    return "send"


def _skip_reason(message: Message, person: Person, now: dt.datetime) -> str:
    invitation = message.invitation
    survey = invitation.survey
    campaign = invitation.campaign
    reminder = message.kind == MessageKind.REMINDER
    if survey.state == SurveyState.CLOSED:
        return "survey_closed"
    if invitation.expires_at is not None and invitation.expires_at <= now:
        return "expired"
    if campaign is not None and campaign.cancelled_at is not None:
        return "cancelled"
    if not person.address:
        return "no_address"
    if reminder:
        message.variant = _variant(invitation)
        if message.variant == "finished":
            message.variant = ""
            return "finished"
    if suppression_of(workspace_id=message.workspace_id, address=person.address):
        return "suppressed"
    if consent_withdrawn(invitation.customer, "survey_email"):
        return "no_consent"
    return fatigue_check(survey=survey, person=person, at=now, reminder=reminder, message=message)


def _variant(invitation: Invitation) -> str:
    """Which reminder fits: none once finished, "finish where you left off" once started."""
    response = Response.objects.filter(invitation=invitation).first()
    if response is not None and (response.finished_at or response.recorded_at):
        return "finished"
    if response is not None and response.answers:
        return "started"
    return "opened" if invitation.opened_at else "unopened"


def quiet_until(message: Message, now: dt.datetime) -> dt.datetime | None:
    """The end of the workspace's quiet hours when ``now`` is inside them, else None."""
    workspace = message.invitation.survey.workspace
    rule = rule_get(workspace=workspace)
    if rule.quiet_start is None or rule.quiet_end is None:
        return None
    return quiet_end(rule.quiet_start, rule.quiet_end, ZoneInfo(workspace.timezone), now)


def quiet_end(start: dt.time, end: dt.time, tz: ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    """When quiet hours from ``start`` to ``end`` (local; past midnight when end < start)
    that hold ``now`` end, in UTC; None when ``now`` is outside them."""
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside, day = start <= clock < end, local.date()
    else:
        inside = clock >= start or clock < end
        day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    if not inside:
        return None
    return dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.UTC)


def _skip(message: Message, reason: str) -> None:
    message.state, message.reason, message.owner = MessageState.SKIPPED, reason, ""
    message.save(update_fields=["state", "reason", "owner", "variant"])


def _refused(
    message: Message, code: int, reply: bytes | str, *, address_refused: bool = True
) -> str:
    """A 5xx refusal of the recipient bounces the address (suppressed from now on); a 5xx
    of the message fails it alone; a 4xx is tried again later."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    detail = f"{code} {text}"[:300]
    if not 500 <= code < 600:
        _retry(message, detail)
        return "done"
    with transaction.atomic():
        Contact.objects.filter(message=message).delete()
        state = MessageState.BOUNCED if address_refused else MessageState.FAILED
        Message.objects.filter(pk=message.pk).update(state=state, owner="", error=detail)
        if address_refused:
            suppression_add(
                workspace_id=message.workspace_id,
                address=message.invitation.email,
                reason="bounced",
                detail=detail,
            )
    return "done"


def _retry(message: Message, error: str) -> None:
    """A temporary failure: try again later, after a growing pause, up to the attempts."""
    attempts = message.attempts + 1
    with transaction.atomic():
        Contact.objects.filter(message=message).delete()
        if attempts >= settings.SURVEY_MAIL_MAX_ATTEMPTS:
            state, due = MessageState.FAILED, message.due_at
        else:
            state = MessageState.QUEUED
            due = timezone.now() + dt.timedelta(minutes=RETRY_MINUTES * 2 ** (attempts - 1))
        Message.objects.filter(pk=message.pk).update(
            state=state, owner="", attempts=attempts, due_at=due, error=error[:500]
        )


def _sent(message: Message) -> None:
    """Mark the message sent and, for a campaign with a reminder, queue its one reminder."""
    now = timezone.now()
    invitation = message.invitation
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            state=MessageState.SENT, owner="", sent_at=now, variant=message.variant, error=""
        )
        if message.kind == MessageKind.REMINDER:
            return
        Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=now)
        campaign = invitation.campaign
        if message.kind == MessageKind.INVITATION and campaign and campaign.reminder_days:
            Message.objects.bulk_create(
                [
                    Message(
                        workspace_id=message.workspace_id,
                        invitation=invitation,
                        kind=MessageKind.REMINDER,
                        due_at=now + dt.timedelta(days=campaign.reminder_days),
                    )
                ],
                ignore_conflicts=True,
            )


SUBJECTS = {
    ("invitation", "ko"): "{name}: 잠시 의견을 들려주세요",
    ("invitation", "en"): "{name}: a minute for your view?",
    ("unopened", "ko"): "{name}: 아직 의견을 기다리고 있어요",
    ("unopened", "en"): "{name}: we would still love your view",
    ("started", "ko"): "{name}: 하시던 설문을 마저 해 주세요",
    ("started", "en"): "{name}: finish where you left off",
    ("follow_up", "ko"): "{name}: 문의하신 문제는 해결되었나요?",
    ("follow_up", "en"): "{name}: is it solved?",
}
BODIES = {
    ("invitation", "ko"): (
        "안녕하세요{who},\n\n짧은 설문에 답해 주시면 더 나은 서비스를 만드는 데 쓰겠습니다.\n\n{link}\n"
    ),
    ("invitation", "en"): (
        "Hello{who},\n\nPlease answer a short survey; we will use it to do better.\n\n{link}\n"
    ),
    ("unopened", "ko"): (
        "안녕하세요{who},\n\n며칠 전 보내 드린 짧은 설문에 아직 답하지 않으셨어요. "
        "1분이면 충분합니다.\n\n{link}\n"
    ),
    ("unopened", "en"): (
        "Hello{who},\n\nA few days ago we sent you a short survey. It takes a minute.\n\n{link}\n"
    ),
    ("started", "ko"): (
        "안녕하세요{who},\n\n설문을 시작하셨지만 아직 마치지 않으셨어요. 답하신 내용은 저장되어 "
        "있으니 멈춘 곳에서 이어서 하시면 됩니다.\n\n{link}\n"
    ),
    ("started", "en"): (
        "Hello{who},\n\nYou started our survey but have not finished it. Your answers are "
        "saved: finish where you left off.\n\n{link}\n"
    ),
    ("follow_up", "ko"): (
        "안녕하세요{who},\n\n얼마 전 문의하신 문제가 해결되었는지 알려 주세요. "
        "두 가지만 여쭙겠습니다.\n\n{link}\n"
    ),
    ("follow_up", "en"): (
        "Hello{who},\n\nYou wrote to us recently: please tell us whether it is solved. "
        "Two questions.\n\n{link}\n"
    ),
}
FOOTER = {
    "ko": "\n--\n더 이상 설문 메일을 받지 않으려면: {unsubscribe}\n",
    "en": "\n--\nTo get no more survey e-mails: {unsubscribe}\n",
}


def _text_key(message: Message) -> str:
    if message.kind in (MessageKind.INVITATION, MessageKind.FOLLOW_UP):
        return str(message.kind)
    return "started" if message.variant == "started" else "unopened"


def compose(message: Message) -> EmailMessage:
    """The e-mail of a message in the recipient's language, with a one-click unsubscribe
    (RFC 8058: List-Unsubscribe with List-Unsubscribe-Post, and the link in the body)."""
    invitation = message.invitation
    lang = invitation.language if invitation.language in LANGUAGES else "ko"
    key = (_text_key(message), lang)
    unsubscribe = unsubscribe_url(
        workspace_id=message.workspace_id, address=invitation.email, language=lang
    )
    link = f"{settings.SITE_URL}/s/{invitation.token}/"
    body = BODIES[key].format(who=f" {invitation.name}" if invitation.name else "", link=link)
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    headers: dict[str, Any] = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": f"<survey-message-{message.pk}@{host}>",
        "Auto-Submitted": "auto-generated",  # RFC 3834: no auto-replies to this
    }
    return EmailMessage(
        subject=SUBJECTS[key].format(name=invitation.survey.name),
        body=body + FOOTER[lang].format(unsubscribe=unsubscribe),
        to=[invitation.email],
        headers=headers,
    )
