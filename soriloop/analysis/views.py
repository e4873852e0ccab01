"""The workspace's analysis settings (HTML)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can
from soriloop.analysis import services


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
    context = {
        "form": form,
        "editable": can(membership, Action.MANAGE_SETTINGS),
        "current": current,
    }
    return render(request, "analysis/settings.html", context)
