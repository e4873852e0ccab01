"""Where a fired alert goes: in-app notifications, e-mail (a task, in each recipient's
language), a Slack-compatible incoming webhook (a task), and ``alert.fired`` on the change log
for webhook subscribers; quiet hours hold the people's destinations until a digest
(docs/alerts.md)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django_tasks import task

from soriloop.accounts.models import Membership, User
from soriloop.alerts.models import Alert, AlertRule, Notification
from soriloop.alerts.webhooks import post_json
from soriloop.analysis.engine.pii import mask_text
from soriloop.core.changes import change_append
from soriloop.feedback.models import Feedback

logger = logging.getLogger(__name__)

LINKED_RECORDS = 10  # records an alert's message and payload name at most
SLACK_RECORDS = 5
SLACK_TEXT = 500


def record_url(record_id: int) -> str:
    return f"{settings.SITE_URL}/inbox/{record_id}/"


def alerts_url() -> str:
    return f"{settings.SITE_URL}/alerts/"


def quiet_now(rule: AlertRule, at: dt.datetime) -> bool:
    """Whether ``at`` falls in the rule's quiet hours, read in the workspace's time zone (a
    start after the end spans midnight)."""
    if rule.quiet_start is None or rule.quiet_end is None:
        return False
    local = at.astimezone(zoneinfo.ZoneInfo(rule.workspace.timezone)).time()
    start, end = rule.quiet_start, rule.quiet_end
    return start <= local < end if start <= end else local >= start or local < end


def recipients(rule: AlertRule) -> list[User]:
    """The owner and the chosen users who are still members of the rule's workspace."""
    ids = {rule.owner_id, *rule.notify_user_ids}
    return [
        m.user
        for m in Membership.objects.select_related("user")
        .filter(workspace_id=rule.workspace_id, user_id__in=ids, user__is_active=True)
        .order_by("user_id")
    ]


def _language(user: User, rule: AlertRule) -> str:
    return user.language or rule.workspace.default_language or "ko"


