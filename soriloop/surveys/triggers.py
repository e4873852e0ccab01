"""Event triggers: a rule sends a survey some minutes after a customer event of its type.

``triggers_consume`` is a consumer of the change log (``customer.event``, registered in
``SurveysConfig.ready``): for each event and each active rule of a live survey that matches
it, one invitation and its e-mail, due at ``occurred_at + delay``; the outbox sends it then,
through the suppression list and the contact rule. Redelivered events schedule nothing
twice (one invitation per rule and event)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.core.models import Change
from soriloop.customers.events import EVENT_TYPE
from soriloop.customers.models import CustomerEvent
from soriloop.surveys.models import Invitation, Survey, SurveyState, TriggerRule
from soriloop.surveys.questions import LANGUAGES, SurveyInvalid
from soriloop.surveys.sending import messages_queue

MAX_DELAY_MINUTES = 60 * 24 * 90
MAX_FILTER_KEYS = 20
Scalar = str | int | float | bool


def _filter(raw: Any) -> dict[str, Scalar]:
    if raw is None:
        return {}
    if (
        not isinstance(raw, Mapping)
        or len(raw) > MAX_FILTER_KEYS
        or any(not isinstance(k, str) or not 0 < len(k) <= 60 for k in raw)
        or any(
            not isinstance(v, Scalar) or (isinstance(v, str) and len(v) > 200) for v in raw.values()
        )
    ):
        raise SurveyInvalid(
            {
                "filter": [
                    f"must map up to {MAX_FILTER_KEYS} property names to a string, number or boolean"
                ]
            }
        )
    return dict(raw)


def trigger_create(
    *, survey: Survey, actor: Membership | None, data: Mapping[str, Any]
) -> TriggerRule:
    """A rule: send ``survey`` ``delay_minutes`` after each ``event_type`` event whose
    properties equal every pair of ``filter``. Raises ``SurveyInvalid`` naming bad fields."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    if survey.state == SurveyState.CLOSED:
        raise SurveyInvalid({"survey": ["is closed"]})
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not EVENT_TYPE.match(event_type):
        raise SurveyInvalid({"event_type": ["must be an event type such as purchase_completed"]})
    delay = data.get("delay_minutes", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_MINUTES:
        raise SurveyInvalid(
            {"delay_minutes": [f"must be a whole number from 0 to {MAX_DELAY_MINUTES}"]}
        )
    rule = TriggerRule.objects.create(
        workspace=survey.workspace,
        survey=survey,
        event_type=event_type,
        delay_minutes=delay,
        filter=_filter(data.get("filter")),
    )
    audit_record(
        workspace=survey.workspace,
        actor=actor.user if actor else None,
        action="survey.trigger",
        target=f"survey {survey.pk}",
        data={"trigger": rule.pk, "event_type": event_type, "delay_minutes": delay},
    )
    return rule


def trigger_stop(*, trigger: TriggerRule, actor: Membership | None) -> TriggerRule:
    """Switch a rule off: later events send nothing; what it already scheduled still goes."""
    if actor is not None:
        require(actor, Action.MANAGE_SURVEYS)
    if trigger.active:
        trigger.active = False
        trigger.save(update_fields=["active"])
    return trigger


def _same(value: Any, wanted: Any) -> bool:
    """JSON equality: 5 is 5.0, but true is not 1 and "5" is not 5."""
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value is wanted
    if isinstance(value, int | float) and isinstance(wanted, int | float):
        return value == wanted
    return type(value) is type(wanted) and value == wanted


def matches(rule: TriggerRule, event: CustomerEvent) -> bool:
    """Whether the event is of the rule's type and its properties hold the rule's filter."""
    properties = event.properties if isinstance(event.properties, dict) else {}
    return rule.event_type == event.type and all(
        k in properties and _same(properties[k], v) for k, v in rule.filter.items()
    )


def triggers_consume(events: Sequence[Change]) -> None:
    """Schedule the survey of every rule each ``customer.event`` matches (idempotent)."""
    found = list(
        CustomerEvent.objects.filter(pk__in=[e.subject_id for e in events]).select_related(
            "customer"
        )
    )
    if not found:
        return
    rules = list(
        TriggerRule.objects.filter(
            workspace_id__in={e.workspace_id for e in found},
            event_type__in={e.type for e in found},
            active=True,
            survey__state=SurveyState.LIVE,
        ).select_related("survey")
    )
    pairs = [
        (rule, event)
        for event in found
        for rule in rules
        if rule.workspace_id == event.workspace_id and matches(rule, event)
    ]
    if pairs:
        _schedule(pairs)


def _schedule(pairs: Sequence[tuple[TriggerRule, CustomerEvent]]) -> None:
    done = set(
        Invitation.objects.filter(
            trigger__in={r.pk for r, _e in pairs}, event__in={e.pk for _r, e in pairs}
        ).values_list("trigger_id", "event_id")
    )
    now = timezone.now()
    late = now - dt.timedelta(hours=settings.SURVEY_TRIGGER_MAX_LATE_HOURS)
    for rule, event in pairs:
        if (rule.pk, event.pk) in done:
            continue
        due = event.occurred_at + dt.timedelta(minutes=rule.delay_minutes)
        invitation = _invitation(rule, event, due)
        reason = "late" if due < late else ("" if invitation.email else "no_address")
        messages_queue(invitations=[invitation], due_at=due, reason=reason)


def _invitation(rule: TriggerRule, event: CustomerEvent, due: dt.datetime) -> Invitation:
    customer = event.customer
    survey = rule.survey
    hidden_keys = [q["key"] for q in survey.current.questions if q["kind"] == "hidden"]
    language = (
        customer.attributes.get("language") if isinstance(customer.attributes, dict) else None
    )
    return Invitation.objects.create(
        workspace_id=rule.workspace_id,
        survey=survey,
        customer=customer,
        email=customer.email or "",
        name=customer.name,
        external_id=customer.external_id or "",
        language=language if language in LANGUAGES else survey.languages[0],
        hidden={k: str(event.properties[k])[:200] for k in hidden_keys if k in event.properties},
        expires_at=due + dt.timedelta(days=settings.SURVEY_LINK_DAYS),
        trigger=rule,
        event=event,
    )
