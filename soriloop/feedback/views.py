"""The intake pages: manual entry, channel settings and file imports (HTML)."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can, require
from soriloop.accounts.views import attach_errors
from soriloop.feedback import selectors, services
from soriloop.feedback.forms import (
    ChannelSettingsForm,
    ManualEntryForm,
    MappingForm,
    UploadForm,
)
from soriloop.feedback.imports import (
    BadMapping,
    Mapping_,
    ScoreSpec,
    import_create,
    import_start,
    score_check_of,
)
from soriloop.feedback.models import SCORE_RANGES, ImportJob, ImportState
from soriloop.feedback.readers import UnreadableFile, sample
from soriloop.feedback.uploads import upload_too_large
from soriloop.feedback.validation import InvalidFeedback


@member_required
@require_http_methods(["GET", "POST"])
def manual_entry(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ManualEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.feedback_enter_manually(actor=membership, data=form.payload())
        except InvalidFeedback as exc:
            for field, reasons in exc.fields.items():
                name = field.replace("customer.", "customer_")
                form.add_error(name if name in form.fields else None, reasons)
        else:
            messages.success(request, _("Feedback recorded."))
            return redirect("inbox:record", feedback_id=result.feedback_id)
    return render(request, "feedback/manual.html", {"form": form})


@member_required
@require_http_methods(["GET", "POST"])
def channels(request: HttpRequest, membership: Membership) -> HttpResponse:
    settings = services.channel_settings_get(workspace=membership.workspace)
    initial = {
        "widget_origins": "\n".join(settings.widget_origins),
        **{
            name: getattr(settings, name)
            for name in ChannelSettingsForm.base_fields
            if name != "widget_origins"
        },
    }
    form = ChannelSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_settings_update(actor=membership, data=form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Channel settings saved."))
            return redirect("feedback:channels")
    site = request.build_absolute_uri("/").rstrip("/")
    context = {
        "form": form,
        "settings": settings,
        "site": site,
        "editable": can(membership, Action.MANAGE_SETTINGS),
        "inbound_address": services.inbound_address(settings=settings),
    }
    return render(request, "feedback/channels.html", context)


def _mapping_initial(job: ImportJob) -> dict[str, object]:
    mapping = Mapping_.from_json(job.mapping)
    initial: dict[str, object] = dict(mapping.columns)
    if mapping.score:
        initial["score"] = mapping.score.column
        initial["score_scale"] = (
            mapping.score.kind if mapping.score.kind != "stars" else f"stars:{mapping.score.scale}"
        )
    initial.update(channel=mapping.channel, source=job.source, keep_other=bool(mapping.metadata))
    return initial


def _mapping_from(form: MappingForm, columns: list[str]) -> Mapping_:
    data = form.cleaned_data
    chosen = {t: data[t] for t in MappingForm.TARGET_LABELS if data.get(t)}
    score = None
    if data.get("score"):
        kind, _sep, scale = (data.get("score_scale") or "stars:5").partition(":")
        score = ScoreSpec(
            column=data["score"],
            kind=kind,
            scale=int(scale) if scale else SCORE_RANGES[kind][1],
            confirmed=bool(data.get("score_confirmed")),
        )
    used = {*chosen.values(), *([score.column] if score else [])}
    metadata = tuple(c for c in columns if c not in used) if data.get("keep_other") else ()
    return Mapping_(columns=chosen, score=score, metadata=metadata, channel=data["channel"])


@member_required
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest, membership: Membership) -> HttpResponse:
    posted = request.method == "POST"  # bound even when the cut-off file left nothing
    form = UploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        too_large=upload_too_large(request),
    )
    if request.method == "POST":
        require(membership, Action.WRITE_FEEDBACK)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_create(
                    workspace=membership.workspace,
                    file_name=upload.name,
                    stream=upload.chunks(),
                    created_by=membership.user,
                    source=form.cleaned_data["source"],
                )
            except UnreadableFile as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("feedback:import_detail", job_id=job.pk)
    context = {"form": form, "jobs": selectors.import_jobs(workspace=membership.workspace)[:50]}
    return render(request, "feedback/imports.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, membership: Membership, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(workspace=membership.workspace, job_id=job_id)
    form = MappingForm(request.POST or None, columns=job.columns, initial=_mapping_initial(job))
    if request.method == "POST" and job.state == ImportState.MAPPING and form.is_valid():
        try:
            import_start(
                actor=membership,
                job=job,
                mapping=_mapping_from(form, job.columns),
                source=form.cleaned_data["source"],
            )
        except BadMapping as exc:
            for field, reasons in exc.fields.items():
                form.add_error(field if field in form.fields else None, reasons)
        else:
            return redirect("feedback:import_detail", job_id=job.pk)
    preview: list[dict[str, object]] = []
    if job.state == ImportState.MAPPING:
        _columns, rows = sample(Path(job.file_path), job.file_format, limit=5)
        preview = [r.values for r in rows]
    context = {
        "job": job,
        "form": form,
        "preview": preview,
        "percent": _percent(job),
        "score_check": score_check_of(job),
    }
    template = "feedback/_import_progress.html" if request.htmx else "feedback/import_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _percent(job: ImportJob) -> int:
    if job.state == ImportState.DONE:
        return 100
    return int(100 * job.bytes_done / job.file_size) if job.file_size else 0
