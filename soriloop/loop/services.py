"""Writes of the loop: open and join cases, change them, reply, note; every change is a line
of the case's history and of the audit log (docs/cases.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from soriloop.accounts.models import Membership, Team, User, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.alerts.models import Notification
from soriloop.alerts.rules import AlertRuleInvalid
from soriloop.core.changes import change_append
from soriloop.feedback.models import Feedback
from soriloop.loop import mail, sla
from soriloop.loop.calendar import CalendarInvalid, parse_hours
from soriloop.loop.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseFeedback,
    CaseNote,
    CaseReply,
    CaseRule,
    CaseStatus,
    LoopSettings,
    RoutingRule,
)
from soriloop.loop.priority import LEVELS, level_of, priority_of, signals_of
from soriloop.loop.replies import case_reply_send_now
from soriloop.loop.routing import assignee_for, routing_conditions_clean, team_for
from soriloop.loop.verification import verification_send

MAX_FEEDBACK = 50
MENTION = re.compile(r"@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9.-]+)?)")
# where a status may go (the same status is no change)
MOVES: dict[str, set[str]] = {
    **{s: {*OPEN_STATUSES, "resolved"} for s in OPEN_STATUSES},
    "resolved": {"reopened", "verified"},
    "verified": {"reopened"},
}


class CaseInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def _label(actor: Membership | None) -> str:
    return actor.user.display_name if actor else "Soriloop"


def case_event(case: Case, kind: str, actor: Membership | None = None, **data: Any) -> CaseEvent:
    """A line of the case's history; a person's change is also in the audit log."""
    event = CaseEvent.objects.create(
        workspace_id=case.workspace_id,
        case=case,
        actor=actor.user if actor else None,
        actor_label=_label(actor),
        kind=kind,
        data=data,
    )
    if actor is not None:
        audit_record(
            workspace=case.workspace,
            actor=actor.user,
            action=f"case.{kind}",
            target=f"case {case.pk}",
            data=data,
        )
    return event


def _records(case: Case) -> list[Feedback]:
    return list(
        Feedback.objects.select_related("enrichment")
        .filter(workspace_id=case.workspace_id, case_links__case=case, deleted_at=None)
        .order_by("id")
    )


def case_level(case: Case) -> str:
    """The level in force: the override, else the computed one."""
    return case.priority_override or level_of(case.priority_score)


def case_priority_refresh(case: Case) -> None:
    """Recompute the score and reasons from the case's records and customer (saved)."""
    other = (
        Case.objects.filter(
            workspace_id=case.workspace_id, customer_id=case.customer_id, status__in=OPEN_STATUSES
        )
        .exclude(pk=case.pk)
        .count()
        if case.customer_id
        else 0
    )
    found = priority_of(
        signals_of(
            records=_records(case), customer=case.customer, other_open=other, since=case.created_at
        )
    )
    case.priority_score, case.priority_reasons = found.score, found.reasons
    Case.objects.filter(pk=case.pk).update(
        priority_score=found.score, priority_reasons=found.reasons
    )


def _topic(record: Feedback) -> str:
    enrichment = getattr(record, "enrichment", None)
    topics = enrichment.topics if enrichment is not None else []
    return str(topics[0]["key"]) if topics else ""


@transaction.atomic
def case_open(
    *,
    workspace: Workspace,
    records: Sequence[Feedback],
    actor: Membership | None = None,
    rule: CaseRule | None = None,
    team: Team | None = None,
    assignee: User | None = None,
) -> Case:
    """A new case for ``records`` (none of them in a case yet): routed to a team unless one
    is given, assigned in it unless someone is, prioritised, with its SLA deadlines."""
    first = records[0]
    now = timezone.now()
    team = team or (rule.team if rule else None) or team_for(workspace=workspace, record=first)
    if assignee is None and team is not None:
        assignee = assignee_for(team=team)
    case = Case.objects.create(
        workspace=workspace,
        customer=first.customer,
        rule=rule,
        team=team,
        assignee=assignee,
        subject=first.text.splitlines()[0][:300] if first.text else "",
        topic=_topic(first),
        language=first.language or workspace.default_language,
        created_at=now,
        updated_at=now,
    )
    for record in records:
        CaseFeedback.objects.create(workspace=workspace, case=case, feedback=record)
    case_priority_refresh(case)
    sla.deadlines_set(case, level=case_level(case), start=now)
    case.save(update_fields=["first_response_due", "resolution_due"])
    case_event(
        case,
        "opened",
        actor,
        feedback=[r.pk for r in records],
        rule=rule.name if rule else None,
        team=team.name if team else None,
        assignee=assignee.display_name if assignee else None,
    )
    change_append(
        workspace_id=workspace.pk,
        type="case.opened",
        subject_id=case.pk,
        payload={"feedback_ids": [r.pk for r in records], "rule_id": rule.pk if rule else None},
    )
    return case


