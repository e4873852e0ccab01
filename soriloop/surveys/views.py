"""The survey pages (HTML): the list, the builder (with publish, close, the public link and
its QR code, and invitations), the results and their exports. Reads go through the
selectors and changes through the services, which check the roles."""

from __future__ import annotations

import io
import re
import tempfile
from typing import Any
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can, require
from soriloop.surveys import campaigns, export, progress, selectors, services, triggers
from soriloop.surveys.forms import (
    KIND_LABELS,
    Builder,
    CampaignForm,
    InviteForm,
    NewSurveyForm,
    TriggerForm,
    reason,
)
from soriloop.surveys.models import Invitation, Survey
from soriloop.surveys.questions import SurveyInvalid


def _survey(membership: Membership, survey_id: int) -> Survey:
    survey = selectors.survey_get(workspace=membership.workspace, survey_id=survey_id)
    if survey is None:
        raise Http404("no such survey in this workspace")
    return survey


def _list_page(
    request: HttpRequest, membership: Membership, form: NewSurveyForm | None = None
) -> HttpResponse:
    context = {
        "rows": selectors.survey_list(workspace=membership.workspace),
        "new_form": form or NewSurveyForm(),
        "can_build": can(membership, Action.MANAGE_SURVEYS),
    }
    return render(request, "surveys/list.html", context)


@member_required
@require_GET
def survey_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _list_page(request, membership)


@member_required
@require_POST
def survey_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = NewSurveyForm(request.POST)
    if form.is_valid():
        try:
            survey = services.survey_create(
                workspace=membership.workspace, actor=membership, data=form.definition()
            )
        except SurveyInvalid as exc:
            form.add_error("name", [reason(m) for ms in exc.fields.values() for m in ms])
        else:
            messages.success(request, _("Survey created as a draft."))
            return redirect("surveys:builder", survey_id=survey.pk)
    return _list_page(request, membership, form)


def _builder_page(
    request: HttpRequest,
    survey: Survey,
    builder: Builder,
    *,
    invite_form: InviteForm | None = None,
    invited: list[Invitation] | None = None,
    unsaved: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "survey": survey,
        "builder": builder,
        "version": survey.current.number,
        "public_link": services.public_link(survey),
        "hidden_keys": [q["key"] for q in survey.current.questions if q["kind"] == "hidden"],
        "invite_form": invite_form or InviteForm(),
        "invited": [(i, services.invitation_link(i)) for i in invited or []],
        "kinds": list(KIND_LABELS.items()),
        "unsaved": unsaved,
    }
    return render(request, "surveys/builder.html", context, status=status)


def _saved(before: int, after: int) -> str:
    if after > before:
        return _("Saved. The questions are now version %(n)s.") % {"n": after}
    return _("Saved.")


