"""Digest e-mails: a daily or weekly summary per member who opted in, in their language and
the workspace's time zone, sent at ``DIGEST_HOUR`` local time by a periodic job: KPIs with
their change, top topics, emerging issues and the alerts fired (docs/alerts.md)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from soriloop.accounts.models import Membership, Workspace
from soriloop.alerts.models import Alert, DigestFrequency, DigestSubscription
from soriloop.alerts.notify import alerts_url
from soriloop.analysis.selectors import emerging_proposed
from soriloop.feedback.filters import FeedbackFilter
from soriloop.insights.metrics import summary
from soriloop.insights.selectors import Period, metrics_breakdown, metrics_totals

logger = logging.getLogger(__name__)

KPIS = {
    "volume": gettext_lazy("Volume"),
    "nps": gettext_lazy("NPS"),
    "csat": gettext_lazy("CSAT"),
    "ces": gettext_lazy("CES"),
    "net_sentiment": gettext_lazy("Net sentiment"),
}
TOPICS = 5
EMERGING = 5
ALERTS = 10


class DigestInvalid(ValueError):
    pass


@dataclass(frozen=True)
class DigestPeriod:
    frequency: str
    key: str  # what ``last_period`` stores: the first day, ISO
    days: Period


def digest_period(*, frequency: str, local_now: dt.datetime) -> DigestPeriod:
    """The latest whole period before ``local_now``: yesterday, or last Monday to Sunday."""
    today = local_now.date()
    if frequency == DigestFrequency.WEEKLY:
        end = today - dt.timedelta(days=today.weekday() + 1)
        start = end - dt.timedelta(days=6)
    else:
        start = end = today - dt.timedelta(days=1)
    return DigestPeriod(frequency, start.isoformat(), Period(start, end))


def digest_due(*, subscription: DigestSubscription, now: dt.datetime) -> DigestPeriod | None:
    """The period this member's digest is due for at ``now``, or None: off, before the
    sending hour in the workspace's zone, or that period already sent."""
    if subscription.frequency == DigestFrequency.OFF:
        return None
    workspace = subscription.membership.workspace
    local = now.astimezone(zoneinfo.ZoneInfo(workspace.timezone))
    if local.hour < settings.DIGEST_HOUR:
        return None
    period = digest_period(frequency=subscription.frequency, local_now=local)
    return None if subscription.last_period == period.key else period


def digest_subscribe(*, membership: Membership, frequency: str) -> DigestSubscription:
    """Choose one's digest (off, daily, weekly); raise ``DigestInvalid`` for another value.
    The first digest goes out for the latest whole period at the next sending hour."""
    if frequency not in DigestFrequency.values:
        raise DigestInvalid(f"frequency must be one of {list(DigestFrequency.values)}")
    found, _ = DigestSubscription.objects.update_or_create(
        membership=membership, defaults={"frequency": frequency}
    )
    return found


# -- what a digest says ------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    name: str
    value: float | None
    delta: float | None
    significant: bool


@dataclass(frozen=True)
class Digest:
    workspace: Workspace
    period: DigestPeriod
    kpis: list[Kpi]
    topics: list[tuple[str, int]]  # (name in the language, records)
    emerging: list[str]
    alerts: list[tuple[str, dt.datetime, int]]  # (rule, fired at, records)


def digest_get(*, workspace: Workspace, period: DigestPeriod, language: str) -> Digest:
    """The digest of a workspace's period, read from the rollups (the same metrics
    selectors as the dashboard), names in ``language``."""
    days = period.days
    everything = FeedbackFilter(date_from=days.start, date_to=days.end)
    now = metrics_totals(workspace=workspace, filters=everything, period=days)
    before = metrics_totals(workspace=workspace, filters=everything, period=days.previous())
    metrics = summary(now, before)
    kpis = [
        Kpi(name, m["value"], m["change"]["delta"], m["change"]["significant"])
        for name, m in ((n, metrics[n]) for n in KPIS)
    ]
    topics = metrics_breakdown(workspace=workspace, filters=everything, group="topic", limit=TOPICS)
    name = "name_ko" if language == "ko" else "name_en"
    return Digest(
        workspace=workspace,
        period=period,
        kpis=kpis,
        topics=[
            (str(t.get(name) or t["key"]), int(t["metrics"]["volume"]["value"] or 0))
            for t in topics
        ],
        emerging=[
            i.label_ko if language == "ko" else i.label_en
            for i in emerging_proposed(workspace=workspace, limit=EMERGING)
        ],
        alerts=_alerts_in(workspace, days),
    )