def case_join(*, case: Case, record: Feedback, role: str = "joined") -> bool:
    """Link a record to a case; False when it is in a case already."""
    try:
        with transaction.atomic():
            CaseFeedback.objects.create(
                workspace_id=case.workspace_id, case=case, feedback=record, role=role
            )
    except IntegrityError:
        return False
    case_event(case, role, None, feedback=record.pk)
    return True


def _member(workspace: Workspace, user_id: int, field: str) -> User:
    found = Membership.objects.select_related("user").filter(workspace=workspace, user_id=user_id)
    member = found.first()
    if member is None:
        raise CaseInvalid({field: ["must be a member of the workspace"]})
    return member.user


def _team(workspace: Workspace, team_id: int) -> Team:
    team = Team.objects.filter(workspace=workspace, pk=team_id).first()
    if team is None:
        raise CaseInvalid({"team": ["no such team in this workspace"]})
    return team


def case_create(
    *,
    workspace: Workspace,
    actor: Membership | None,
    feedback_ids: Sequence[int],
    team_id: int | None = None,
    assignee_id: int | None = None,
) -> Case:
    """A case opened by hand from one or several records; raise ``CaseInvalid``."""
    _may_work(actor)
    ids = list(dict.fromkeys(feedback_ids))
    if not ids or len(ids) > MAX_FEEDBACK:
        raise CaseInvalid({"feedback": [f"1 to {MAX_FEEDBACK} record ids"]})
    records = list(
        Feedback.objects.select_related("enrichment", "customer")
        .filter(workspace=workspace, pk__in=ids, deleted_at=None)
        .order_by("id")
    )
    if len(records) != len(ids):
        raise CaseInvalid({"feedback": ["each must be a record of this workspace"]})
    taken = CaseFeedback.objects.filter(feedback_id__in=ids).values_list("feedback_id", flat=True)
    if taken:
        raise CaseInvalid({"feedback": [f"already in a case: {sorted(taken)}"]})
    team = _team(workspace, team_id) if team_id else None
    assignee = _member(workspace, assignee_id, "assignee") if assignee_id else None
    return case_open(
        workspace=workspace, records=records, actor=actor, team=team, assignee=assignee
    )


def _may_work(actor: Membership | None) -> None:
    if actor is None:
        raise PermissionDenied("an API key acts as the member who made it; that member is gone")
    require(actor, Action.WORK_CASES)


# -- changes ---------------------------------------------------------------------------


@transaction.atomic
def case_update(*, case: Case, actor: Membership | None, data: Mapping[str, Any]) -> Case:
    """Change status, assignee, team or the priority override; raise ``CaseInvalid``.

    ``status`` moves by ``MOVES``; "resolved" sends the verification survey unless
    ``no_survey_reason`` says why not; "priority" needs a ``priority_reason`` (None to drop
    the override)."""
    _may_work(actor)
    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    if "team" in data:
        _set_team(case, actor, data["team"])
    if "assignee" in data:
        _set_assignee(case, actor, data["assignee"])
    if "priority" in data:
        _set_priority(case, actor, data["priority"], data.get("priority_reason"))
    if data.get("status") and data["status"] != case.status:
        case_status_set(
            case=case, actor=actor, status=data["status"], at=now,
            no_survey_reason=str(data.get("no_survey_reason") or ""),
        )  # fmt: skip
    case.updated_at = now
    case.save()
    return case


def _set_team(case: Case, actor: Membership | None, team_id: int | None) -> None:
    team = _team(case.workspace, team_id) if team_id else None
    if team != case.team:
        case.team = team
        case_event(case, "team_changed", actor, team=team.name if team else None)


def _set_assignee(case: Case, actor: Membership | None, user_id: int | None) -> None:
    user = _member(case.workspace, user_id, "assignee") if user_id else None
    if user != case.assignee:
        case.assignee = user
        case_event(case, "assigned", actor, assignee=user.display_name if user else None)


