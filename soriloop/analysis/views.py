"""The workspace's analysis settings (HTML)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can, require
from soriloop.analysis import services
from soriloop.analysis.adapt import MIN_PER_CLASS, adapted_model
from soriloop.analysis.corrections import analysis_correct
from soriloop.analysis.emerging import emerging_accept, emerging_detect, emerging_reject
from soriloop.analysis.selectors import emerging_issue_get, emerging_list, workspace_models_active
from soriloop.analysis.taxonomy import topic_save, topics_of
from soriloop.core.fields import parse_id
from soriloop.feedback import selectors as feedback_selectors


class AnalysisSettingsForm(forms.Form):
    redact_pii = forms.BooleanField(
        label=gettext_lazy("Hide personal data from analysis"),
        help_text=gettext_lazy(
            "Phone numbers, e-mails, resident numbers, cards and accounts are replaced by labels before the text is analysed."
        ),
        required=False,
    )
    keep_original = forms.BooleanField(
        label=gettext_lazy("Keep the original text"),
        help_text=gettext_lazy("Off: once analysed, only the redacted text is stored."),
        required=False,
    )


@member_required
@require_http_methods(["GET", "POST"])
def analysis_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    current = services.analysis_settings_get(workspace=membership.workspace)
    form = AnalysisSettingsForm(
        request.POST or None,
        initial={"redact_pii": current.redact_pii, "keep_original": current.keep_original},
    )
    if request.method == "POST" and form.is_valid():
        services.analysis_settings_update(
            actor=membership,
            redact_pii=form.cleaned_data["redact_pii"],
            keep_original=form.cleaned_data["keep_original"],
        )
        messages.success(request, _("Analysis settings saved."))
        return redirect("analysis:settings")
    adapted = adapted_model(membership.workspace.pk)
    context = {
        "form": form,
        "editable": can(membership, Action.MANAGE_SETTINGS),
        "current": current,
        "adapted_at": (
            dt.datetime.fromisoformat(current.adapt_report["at"])
            if current.adapt_report.get("at")
            else None
        ),
        "adaptations": [
            (label, run, _why_kept(run))
            for kind, label in (("sentiment", _("Sentiment")), ("topics", _("Topics")))
            if (run := current.adapt_report.get(kind))
        ],
        "sentiment_sets": _sentiment_sets(current.adapt_report.get("sentiment") or {}),
        "models": workspace_models_active(workspace=membership.workspace),
        "adapted": adapted,
        "using_adapted": adapted is not None and current.sentiment_model == "adapted",
    }
    return render(request, "analysis/settings.html", context)


def _set_names() -> dict[str, str]:
    return {
        "workspace": _("This workspace's held-out records"),
        "cx-ko": _("Customer-service dev set, Korean"),
        "cx-en": _("Customer-service dev set, English"),
    }


def _sentiment_sets(run: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(set name, shipped head's scores, adapted head's scores) of the last sentiment run."""
    if "after" not in run:
        return []
    names = _set_names()
    found = [(names["workspace"], run["before"], run["after"])]
    for lang in run.get("cx_after", {}):
        found.append((names[f"cx-{lang}"], run["cx_before"][lang], run["cx_after"][lang]))
    return found


def _why_kept(run: dict[str, Any]) -> str:
    """Why an adaptation kept the model in use, in the page's language."""
    if run.get("switched_in"):
        return ""
    why = run.get("why")
    classes = {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}
    short = ", ".join(classes.get(c, c) for c in run.get("short", []))
    if why == "too_few":
        return _("too few distinct labelled records of: %(classes)s (%(n)d of each needed)") % {
            "classes": short,
            "n": MIN_PER_CLASS,
        }
    if why == "too_few_dev":
        return _("too few held-out records of: %(classes)s") % {"classes": short}
    if why == "no_cx_dev":
        return _("the customer-service dev sets are missing (SORILOOP_CX_DEV_DIR)")
    if why == "worse":
        names = _set_names()
        worse = ", ".join(names.get(w, w) for w in run.get("worse_on", []))
        return _("it scored worse than the shipped model on: %(sets)s") % {"sets": worse}
    if why == "kept_shipped":
        return _("it passed, but an admin chose the shipped model")
    if "before" not in run:
        return _("too few labelled records (%(n)d)") % {"n": run.get("examples", 0)}
    return _("the new model scored worse on the held-out records")


