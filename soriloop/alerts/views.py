"""The alerts pages (HTML): fired alerts and one's notifications; the rules, their form,
preview and mute (docs/alerts.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can, require
from soriloop.alerts import rules, selectors
from soriloop.alerts.digests import DigestInvalid, digest_subscribe
from soriloop.alerts.models import AlertRule
from soriloop.alerts.notify import notifications_mark_read
from soriloop.alerts.rules import AlertRuleInvalid
from soriloop.core.fields import parse_id
from soriloop.core.templatetags.soriloop import TYPE_LABELS
from soriloop.feedback.models import Channel, ScoreKind

SENTIMENTS = [
    ("", gettext_lazy("Any")),
    ("negative", gettext_lazy("Negative")),
    ("neutral", gettext_lazy("Neutral")),
    ("positive", gettext_lazy("Positive")),
]
ABUSE = [
    ("", gettext_lazy("Any")),
    ("yes", gettext_lazy("Abusive")),
    ("no", gettext_lazy("Not abusive")),
]
KINDS = [
    ("record", gettext_lazy("Each record (conditions below)")),
    ("aggregate", gettext_lazy("A measure over the rollups, checked on a schedule")),
]
MEASURES = [
    ("", gettext_lazy("None")),
    ("negative_share", gettext_lazy("A topic's negative share against its baseline")),
    ("nps_drop", gettext_lazy("NPS of the last 7 days down against the 7 before")),
    ("keyword_volume", gettext_lazy("Volume of a keyword")),
    ("spike", gettext_lazy("A spike")),
]
SPIKE_KINDS = [
    ("", gettext_lazy("Any")),
    ("volume", gettext_lazy("Volume")),
    ("negative_share", gettext_lazy("Negative share")),
]
AGGREGATE_FIELDS = {
    "negative_share": ("agg_topic", "hours", "factor"),
    "nps_drop": ("points",),
    "keyword_volume": ("agg_keyword", "hours", "min_count"),
    "spike": ("agg_topic", "spike_kind"),
}
SPEC_NAMES = {"agg_topic": "topic", "agg_keyword": "keyword"}
SPEC_FIELDS = (
    "measure",
    "agg_topic",
    "agg_keyword",
    "hours",
    "factor",
    "points",
    "min_count",
    "spike_kind",
)
MUTE_HOURS = (1, 8, 24)
LIST_HELP = gettext_lazy("Comma-separated; any of them matches.")


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)
    kind = forms.ChoiceField(
        label=gettext_lazy("Fires on"),
        choices=KINDS,
        initial="record",
        required=False,
        widget=forms.RadioSelect,
    )
    measure = forms.ChoiceField(label=gettext_lazy("Measure"), choices=MEASURES, required=False)
    agg_topic = forms.CharField(
        label=gettext_lazy("Topic key of the measure"), max_length=100, required=False
    )
    agg_keyword = forms.CharField(
        label=gettext_lazy("Keyword of the measure"), max_length=100, required=False
    )
    hours = forms.IntegerField(
        label=gettext_lazy("Over the last hours"), min_value=1, max_value=168, required=False
    )
    factor = forms.FloatField(
        label=gettext_lazy("Times its baseline"), min_value=1, max_value=100, required=False
    )
    points = forms.FloatField(
        label=gettext_lazy("NPS points down"), min_value=0, max_value=200, required=False
    )
    min_count = forms.IntegerField(
        label=gettext_lazy("At least records"), min_value=1, required=False
    )
    spike_kind = forms.ChoiceField(
        label=gettext_lazy("Spike kind"), choices=SPIKE_KINDS, required=False
    )
    sentiment = forms.ChoiceField(
        label=gettext_lazy("Sentiment"), choices=SENTIMENTS, required=False
    )
    min_confidence = forms.FloatField(
        label=gettext_lazy("Minimum confidence"), min_value=0, max_value=1, required=False
    )
    topics = forms.CharField(label=gettext_lazy("Topic keys"), help_text=LIST_HELP, required=False)
    types = forms.MultipleChoiceField(
        label=gettext_lazy("Types"), choices=list(TYPE_LABELS.items()), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    score_kind = forms.ChoiceField(
        label=gettext_lazy("Score kind"), choices=[("", gettext_lazy("Any")), *ScoreKind.choices],
        required=False,
    )  # fmt: skip
    score_min = forms.FloatField(label=gettext_lazy("Lowest score"), required=False)
    score_max = forms.FloatField(label=gettext_lazy("Highest score"), required=False)
    keyword = forms.CharField(label=gettext_lazy("Keyword"), max_length=100, required=False)
    languages = forms.CharField(
        label=gettext_lazy("Languages"), help_text=LIST_HELP, required=False
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"), choices=Channel.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    sources = forms.CharField(label=gettext_lazy("Sources"), help_text=LIST_HELP, required=False)
    touchpoints = forms.CharField(
        label=gettext_lazy("Touchpoints"), help_text=LIST_HELP, required=False
    )
    segments = forms.CharField(
        label=gettext_lazy("Customer segments"), help_text=LIST_HELP, required=False
    )
    abusive = forms.ChoiceField(label=gettext_lazy("Abuse"), choices=ABUSE, required=False)
    notify_user_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Also notify"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    in_app = forms.BooleanField(
        label=gettext_lazy("In-app notification"), required=False, initial=True
    )
    email = forms.BooleanField(label=gettext_lazy("E-mail"), required=False)
    slack_url = forms.URLField(
        label=gettext_lazy("Slack-compatible incoming webhook URL"),
        max_length=2000,
        required=False,
        assume_scheme="https",
    )
    webhook = forms.BooleanField(
        label=gettext_lazy("Send alert.fired to webhooks"), required=False, initial=True
    )
    dedup_minutes = forms.IntegerField(
        label=gettext_lazy("Dedup window (minutes)"), min_value=0, max_value=10080, initial=60
    )
    max_per_hour = forms.IntegerField(
        label=gettext_lazy("At most alerts per hour"), min_value=1, max_value=1000, initial=10
    )
    quiet_start = forms.TimeField(label=gettext_lazy("Quiet hours from"), required=False)
    quiet_end = forms.TimeField(label=gettext_lazy("Quiet hours until"), required=False)

    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["notify_user_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(m.user_id, m.user.display_name) for m in members]

    def rule_data(self) -> dict[str, Any]:
        """The cleaned form as ``alert_rule_create``/``alert_rule_update`` take it."""
        c = self.cleaned_data
        conditions: dict[str, Any] = {
            name: _list(c[name])
            for name in ("topics", "languages", "sources", "touchpoints", "segments")
        }
        conditions |= {"types": c["types"], "channels": c["channels"], "keyword": c["keyword"]}
        conditions |= {"sentiment": c["sentiment"] or None, "min_confidence": c["min_confidence"]}
        conditions |= {"score_kind": c["score_kind"] or None}
        conditions |= {"score_min": c["score_min"], "score_max": c["score_max"]}
        conditions["abusive"] = {"yes": True, "no": False}.get(c["abusive"])
        data = {k: c[k] for k in ("name", "enabled", "notify_user_ids", "in_app", "email")}
        data |= {k: c[k] for k in ("slack_url", "webhook", "dedup_minutes", "max_per_hour")}
        data |= {"quiet_start": c["quiet_start"], "quiet_end": c["quiet_end"]}
        data["kind"] = c["kind"] or "record"
        if data["kind"] == "aggregate":
            data["aggregate"] = self._aggregate()
        return {**data, "conditions": conditions}

    def _aggregate(self) -> dict[str, Any]:
        c = self.cleaned_data
        spec: dict[str, Any] = {"measure": c["measure"]}
        for name in AGGREGATE_FIELDS.get(c["measure"], ()):
            if c[name] not in (None, ""):
                spec[SPEC_NAMES.get(name, name)] = c[name]
        return spec


def rule_initial(rule: AlertRule) -> dict[str, Any]:
    c = rule.conditions
    initial: dict[str, Any] = {
        name: ", ".join(c.get(name, []))
        for name in ("topics", "languages", "sources", "touchpoints", "segments")
    }
    initial |= {k: c.get(k) for k in ("types", "channels", "keyword", "min_confidence")}
    initial |= {k: c.get(k) for k in ("sentiment", "score_kind", "score_min", "score_max")}
    initial["abusive"] = {True: "yes", False: "no"}.get(c.get("abusive"), "")
    for name in ("name", "enabled", "notify_user_ids", "in_app", "email", "slack_url", "webhook"):
        initial[name] = getattr(rule, name)
    for name in ("dedup_minutes", "max_per_hour", "quiet_start", "quiet_end", "kind"):
        initial[name] = getattr(rule, name)
    spec = rule.aggregate or {}
    initial |= {name: spec.get(SPEC_NAMES.get(name, name)) for name in SPEC_FIELDS}
    return initial


@member_required
@require_http_methods(["GET", "POST"])
def alerts_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "POST" and "digest" in request.POST:
        try:
            digest_subscribe(membership=membership, frequency=request.POST["digest"])
        except DigestInvalid as exc:
            return HttpResponse(f"digest: {exc}", status=400, content_type="text/plain")
        messages.success(request, _("Digest e-mail saved."))
        return redirect("alerts:alerts")
    if request.method == "POST":
        one = parse_id(request.POST.get("notification"))
        notifications_mark_read(
            user=membership.user,
            workspace_id=membership.workspace_id,
            ids=[one] if one else None,
        )
        return redirect("alerts:alerts")
    page = selectors.alerts_page_get(workspace=membership.workspace, user=membership.user)
    return render(request, "alerts/alerts.html", {"page": page})


@member_required
@require_http_methods(["GET", "POST"])
def rules_page(
    request: HttpRequest, membership: Membership, rule_id: int | None = None
) -> HttpResponse:
    page = selectors.alert_rules_page_get(workspace=membership.workspace)
    editing = next((r for r in page.rules if r.pk == rule_id), None)
    if rule_id is not None and editing is None:
        raise Http404("alert rule not found")
    if request.method == "POST":
        require(membership, Action.MANAGE_SETTINGS)
        if editing is not None and request.POST.get("action") in ("delete", "mute", "unmute"):
            return _rule_action(request, membership, editing)
    initial = rule_initial(editing) if editing else None
    form = RuleForm(request.POST or None, initial=initial, members=page.members)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "preview" and editing is not None:
                preview = rules.alert_rule_preview(rule=editing)
            else:
                return _save(request, membership, editing, form)
        except AlertRuleInvalid as exc:
            for name, reasons in exc.fields.items():
                form.add_error(name if name in form.fields else None, "; ".join(reasons))
    context = {
        "page": page,
        "form": form,
        "editing": editing,
        "preview": preview,
        "mute_hours": MUTE_HOURS,
        "editable": can(membership, Action.MANAGE_SETTINGS),
        "now": timezone.now(),
    }
    return render(request, "alerts/rules.html", context)


def _save(
    request: HttpRequest, membership: Membership, editing: AlertRule | None, form: RuleForm
) -> HttpResponse:
    data = form.rule_data()
    if editing is None:
        saved = rules.alert_rule_create(workspace=membership.workspace, actor=membership, data=data)
    else:
        saved = rules.alert_rule_update(rule=editing, actor=membership, data=data)
    messages.success(request, _("Alert rule saved."))
    return redirect("alerts:rule_edit", rule_id=saved.pk)


def _rule_action(request: HttpRequest, membership: Membership, rule: AlertRule) -> HttpResponse:
    action = request.POST.get("action")
    if action == "delete":
        rules.alert_rule_delete(rule=rule, actor=membership)
        messages.success(request, _("Alert rule deleted."))
        return redirect("alerts:rules")
    until = None
    if action == "mute":
        hours = parse_id(request.POST.get("hours")) or 1
        if hours not in MUTE_HOURS:
            raise PermissionDenied("unknown snooze")
        until = timezone.now() + dt.timedelta(hours=hours)
    rules.alert_rule_update(rule=rule, actor=membership, data={"muted_until": until})
    messages.success(request, _("Alert rule muted.") if until else _("Alert rule unmuted."))
    return redirect("alerts:rule_edit", rule_id=rule.pk)


@require_http_methods(["GET"])
def bell(request: HttpRequest) -> HttpResponse:
    """The bell with its unread count, polled by every page (htmx, ``BELL_POLL_SECONDS``).
    Signed out or without a workspace: 204, so the poll leaves the page as it is instead of
    swapping a sign-in page into the header."""
    if getattr(request, "membership", None) is None:
        return HttpResponse(status=204)
    return render(request, "alerts/_bell.html")