def _set_priority(
    case: Case, actor: Membership | None, level: str | None, reason: str | None
) -> None:
    if level is None:
        case.priority_override, case.priority_override_reason = "", ""
        case_event(case, "priority_override_removed", actor)
        return
    if level not in LEVELS:
        raise CaseInvalid({"priority": [f"must be one of {list(LEVELS)}"]})
    if not reason or not str(reason).strip():
        raise CaseInvalid({"priority_reason": ["an override needs its reason"]})
    case.priority_override, case.priority_override_reason = level, str(reason).strip()[:300]
    case_event(case, "priority_overridden", actor, priority=level, reason=reason)


def case_status_set(
    *,
    case: Case,
    actor: Membership | None,
    status: str,
    at: dt.datetime,
    no_survey_reason: str = "",
) -> None:
    """Move the case (not saved: the caller saves); the clock pauses while waiting on the
    customer; resolving sends the verification survey once."""
    if status not in MOVES.get(case.status, set()):
        raise CaseInvalid({"status": [f"a {case.status} case cannot become {status}"]})
    before, case.status = case.status, status
    if before == CaseStatus.WAITING_ON_CUSTOMER:
        sla.sla_resume(case, at=at)
    if status == CaseStatus.WAITING_ON_CUSTOMER:
        sla.sla_pause(case, at=at)
    if status == CaseStatus.ACKNOWLEDGED and case.acknowledged_at is None:
        case.acknowledged_at = at
    if status == CaseStatus.REOPENED:
        case.resolved_at = case.verified_at = None
        case.warned, case.breached = [], []
        sla.deadlines_set(case, level=case_level(case), start=at)
    if status == CaseStatus.VERIFIED:
        case.verified_at = at
    case_event(case, "status_changed", actor, status=status, before=before)
    if status == CaseStatus.RESOLVED:
        case.resolved_at = at
        case.no_survey_reason = no_survey_reason[:300]
        sent = verification_send(case=case) if not no_survey_reason else None
        case_event(
            case, "resolved", actor, survey=bool(sent), no_survey_reason=no_survey_reason or None
        )
    change_append(
        workspace_id=case.workspace_id,
        type="case.status",
        subject_id=case.pk,
        payload={"status": status, "before": before},
    )


# -- replies and notes -----------------------------------------------------------------


def _variables(case: Case, records: Sequence[Feedback]) -> dict[str, str]:
    order = next(
        (str(r.metadata.get("order") or r.metadata.get("order_id")) for r in records
         if r.metadata.get("order") or r.metadata.get("order_id")),
        "",
    )  # fmt: skip
    return {
        "name": case.customer.name if case.customer else "",
        "order": order,
        "topic": case.topic,
        "workspace": case.workspace.name,
    }


def _thread(case: Case, records: Sequence[Feedback]) -> tuple[str, str]:
    """In-Reply-To and References: the customer's last e-mail and our earlier replies."""
    ids = [
        f"<{r.external_id}>"
        for r in records
        if r.channel == "email" and r.external_id and not r.external_id.startswith("sha256:")
    ]
    ids += list(
        CaseReply.objects.filter(case=case).order_by("id").values_list("message_id", flat=True)
    )
    return (ids[-1] if ids else ""), " ".join(ids[-10:])


def case_reply(*, case: Case, actor: Membership | None, body: str, template: str = "") -> CaseReply:
    """Queue an e-mail to the customer in the reply outbox (loop/replies.py), first tried
    once it is committed; returns it as it is then (sent, or queued for the worker). Raise
    ``CaseInvalid`` when the case has no address to write to."""
    reply = _reply_queue(case=case, actor=actor, body=body, template=template)
    reply.refresh_from_db()
    return reply


@transaction.atomic
def _reply_queue(*, case: Case, actor: Membership | None, body: str, template: str) -> CaseReply:
    _may_work(actor)
    assert actor is not None
    address = case.customer.email if case.customer and case.customer.email else ""
    if not address:
        raise CaseInvalid({"body": ["the case's customer has no e-mail address"]})
    if template and template not in mail.TEMPLATES:
        raise CaseInvalid({"template": [f"must be one of {sorted(mail.TEMPLATES)}"]})
    records = _records(case)
    language = case.language if case.language in ("ko", "en") else "ko"
    subject, text = mail.compose_reply(
        template=template, language=language, body=body, variables=_variables(case, records)
    )
    in_reply_to, references = _thread(case, records)
    reply = CaseReply.objects.create(
        workspace_id=case.workspace_id, case=case, author=actor.user, to=address,
        subject=subject[:300], body=text, template=template, language=language,
        message_id="", in_reply_to=in_reply_to, references=references,
    )  # fmt: skip
    reply.message_id = mail.message_id(case.pk, reply.pk)
    reply.save(update_fields=["message_id"])
    _answered(case, actor, reply)
    transaction.on_commit(partial(case_reply_send_now, reply_id=reply.pk))
    return reply