def _alerts_in(workspace: Workspace, days: Period) -> list[tuple[str, dt.datetime, int]]:
    zone = zoneinfo.ZoneInfo(workspace.timezone)
    start = dt.datetime.combine(days.start, dt.time(), zone)
    end = dt.datetime.combine(days.end + dt.timedelta(days=1), dt.time(), zone)
    found = (
        Alert.objects.select_related("rule")
        .filter(workspace=workspace, fired_at__gte=start, fired_at__lt=end)
        .order_by("fired_at")[:ALERTS]
    )
    return [(a.rule.name, a.fired_at.astimezone(zone), a.count) for a in found]


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}".rstrip("0").rstrip(".")


def digest_text(digest: Digest) -> tuple[str, str]:
    """The subject and plain-text body, in the active language."""
    days, ws = digest.period.days, digest.workspace.name
    if digest.period.frequency == DigestFrequency.WEEKLY:
        subject = gettext("Weekly digest of %(workspace)s, %(start)s to %(end)s")
    else:
        subject = gettext("Daily digest of %(workspace)s, %(start)s")
    subject %= {"workspace": ws, "start": days.start.isoformat(), "end": days.end.isoformat()}
    lines = [subject, "", gettext("Key figures (change against the period before):")]
    for kpi in digest.kpis:
        change = (
            "" if kpi.delta is None else f" ({'+' if kpi.delta > 0 else ''}{_number(kpi.delta)})"
        )
        mark = " *" if kpi.significant else ""
        lines.append(f"  {KPIS[kpi.name]}: {_number(kpi.value)}{change}{mark}")
    lines.append("  " + gettext("* beyond noise"))
    lines += ["", gettext("Top topics:")]
    lines += [f"  {name}: {n}" for name, n in digest.topics] or ["  " + gettext("none")]
    lines += ["", gettext("Emerging issues:")]
    lines += [f"  {label}" for label in digest.emerging] or ["  " + gettext("none")]
    lines += ["", gettext("Alerts fired:")]
    lines += [f"  {at:%Y-%m-%d %H:%M} {rule} ({n})" for rule, at, n in digest.alerts] or [
        "  " + gettext("none")
    ]
    lines += ["", gettext("See every alert: %(url)s") % {"url": alerts_url()}]
    return f"[Soriloop] {subject}", "\n".join(lines)


# -- the job -----------------------------------------------------------------------------


def digests_send(*, now: dt.datetime | None = None) -> int:
    """The periodic job (``WORKER_MAINTENANCE``): send every due digest once. A period is
    claimed by a conditional UPDATE of ``last_period`` before sending, so two workers never
    both send it; a failed send gives the claim back and is tried again next time. Returns
    how many were sent."""
    now = now or timezone.now()
    sent = 0
    found = DigestSubscription.objects.select_related(
        "membership__user", "membership__workspace"
    ).exclude(frequency=DigestFrequency.OFF)
    for subscription in found:
        period = digest_due(subscription=subscription, now=now)
        if period is None or not subscription.membership.user.email:
            continue
        claimed = DigestSubscription.objects.filter(
            pk=subscription.pk, last_period=subscription.last_period
        ).update(last_period=period.key)
        if claimed and _send(subscription, period, now):
            sent += 1
    return sent


def _send(subscription: DigestSubscription, period: DigestPeriod, now: dt.datetime) -> bool:
    member = subscription.membership
    language = member.user.language or member.workspace.default_language or "ko"
    with translation.override(language):
        subject, body = digest_text(
            digest_get(workspace=member.workspace, period=period, language=language)
        )
    try:
        send_mail(subject, body, None, [member.user.email])
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("digest for membership %s failed: %s", member.pk, exc)
        DigestSubscription.objects.filter(pk=subscription.pk).update(
            last_period=subscription.last_period, last_error=str(exc)[:500]
        )
        return False
    DigestSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=now, last_error="")
    return True