def alert_fired(*, alert: Alert, records: Sequence[Feedback]) -> None:
    """Send a new alert on: ``alert.fired`` for webhooks at once (machines keep no quiet
    hours), the people's destinations now or, in quiet hours, held for the digest."""
    rule = alert.rule
    with transaction.atomic():
        if rule.webhook:
            change_append(
                workspace_id=alert.workspace_id,
                type="alert.fired",
                subject_id=alert.pk,
                payload=alert_payload(alert),
            )
        if quiet_now(rule, alert.fired_at):
            alert.held = True
            alert.save(update_fields=["held"])
            return
        alerts_send([alert])


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The ``alert.fired`` data: names and links, no personal data."""
    rule = alert.rule
    return {
        "alert_id": alert.pk,
        "url": alerts_url(),
        "rule": {
            "id": rule.pk,
            "name": rule.name,
            "kind": rule.kind,
            "conditions": rule.conditions,
            "aggregate": rule.aggregate,
        },
        "measure": alert.measure,
        "fired_at": alert.fired_at.isoformat(),
        "count": alert.count,
        "records": [{"id": i, "url": record_url(i)} for i in alert.record_ids[:LINKED_RECORDS]],
    }


def alerts_send(alerts: Sequence[Alert]) -> None:
    """One message per recipient and one per Slack URL for these alerts (one alert, or a
    digest of the held ones); marks them sent."""
    by_user: dict[int, tuple[User, list[Alert]]] = {}
    by_slack: dict[str, list[int]] = defaultdict(list)
    for alert in alerts:
        rule = alert.rule
        if rule.in_app or rule.email:
            for user in recipients(rule):
                by_user.setdefault(user.pk, (user, []))[1].append(alert)
        if rule.slack_url:
            by_slack[rule.slack_url].append(alert.pk)
    for user, mine in by_user.values():
        _tell(user, mine)
    for url, ids in by_slack.items():
        alert_slack.enqueue(url=url, alert_ids=ids)
    now = timezone.now()
    for alert in alerts:
        alert.held, alert.sent_at = False, now
        alert.save(update_fields=["held", "sent_at"])


def _tell(user: User, alerts: list[Alert]) -> None:
    in_app = [a for a in alerts if a.rule.in_app]
    if in_app:
        with translation.override(_language(user, in_app[0].rule)):
            title, body = message(in_app)
        Notification.objects.create(
            workspace_id=in_app[0].workspace_id,
            user=user,
            alert=in_app[0] if len(in_app) == 1 else None,
            title=title[:300],
            body=body,
            url="/alerts/",
        )
    mailed = [a.pk for a in alerts if a.rule.email]
    if mailed and user.email:
        alert_mail.enqueue(user_id=user.pk, alert_ids=mailed)


def message(alerts: Sequence[Alert]) -> tuple[str, str]:
    """The title and plain-text body of one alert or of a digest, in the active language."""
    if len(alerts) == 1:
        alert = alerts[0]
        title = gettext("Alert: %(rule)s") % {"rule": alert.rule.name}
    else:
        title = ngettext(
            "%(count)d alert held during quiet hours",
            "%(count)d alerts held during quiet hours",
            len(alerts),
        ) % {"count": len(alerts)}
    lines = []
    for alert in alerts:
        if alert.measure:
            lines.append(f"{alert.rule.name}: {measure_text(alert.measure)}")
            continue
        lines.append(
            ngettext("%(rule)s: %(count)d record", "%(rule)s: %(count)d records", alert.count)
            % {"rule": alert.rule.name, "count": alert.count}
        )
        lines.extend(f"  {record_url(i)}" for i in alert.record_ids[:LINKED_RECORDS])
    return title, "\n".join(lines)


def _pct(value: Any) -> str:
    return f"{100 * float(value or 0):.0f}%"


def measure_text(m: dict[str, Any]) -> str:
    """One line saying what an aggregate rule measured, in the active language."""
    kind = m.get("measure")
    if kind == "negative_share":
        return gettext(
            "negative share of topic %(topic)s is %(value)s, against %(baseline)s on the same "
            "weekdays of past weeks (%(analysed)d records)"
        ) % {
            "topic": m.get("topic", ""),
            "value": _pct(m.get("value")),
            "baseline": _pct(m.get("baseline")),
            "analysed": m.get("analysed", 0),
        }
    if kind == "nps_drop":
        return gettext(
            "NPS of the last 7 days is %(value)s, %(delta)s points against the 7 days before "
            "(%(before)s), beyond noise"
        ) % {"value": m.get("value"), "delta": m.get("delta"), "before": m.get("baseline")}
    if kind == "keyword_volume":
        return ngettext(
            "%(count)d record named “%(keyword)s” in the last %(hours)d hour",
            "%(count)d records named “%(keyword)s” in the last %(hours)d hours",
            int(m.get("hours", 1)),
        ) % {
            "count": m.get("value", 0),
            "keyword": m.get("keyword", ""),
            "hours": m.get("hours", 1),
        }
    topics = ", ".join(str(s.get("topic")) for s in m.get("spikes", []))
    return gettext("spike in %(topics)s") % {"topics": topics}


def _alerts(ids: Sequence[int]) -> list[Alert]:
    return list(
        Alert.objects.select_related("rule", "rule__workspace").filter(pk__in=ids).order_by("id")
    )


@task()
def alert_mail(user_id: int, alert_ids: list[int]) -> str:
    """E-mail one alert or a digest of held ones to a recipient, in their language."""
    user = User.objects.filter(pk=user_id).first()
    alerts = _alerts(alert_ids)
    if user is None or not user.email or not alerts:
        return "nothing to send"
    with translation.override(_language(user, alerts[0].rule)):
        subject, body = message(alerts)
        body += "\n\n" + gettext("See every alert: %(url)s") % {"url": alerts_url()}
    send_mail(f"[Soriloop] {subject}", body, None, [user.email])
    return "sent"


def slack_message(alerts: Sequence[Alert]) -> dict[str, Any]:
    """A Slack-compatible message: ``text`` for notifications, ``blocks`` with each record's
    masked text, its labels and a link back."""
    with translation.override(alerts[0].rule.workspace.default_language or "ko"):
        title, _body = message(alerts)
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}}
        ]
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{a.rule.name}: {measure_text(a.measure)}"}}
            for a in alerts
            if a.measure
        ]  # fmt: skip
        ids = [i for a in alerts for i in a.record_ids][:SLACK_RECORDS]
        records = Feedback.objects.select_related("enrichment").filter(pk__in=ids).order_by("id")
        for record in records:
            blocks.append(_slack_record(record))
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"<{alerts_url()}|{gettext('See every alert')}>"}
                ],
            }
        )
    return {"text": title, "blocks": blocks}


def _slack_record(record: Feedback) -> dict[str, Any]:
    enrichment = getattr(record, "enrichment", None)
    labels = []
    if enrichment is not None:
        labels.append(enrichment.sentiment_label)
        name = "name_ko" if translation.get_language() == "ko" else "name_en"
        labels.extend(str(t.get(name) or t["key"]) for t in enrichment.topics)
        labels.extend(t["name"] for t in enrichment.types)
    text = mask_text(record.text)[:SLACK_TEXT]
    return {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"{text}\n_{' · '.join(labels)}_\n<{record_url(record.pk)}|#{record.pk}>",
        },
    }


@task()
def alert_slack(url: str, alert_ids: list[int]) -> str:
    """POST the alerts' message to a Slack-compatible incoming webhook through the SSRF
    checks of outgoing webhooks; a refused or failing post raises so the task shows it."""
    alerts = _alerts(alert_ids)
    if not alerts:
        return "nothing to send"
    body = json.dumps(slack_message(alerts), ensure_ascii=False)
    outcome = post_json(url, body, {"User-Agent": "Soriloop-Alerts/1"})
    if not outcome.ok:
        raise RuntimeError(f"Slack webhook answered {outcome.status}: {outcome.error}")
    return "sent"


def alerts_release_held(*, owner: str = "") -> int:
    """The worker loop: send the alerts held by quiet hours that have ended, as one digest
    per recipient (and per Slack URL). Returns how many alerts went out."""
    if not Alert.objects.filter(held=True).exists():
        return 0
    with transaction.atomic():
        # locked so that two workers never send the same digest
        candidates = (
            Alert.objects.select_related("rule", "rule__workspace", "rule__owner")
            .select_for_update(skip_locked=True, of=("self",))
            .filter(held=True)
            .order_by("id")
        )
        held = [a for a in candidates if not quiet_now(a.rule, timezone.now())]
        if held:
            alerts_send(held)
            logger.info("sent %s held alerts as digests", len(held))
    return len(held)


def notifications_mark_read(*, user: User, workspace_id: int, ids: Sequence[int] | None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None); returns how
    many changed."""
    found = Notification.objects.filter(user=user, workspace_id=workspace_id, read_at=None)
    if ids is not None:
        found = found.filter(pk__in=list(ids))
    return found.update(read_at=timezone.now())