def _answered(case: Case, actor: Membership, reply: CaseReply) -> None:
    now = timezone.now()
    fields = ["last_response_at", "updated_at"]
    case.last_response_at = case.updated_at = now
    if case.first_response_at is None:
        case.first_response_at = now
        fields.append("first_response_at")
    if case.status in (CaseStatus.NEW, CaseStatus.REOPENED):
        case.status = CaseStatus.ACKNOWLEDGED
        case.acknowledged_at = case.acknowledged_at or now
        fields += ["status", "acknowledged_at"]
    case.save(update_fields=fields)
    case_event(case, "replied", actor, reply=reply.pk, template=reply.template or None)


def _mentioned(workspace: Workspace, body: str) -> list[User]:
    names = {m.lower() for m in MENTION.findall(body)}
    if not names:
        return []
    members = Membership.objects.select_related("user").filter(workspace=workspace)
    return [
        m.user
        for m in members
        if m.user.email.lower() in names or m.user.email.split("@")[0].lower() in names
    ]


@transaction.atomic
def case_note(*, case: Case, actor: Membership | None, body: str) -> CaseNote:
    """An internal note; each @mention (an e-mail or its name part) of a member notifies them."""
    _may_work(actor)
    assert actor is not None
    body = body.strip()
    if not body:
        raise CaseInvalid({"body": ["must not be empty"]})
    users = _mentioned(case.workspace, body)
    note = CaseNote.objects.create(
        workspace_id=case.workspace_id, case=case, author=actor.user, body=body,
        mentions=[u.pk for u in users],
    )  # fmt: skip
    for user in users:
        Notification.objects.create(
            workspace_id=case.workspace_id,
            user=user,
            title=f"{actor.user.display_name} mentioned you on case {case.pk}"[:300],
            body=body[:1000],
            url=f"/cases/{case.pk}/",
        )
    case_event(case, "noted", actor, note=note.pk, mentions=[u.pk for u in users])
    return note


# -- routing rules and settings (admins) -----------------------------------------------


def routing_rule_create(
    *, workspace: Workspace, actor: Membership, conditions: Mapping[str, Any], team_id: int
) -> RoutingRule:
    """A routing rule placed last; raise ``CaseInvalid`` (a bad condition or team)."""
    require(actor, Action.MANAGE_SETTINGS)
    try:
        cleaned = routing_conditions_clean(conditions)
    except AlertRuleInvalid as exc:
        raise CaseInvalid(exc.fields) from exc
    if not cleaned:
        raise CaseInvalid({"conditions": ["a routing rule needs at least one condition"]})
    team = _team(workspace, team_id)
    last = RoutingRule.objects.filter(workspace=workspace).order_by("-position").first()
    rule = RoutingRule.objects.create(
        workspace=workspace,
        conditions=cleaned,
        team=team,
        position=(last.position + 1) if last else 0,
    )
    audit_record(
        workspace=workspace, actor=actor.user, action="routing_rule.created",
        target=f"routing rule {rule.pk}", data={"team": team.name},
    )  # fmt: skip
    return rule


def loop_settings_update(
    *, workspace: Workspace, actor: Membership, data: Mapping[str, Any]
) -> LoopSettings:
    """Working hours, days off, public holidays, SLA minutes per level and the warning time;
    a field left out keeps its value. Raise ``CaseInvalid`` naming the bad field."""
    require(actor, Action.MANAGE_SETTINGS)
    row, _created = LoopSettings.objects.get_or_create(workspace=workspace)
    try:
        if data.get("hours") is not None:
            parse_hours(data["hours"])
            row.hours = dict(data["hours"])
        if data.get("days_off") is not None:
            row.days_off = sorted(
                {dt.date.fromisoformat(str(d)).isoformat() for d in data["days_off"]}
            )
        if data.get("sla") is not None:
            row.sla = sla.sla_settings_clean(data["sla"])
    except CalendarInvalid as exc:
        raise CaseInvalid(exc.fields) from exc
    except ValueError as exc:
        raise CaseInvalid({"days_off": ["each must be a date, YYYY-MM-DD"]}) from exc
    for name in ("public_holidays", "warn_minutes"):
        if data.get(name) is not None:
            setattr(row, name, data[name])
    row.save()
    audit_record(workspace=workspace, actor=actor.user, action="loop.settings", target="cases")
    return row