@member_required
@require_http_methods(["GET", "POST"])
def survey_builder(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey(membership, survey_id)
    require(membership, Action.MANAGE_SURVEYS)
    if request.method == "GET":
        return _builder_page(request, survey, Builder(survey))
    builder = Builder(survey, request.POST)
    operation = request.POST.get("op", "save")
    if operation != "save":
        builder.apply(operation, request.POST.get("new_kind", "text"))
        return _builder_page(request, survey, builder, unsaved=True)
    if builder.is_valid():
        before = survey.current.number
        try:
            services.survey_update(survey=survey, actor=membership, data=builder.payload())
        except SurveyInvalid as exc:
            survey.refresh_from_db()  # the change was rolled back
            builder.attach(exc)
        else:
            messages.success(request, _saved(before, survey.current.number))
            return redirect("surveys:builder", survey_id=survey.pk)
    return _builder_page(request, survey, builder, status=422)


@member_required
@require_POST
def survey_publish(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey(membership, survey_id)
    try:
        services.survey_publish(survey=survey, actor=membership)
    except SurveyInvalid:
        messages.error(request, _("A closed survey cannot be published again."))
    else:
        messages.success(request, _("Published: the links take answers now."))
    return redirect("surveys:builder", survey_id=survey.pk)


@member_required
@require_POST
def survey_close(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey(membership, survey_id)
    services.survey_close(survey=survey, actor=membership)
    messages.success(request, _("Closed: the links no longer take answers."))
    return redirect("surveys:builder", survey_id=survey.pk)


@member_required
@require_POST
def survey_invite(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey(membership, survey_id)
    require(membership, Action.MANAGE_SURVEYS)
    form = InviteForm(request.POST)
    if form.is_valid():
        send = form.cleaned_data["send"]
        try:
            recipients = services.parse_recipients(form.payload())
            invitations = services.invitations_create(
                survey=survey, actor=membership, recipients=recipients, send=send
            )
        except SurveyInvalid as exc:
            form.attach(exc)
        else:
            if send == "none":
                return _builder_page(request, survey, Builder(survey), invited=invitations)
            n = len(invitations)
            text = ngettext(
                "%(n)s invitation is on its way by e-mail.",
                "%(n)s invitations are on their way by e-mail.",
                n,
            )
            messages.success(request, text % {"n": n})
            return redirect("surveys:builder", survey_id=survey.pk)
    return _builder_page(request, survey, Builder(survey), invite_form=form, status=422)


@member_required
@require_GET
def survey_qr(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    """The public link as an SVG QR code, to print."""
    survey = _survey(membership, survey_id)
    image = qrcode.make(
        services.public_link(survey),
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=12,
        border=2,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@member_required
@require_GET
def survey_results(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey(membership, survey_id)
    results = selectors.survey_results(survey=survey)
    context: dict[str, Any] = {
        "survey": survey,
        "results": results,
        "questions": list(zip(survey.current.questions, results["questions"], strict=True)),
        "can_build": can(membership, Action.MANAGE_SURVEYS),
        "can_export": can(membership, Action.EXPORT),
        "metrics": [("NPS", "nps"), ("CSAT", "csat"), ("CES", "ces")],
    }
    return render(request, "surveys/results.html", context)


def _sending_page(
    request: HttpRequest,
    membership: Membership,
    survey: Survey,
    *,
    campaign_form: CampaignForm | None = None,
    trigger_form: TriggerForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "survey": survey,
        "sending": progress.sending_page_get(survey=survey),
        "can_send": can(membership, Action.MANAGE_SURVEYS),
        "campaign_form": campaign_form or CampaignForm(),
        "trigger_form": trigger_form or TriggerForm(),
        "zone": membership.workspace.timezone,
        "busy_states": ("sending", "scheduled"),
    }
    template = "surveys/sending.html"
    if request.htmx and request.GET.get("part") == "progress":  # type: ignore[attr-defined]
        template = "surveys/_sending_progress.html"
    return render(request, template, context, status=status)


@member_required
@require_GET
def survey_sending(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    """Campaigns with their progress (refreshing while one sends), trigger rules with what
    they sent, and the e-mails that bounced or failed."""
    return _sending_page(request, membership, _survey(membership, survey_id))


@member_required
@require_POST
def survey_campaign_new(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponse:
    survey = _survey(membership, survey_id)
    require(membership, Action.MANAGE_SURVEYS)
    with timezone.override(ZoneInfo(membership.workspace.timezone)):
        form = CampaignForm(request.POST, request.FILES)
        valid = form.is_valid()
    if valid:
        data = form.cleaned_data
        hidden = [q["key"] for q in survey.current.questions if q["kind"] == "hidden"]
        try:
            if data["csv_file"]:
                good, rejected = campaigns.recipients_from_csv(
                    text=data["csv_file"], hidden_keys=hidden
                )
                source = "csv"
            else:
                good, rejected = campaigns.recipients_check(form.payload(), hidden_keys=hidden)
                source = "list"
            campaign = campaigns.campaign_create(
                survey=survey,
                actor=membership,
                recipients=good,
                name=data["name"],
                source=source,
                reminder_days=data["reminder_days"],
                start_at=data["start_at"],
            )
        except SurveyInvalid as exc:
            form.attach(exc)
        else:
            text = ngettext(
                "The campaign sends %(n)s invitation.",
                "The campaign sends %(n)s invitations.",
                len(good),
            )
            messages.success(request, text % {"n": len(good)})
            for item in rejected[:20]:
                messages.warning(request, f"{_skipped_where(item.where)}: {reason(item.reason)}")
            if len(rejected) > 20:
                messages.warning(request, _("%(n)s more left out.") % {"n": len(rejected) - 20})
            return redirect(
                f"{reverse('surveys:sending', args=[survey.pk])}#campaign-{campaign.pk}"
            )
    return _sending_page(request, membership, survey, campaign_form=form, status=422)


def _skipped_where(where: str) -> str:
    """``line 3`` or ``recipients[2]`` in the page's language."""
    found = re.match(r"(?:line (\d+)|recipients\[(\d+)\])$", where)
    if found is None:
        return where
    n = int(found.group(1)) if found.group(1) else int(found.group(2)) + 1
    return _("Line %(n)s") % {"n": n}


@member_required
@require_POST
def survey_campaign_cancel(
    request: HttpRequest, membership: Membership, survey_id: int, campaign_id: int
) -> HttpResponse:
    survey = _survey(membership, survey_id)
    campaign = progress.campaign_get(survey=survey, campaign_id=campaign_id)
    if campaign is None:
        raise Http404("no such campaign in this survey")
    campaigns.campaign_cancel(campaign=campaign, actor=membership)
    messages.success(request, _("The campaign is stopped; what was sent stays sent."))
    return redirect("surveys:sending", survey_id=survey.pk)


@member_required
@require_POST
def survey_trigger_new(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponse:
    survey = _survey(membership, survey_id)
    require(membership, Action.MANAGE_SURVEYS)
    form = TriggerForm(request.POST)
    if form.is_valid():
        try:
            triggers.trigger_create(survey=survey, actor=membership, data=form.cleaned_data)
        except SurveyInvalid as exc:
            for where, found in exc.fields.items():
                for message in found:
                    field = where if where in form.fields else None
                    form.add_error(field, reason(message))
        else:
            messages.success(request, _("The rule is on."))
            return redirect("surveys:sending", survey_id=survey.pk)
    return _sending_page(request, membership, survey, trigger_form=form, status=422)


@member_required
@require_POST
def survey_trigger_stop(
    request: HttpRequest, membership: Membership, survey_id: int, trigger_id: int
) -> HttpResponse:
    survey = _survey(membership, survey_id)
    trigger = progress.trigger_get(survey=survey, trigger_id=trigger_id)
    if trigger is None:
        raise Http404("no such trigger rule in this survey")
    triggers.trigger_stop(trigger=trigger, actor=membership)
    messages.success(request, _("The rule is off; what it already scheduled still goes."))
    return redirect("surveys:sending", survey_id=survey.pk)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(membership: Membership, survey_id: int, kind: str) -> HttpResponseBase:
    survey = _survey(membership, survey_id)
    services.responses_export_audit(actor=membership, survey=survey, file_format=kind)
    columns = export.Columns.of(survey)
    responses = selectors.responses_started(survey=survey).iterator(chunk_size=1000)
    tz = ZoneInfo(survey.workspace.timezone)
    reveal = can(membership, Action.VIEW_PERSONAL_DATA)
    name = f"soriloop-survey-{survey.pk}-{timezone.now().strftime('%Y%m%d-%H%M')}.{kind}"
    if kind == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            export.csv_lines(responses, columns, tz, reveal=reveal),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # On disk, not in memory; the file is gone once the response is closed.
    target = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 (FileResponse closes it)
    export.xlsx_file(responses, columns, tz, target, reveal=reveal)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=name, content_type=XLSX_TYPE)


@member_required
@require_GET
def survey_export_csv(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponseBase:
    return _export(membership, survey_id, "csv")


@member_required
@require_GET
def survey_export_xlsx(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponseBase:
    return _export(membership, survey_id, "xlsx")
