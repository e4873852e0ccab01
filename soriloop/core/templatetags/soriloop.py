from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from soriloop.analysis.engine.pii import mask_email, mask_json, mask_phone, mask_text

register = template.Library()

TYPE_LABELS = {
    "praise": _("Praise"),
    "complaint": _("Complaint"),
    "suggestion": _("Suggestion"),
    "question": _("Question"),
    "bug": _("Bug"),
}


@register.filter
def type_label(name: str) -> Any:
    """A feedback type's name in the page's language."""
    return TYPE_LABELS.get(name, name)


# Personal data for those who may not see it (agents and viewers, ``see_personal`` false in
# the page context): the original stays in the database, the page shows it masked.


@register.filter
def private(text: str | None, see_personal: bool) -> str | None:
    """The text with phone numbers, e-mails, resident and card numbers and accounts replaced
    by labels ("[전화번호]"), unless ``see_personal``."""
    return text if see_personal or not text else mask_text(text)


@register.filter
def private_json(value: Any, see_personal: bool) -> Any:
    """Metadata with personal data masked, unless ``see_personal``."""
    return value if see_personal or not value else mask_json(value)


@register.filter
def private_email(email: str | None, see_personal: bool) -> str | None:
    return email if see_personal or not email else mask_email(email)


@register.filter
def private_phone(phone: str | None, see_personal: bool) -> str | None:
    return phone if see_personal or not phone else mask_phone(phone)


SCORE_KINDS_SHORT = {"nps": _("NPS"), "csat": _("CSAT"), "ces": _("CES"), "stars": _("Stars")}
SENTIMENT_LABELS = {
    "positive": _("Positive"),
    "neutral": _("Neutral"),
    "negative": _("Negative"),
}
PII_LABELS = {
    "email": _("e-mail address"),
    "phone": _("phone number"),
    "rrn": _("resident registration number"),
    "card": _("card number"),
    "account": _("bank account number"),
}
FIELD_LABELS = {
    "text": _("Text"),
    "score": _("Score"),
    "score_kind": _("Score type"),
    "channel": _("Channel"),
    "source": _("Source"),
    "external_id": _("External ID"),
    "touchpoint": _("Touchpoint"),
    "received_at": _("Received"),
    "metadata": _("Metadata"),
    "customer": _("Customer"),
    "idempotency_key": _("Idempotency key"),
    "date_from": _("From"),
    "date_to": _("To"),
    "score_min": _("Min"),
    "score_max": _("Max"),
    "sentiment": _("Sentiment"),
    "types": _("Type"),
    "type": _("Type"),
    "topics": _("Topics"),
    "topic": _("Topic"),
    "language": _("Language"),
    "segment": _("Segment"),
    "row": _("Row"),
    "file": _("File"),
    "mapping": _("Column mapping"),
}
AUDIT_ACTIONS = {
    "customer.erased": _("Customer erased"),
    "customer.revealed": _("Customer's personal data shown"),
    "webhook.created": _("Webhook created"),
    "webhook.changed": _("Webhook changed"),
    "webhook.deleted": _("Webhook deleted"),
    "inbound_webhook.created": _("Inbound webhook created"),
    "inbound_webhook.deleted": _("Inbound webhook deleted"),
    "alert_rule.created": _("Alert rule created"),
    "alert_rule.changed": _("Alert rule changed"),
    "alert_rule.deleted": _("Alert rule deleted"),
    "case.opened": _("Case opened"),
    "case.status_changed": _("Case status changed"),
    "case.resolved": _("Case resolved"),
    "case.assigned": _("Case assigned"),
    "case.team_changed": _("Case team changed"),
    "case.priority_overridden": _("Case priority overridden"),
    "case.priority_override_removed": _("Case priority override removed"),
    "case.replied": _("Replied to a case"),
    "case.noted": _("Note added to a case"),
    "case_rule.created": _("Case rule created"),
    "case_rule.changed": _("Case rule changed"),
    "routing_rule.created": _("Routing rule created"),
    "loop.settings": _("Case settings changed"),
    "survey.created": _("Survey created"),
    "survey.changed": _("Survey changed"),
    "survey.published": _("Survey published"),
    "survey.closed": _("Survey closed"),
    "analysis.adapt": _("Adaptation requested"),
    "analysis.corrected": _("Analysis corrected"),
    "analysis.reanalyze": _("Re-analysis requested"),
    "analysis.settings": _("Analysis settings changed"),
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
    "channels.updated": _("Channels changed"),
    "emerging.accepted": _("Emerging issue accepted"),
    "emerging.rejected": _("Emerging issue rejected"),
    "export": _("Exported"),
    "feedback.deleted": _("Feedback deleted"),
    "import.started": _("Import started"),
    "invitation.accepted": _("Invitation accepted"),
    "invitation.created": _("Invitation sent"),
    "invitation.revoked": _("Invitation revoked"),
    "login.failed": _("Sign-in failed"),
    "login.succeeded": _("Signed in"),
    "logout": _("Signed out"),
    "member.removed": _("Member removed"),
    "password.reset": _("Password reset"),
    "role.changed": _("Role changed"),
    "topic.saved": _("Topic saved"),
    "workspace.created": _("Workspace created"),
    "workspace.deleted": _("Workspace deleted"),
    "workspace.updated": _("Workspace changed"),
}
AUDIT_KEYS = {
    "scope": _("Access"),
    "prefix": _("Key"),
    "role": _("Role"),
    "email": _("E-mail"),
    "format": _("Format"),
    "rows": _("Rows"),
    "filters": _("Filters"),
    "name": _("Name"),
    "personal_data": _("Personal data in full"),
}
VALUE_LABELS: dict[str, Any] = {
    **SENTIMENT_LABELS,
    **TYPE_LABELS,
    "read": _("Read"),
    "write": _("Write"),
    "owner": _("Owner"),
    "admin": _("Admin"),
    "agent": _("Agent"),
    "viewer": _("Viewer"),
    "True": _("Yes"),
    "False": _("No"),
}
# Reasons the validators give in English (stored with import rows), shown in the page's language.
REASONS = {
    "is before date_from": _("is before the start date"),
    "is empty and there is no score": _("is empty and there is no score"),
    "is in the future": _("is in the future"),
    "is not a column of the file": _("is not a column of the file"),
    "is not a known field": _("is not a known field"),
    "is not a phone number": _("is not a phone number"),
    "is not an e-mail address": _("is not an e-mail address"),
    "is required when score_kind is given": _("is required when a score type is given"),
    "must be a JSON object": _("must be a JSON object"),
    "must be a date like 2026-01-31": _("must be a date like 2026-01-31"),
    "must be a number": _("must be a number"),
    "must be a string": _("must be text"),
    "must be a whole number": _("must be a whole number"),
    "must be a whole or half star": _("must be a whole or half star"),
    "must be an ISO 8601 date or time": _("must be a date or time like 2026-01-31 14:30"),
    "must be an ISO 8601 date or time from 1900 to 2999": _(
        "must be a date or time like 2026-01-31 14:30, from 1900 to 2999"
    ),
    "must be an ISO 8601 date or time from 1900 to 2999, like 2026-01-31T14:03:00+09:00": _(
        "must be a date or time like 2026-01-31 14:30, from 1900 to 2999"
    ),
    "must be a date like 2026-01-31, from 1900-01-01 to 2999-12-31": _(
        "must be a date like 2026-01-31, from 1900-01-01 to 2999-12-31"
    ),
    "must be an object": _("must be an object"),
    "must be true or false": _("must be true or false"),
}
_REASON_PATTERNS = [
    (re.compile(r"must be at most ([\d,]+) characters"), _("must be at most %(n)s characters")),
    (
        re.compile(r"must be between (\S+) and (\S+) for (\w+)"),
        _("must be between %(n)s and %(m)s"),
    ),
    (re.compile(r"must be a whole number for (\w+)"), _("must be a whole number")),
    (
        re.compile(r"must be a number from (\S+) to (\S+)"),
        _("must be a number from %(n)s to %(m)s"),
    ),
    (re.compile(r"must be one of .*"), _("is not one of the allowed values")),
]


