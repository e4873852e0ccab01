"""E-mail campaigns: a survey's invitations sent to a list (given or an uploaded CSV) or to a
customer segment, through the outbox (surveys/sending.py), with one optional reminder."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.customers.models import Customer
from soriloop.customers.services import normalise_email
from soriloop.surveys.models import Campaign, Message, MessageState, Survey, SurveyState
from soriloop.surveys.questions import LANGUAGES, SurveyInvalid
from soriloop.surveys.services import Recipient, invitations_create

MAX_CAMPAIGN_RECIPIENTS = 20_000
MAX_REMINDER_DAYS = 60
CSV_COLUMNS = ("email", "name", "external_id", "language")


@dataclass(frozen=True)
class Rejected:
    """A recipient left out, with where it was (CSV line, or list index) and why."""

    where: str
    reason: str


def recipients_check(
    raw: Sequence[Mapping[str, Any]], *, hidden_keys: Sequence[str] = (), first_line: int = 0
) -> tuple[list[Recipient], list[Rejected]]:
    """The good recipients and the rejected ones (no or bad address, repeated address, bad
    language). ``first_line`` set: positions are CSV line numbers, else list indexes."""
    good: list[Recipient] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"line {first_line + i}" if first_line else f"recipients[{i}]"
        email = normalise_email(str(item.get("email") or ""))
        try:
            validate_email(email)
        except ValidationError:
            rejected.append(
                Rejected(where, "no valid e-mail address" if email else "no e-mail address")
            )
            continue
        language = str(item.get("language") or "")
        if language and language not in LANGUAGES:
            rejected.append(Rejected(where, "language must be ko or en"))
            continue
        if email in seen:
            rejected.append(Rejected(where, "the same address is earlier in the list"))
            continue
        seen.add(email)
        hidden = dict(item.get("hidden") or {})
        hidden.update({k: str(item[k])[:200] for k in hidden_keys if item.get(k)})
        good.append(
            Recipient(
                email=email,
                name=str(item.get("name") or "")[:200],
                external_id=str(item.get("external_id") or "")[:200],
                language=language,
                hidden=hidden,
            )
        )
    return good, rejected


def recipients_from_csv(
    *, text: str, hidden_keys: Sequence[str] = ()
) -> tuple[list[Recipient], list[Rejected]]:
    """Recipients from CSV text with a header row: ``email`` and optionally ``name``,
    ``external_id``, ``language`` and columns named like the survey's hidden questions.
    Raises ``SurveyInvalid`` when the header has no ``email`` column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header:
        raise SurveyInvalid({"csv": ["the first line must name the columns, one of them email"]})
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    return recipients_check(rows, hidden_keys=hidden_keys, first_line=2)


def recipients_from_segment(*, workspace: Workspace, segment: str) -> list[Recipient]:
    """The customers of a segment (their ``segment`` attribute) who have an e-mail address."""
    customers = (
        Customer.objects.filter(workspace=workspace, attributes__segment=segment)
        .exclude(email_hash=None)
        .order_by("id")[:MAX_CAMPAIGN_RECIPIENTS]
    )
    return [
        Recipient(
            email=c.email or "",
            name=c.name,
            external_id=c.external_id or "",
            language=str(c.attributes.get("language") or "")
            if c.attributes.get("language") in LANGUAGES
            else "",
        )
        for c in customers
    ]


def _check_timing(reminder_days: int | None, expires_days: int | None) -> None:
    if reminder_days is not None and not 1 <= reminder_days <= MAX_REMINDER_DAYS:
        raise SurveyInvalid({"reminder_days": [f"must be from 1 to {MAX_REMINDER_DAYS}"]})
    days = expires_days if expires_days is not None else settings.SURVEY_LINK_DAYS
    if reminder_days is not None and reminder_days >= days:
        raise SurveyInvalid({"reminder_days": ["must come before the links expire"]})


@transaction.atomic
def campaign_create(
    *,
    survey: Survey,
    actor: Membership | None,
    recipients: Sequence[Recipient],
    name: str = "",
    source: str = "list",
    segment: str = "",
    reminder_days: int | None = None,
    start_at: dt.datetime | None = None,
    expires_days: int | None = None,
) -> Campaign:
    """A campaign of a live survey: one invitation per recipient, their e-mails queued from
    ``start_at`` (default now); with ``reminder_days``, one reminder each that many days
    after its invitation went. Raises ``SurveyInvalid`` naming the bad field."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    if survey.state != SurveyState.LIVE:
        raise SurveyInvalid({"survey": ["must be live (published, not closed) to send a campaign"]})
    if not recipients:
        raise SurveyInvalid({"recipients": ["no recipient with a valid e-mail address"]})
    if len(recipients) > MAX_CAMPAIGN_RECIPIENTS:
        raise SurveyInvalid({"recipients": [f"at most {MAX_CAMPAIGN_RECIPIENTS} per campaign"]})
    _check_timing(reminder_days, expires_days)
    campaign = Campaign.objects.create(
        workspace=survey.workspace,
        survey=survey,
        name=name[:200],
        source=source,
        segment=segment[:120],
        reminder_days=reminder_days,
        start_at=start_at or timezone.now(),
    )
    invitations_create(
        survey=survey,
        actor=None,
        recipients=recipients,
        send="email",
        expires_days=expires_days,
        campaign=campaign,
        send_at=campaign.start_at,
    )
    audit_record(
        workspace=survey.workspace,
        actor=actor.user if actor else None,
        action="survey.campaign",
        target=f"survey {survey.pk}",
        data={"campaign": campaign.pk, "recipients": len(recipients), "source": source},
    )
    return campaign


def campaign_cancel(*, campaign: Campaign, actor: Membership | None) -> Campaign:
    """Stop a campaign: what is still queued (invitations and reminders) is skipped as
    ``cancelled``; what went stays sent."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    with transaction.atomic():
        if campaign.cancelled_at is None:
            campaign.cancelled_at = timezone.now()
            campaign.save(update_fields=["cancelled_at"])
        Message.objects.filter(invitation__campaign=campaign, state=MessageState.QUEUED).update(
            state=MessageState.SKIPPED, reason="cancelled"
        )
    return campaign