@member_required
@require_http_methods(["POST"])
def model_use(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Switch the workspace's sentiment head between the shipped and the adapted one."""
    model = request.POST.get("model", "")
    try:
        services.analysis_model_use(actor=membership, model=model)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = {
            "shipped": _("New records are analysed with the shipped model."),
            "adapted": _("New records are analysed with this workspace's adapted model."),
        }
        messages.success(request, done[model])
    return redirect("analysis:settings")


@member_required
@require_http_methods(["POST"])
def adapt(request: HttpRequest, membership: Membership) -> HttpResponse:
    services.analysis_adapt_request(actor=membership)
    messages.success(
        request, _("Learning from this workspace's corrections; the result appears here.")
    )
    return redirect("analysis:settings")


class TopicForm(forms.Form):
    name_ko = forms.CharField(label=gettext_lazy("Name (Korean)"), max_length=80)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=80)
    keywords = forms.CharField(
        label=gettext_lazy("Keywords"),
        help_text=gettext_lazy("Comma-separated, Korean and English: 배송, 택배, delivery"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    examples = forms.CharField(
        label=gettext_lazy("Example sentences"),
        help_text=gettext_lazy("One per line; a few real ones work best."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    active = forms.BooleanField(label=gettext_lazy("In use"), required=False, initial=True)


@member_required
@require_http_methods(["GET", "POST"])
def topics(
    request: HttpRequest, membership: Membership, topic_id: int | None = None
) -> HttpResponse:
    existing = topics_of(workspace=membership.workspace)
    editing = next((t for t in existing if t.pk == topic_id), None)
    if topic_id is not None and editing is None:
        raise Http404("topic not found")
    initial = (
        {"name_ko": editing.name_ko, "name_en": editing.name_en, "keywords": ", ".join(editing.keywords),
         "examples": "\\n".join(editing.examples), "active": editing.active}
        if editing else {"active": True}
    )  # fmt: skip
    form = TopicForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        topic_save(actor=membership, topic=editing, **form.cleaned_data)
        messages.success(request, _("Topic saved. Re-analyse to apply it to earlier feedback."))
        return redirect("analysis:topics")
    context = {
        "topics": existing,
        "form": form,
        "editing": editing,
        "editable": can(membership, Action.MANAGE_SETTINGS),
    }
    return render(request, "analysis/topics.html", context)


@member_required
@require_http_methods(["POST"])
def reanalyze(request: HttpRequest, membership: Membership) -> HttpResponse:
    count = services.analysis_reanalyze(actor=membership)
    messages.success(request, _("%(n)d records will be analysed again.") % {"n": count})
    return redirect("analysis:topics")


@member_required
@require_http_methods(["POST"])
def correct(request: HttpRequest, membership: Membership, feedback_id: int) -> HttpResponse:
    """The record page's correction form: sentiment, types and topics at once."""
    record = feedback_selectors.feedback_get(
        workspace=membership.workspace, feedback_id=feedback_id
    )
    changes = {
        "sentiment": request.POST.get("sentiment") or None,
        "types": request.POST.getlist("types"),
        "topics": request.POST.getlist("topics"),
    }
    try:
        analysis_correct(feedback=record, changes=changes, actor=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Correction saved. It wins over the model from now on."))
    return redirect("inbox:record", feedback_id=record.pk)


@member_required
@require_http_methods(["GET", "POST"])
def emerging(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Proposed topics from recent negative feedback nobody's topics cover: accept (under
    the names given, which renames it), reject, or look again now."""
    workspace = membership.workspace
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "scan":
            require(membership, Action.MANAGE_SETTINGS)
            found = emerging_detect(workspace=workspace)
            messages.success(request, _("%(n)d emerging issues found.") % {"n": len(found)})
            return redirect("analysis:emerging")
        issue = emerging_issue_get(
            workspace=workspace, issue_id=parse_id(request.POST.get("issue"))
        )
        if issue is None:
            raise Http404
        if action == "accept":
            topic = emerging_accept(
                actor=membership,
                issue=issue,
                name_ko=request.POST.get("name_ko", ""),
                name_en=request.POST.get("name_en", ""),
            )
            messages.success(
                request,
                _("“%(name)s” is now a topic. Re-analyse to sort past feedback into it.")
                % {"name": topic.name_in(workspace.default_language)},
            )
        elif action == "reject":
            emerging_reject(actor=membership, issue=issue)
            messages.success(request, _("The issue will not be proposed again."))
        return redirect("analysis:emerging")
    issues = emerging_list(workspace=workspace)
    context = {
        "proposed": issues.proposed,
        "decided": issues.decided,
        "can_manage": can(membership, Action.MANAGE_SETTINGS),
    }
    return render(request, "analysis/emerging.html", context)