@register.filter
def score_kind_short(kind: str) -> Any:
    """A score kind's short name (NPS, CSAT, CES, stars) in the page's language."""
    return SCORE_KINDS_SHORT.get(kind, kind)


@register.filter
def sentiment_label(code: str) -> Any:
    return SENTIMENT_LABELS.get(code, code)


@register.filter
def pii_label(kind: str) -> Any:
    """A kind of personal data (``rrn``, ``card``, ...) named for people."""
    return PII_LABELS.get(kind, kind)


@register.filter
def field_label(name: str) -> Any:
    return FIELD_LABELS.get(name, name)


@register.filter
def reason_label(reason: str) -> str:
    """A validator's reason in the page's language; an unknown one as it is."""
    if reason in REASONS:
        return str(REASONS[reason])
    for pattern, label in _REASON_PATTERNS:
        if match := pattern.fullmatch(reason):
            groups = [*match.groups(), "", ""]
            return str(label) % {"n": groups[0], "m": groups[1]}
    return reason


@register.filter
def audit_action(code: str) -> Any:
    return AUDIT_ACTIONS.get(code, code)


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(VALUE_LABELS.get(str(value), value))


@register.filter
def audit_details(data: Any) -> str:
    """An audit entry's data as "label: value" pairs with known codes named for people."""
    if not isinstance(data, dict):
        return ""
    return " · ".join(
        f"{AUDIT_KEYS.get(key) or FIELD_LABELS.get(key) or key}: {_value(value)}"
        for key, value in data.items()
    )


@register.filter
def isotime(value: str) -> dt.datetime | str:
    """An ISO 8601 time stored as text, as a datetime the ``date`` filter shows in the zone."""
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value


_FEEDBACK_TARGET = re.compile(r"feedback (\d+)")
_RULE_TARGET = re.compile(r"alert rule (\d+)")
_SURVEY_TARGET = re.compile(r"survey (\d+)")


@register.filter
def audit_target(target: str) -> str:
    """An audit entry's target; a record ("feedback 12") or a survey ("survey 3") named in
    the page's language."""
    if match := _FEEDBACK_TARGET.fullmatch(target or ""):
        return str(_("feedback #%(id)s")) % {"id": match.group(1)}
    if match := _RULE_TARGET.fullmatch(target or ""):
        return str(_("alert rule #%(id)s")) % {"id": match.group(1)}
    if match := _SURVEY_TARGET.fullmatch(target or ""):
        return str(_("survey #%(id)s")) % {"id": match.group(1)}
    return target


@register.filter
def query_values(query: Any, name: str) -> str:
    """A URL parameter's values as the person typed them, for naming a bad one."""
    getlist = getattr(query, "getlist", None)
    values = getlist(name) if getlist else [query.get(name, "")]
    return ", ".join(str(v) for v in values if v)[:200]
