"""Inbox, record page, CSV export, manual entry and channel settings (HTML)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can, require
from soriloop.accounts.views import attach_errors
from soriloop.analysis.engine.kinds import TYPES
from soriloop.analysis.selectors import similar_feedback, similar_in_meaning
from soriloop.analysis.taxonomy import topic_choices, topics_of
from soriloop.feedback import selectors, services
from soriloop.feedback.export import csv_lines, xlsx_file
from soriloop.feedback.filters import BadFilter, FeedbackFilter
from soriloop.feedback.forms import (
    ChannelSettingsForm,
    FilterForm,
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
from soriloop.feedback.models import SCORE_RANGES, Feedback, ImportJob, ImportState
from soriloop.feedback.readers import UnreadableFile, sample
from soriloop.feedback.uploads import upload_too_large
from soriloop.feedback.validation import InvalidFeedback
from soriloop.insights.selectors import record_count

PAGE = 50


def _filters(
    request: HttpRequest, membership: Membership
) -> tuple[FeedbackFilter, dict[str, list[str]]]:
    personal = can(membership, Action.VIEW_PERSONAL_DATA)
    try:
        return FeedbackFilter.from_query(request.GET, personal=personal), {}
    except BadFilter as exc:
        return exc.usable or FeedbackFilter(personal=personal), exc.fields


@member_required
def inbox(request: HttpRequest, membership: Membership) -> HttpResponse:
    filters, errors = _filters(request, membership)
    cursor = request.GET.get("cursor", "")
    try:
        page, next_cursor = selectors.feedback_page(
            workspace=membership.workspace, filters=filters, cursor=cursor, limit=PAGE
        )
    except BadFilter as exc:
        page, next_cursor, errors = [], None, exc.fields
    context = {
        "records": page,
        "next_cursor": next_cursor,
        "filters": filters,
        "query": filters.to_query(),
        "form": FilterForm(
            request.GET or None, topics=topic_choices(workspace=membership.workspace)
        ),
        "filter_errors": errors,
        "total": record_count(membership.workspace, filters),
        "can_write": can(membership, Action.WRITE_FEEDBACK),
        "can_export": can(membership, Action.EXPORT),
        "first_page": not cursor,
    }
    template = "feedback/_rows.html" if request.htmx and cursor else "feedback/inbox.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@member_required
def record(request: HttpRequest, membership: Membership, feedback_id: int) -> HttpResponse:
    item = selectors.feedback_get(workspace=membership.workspace, feedback_id=feedback_id)
    context = {
        "record": item,
        "can_delete": can(membership, Action.DELETE_FEEDBACK),
        "has_raw_mail": can(membership, Action.VIEW_RAW_MAIL)
        and selectors.raw_mail_exists(workspace=membership.workspace, feedback_id=item.pk),
        "can_correct": can(membership, Action.WRITE_FEEDBACK),
        "all_types": TYPES,
        "sentiments": [
            ("positive", _("Positive")),
            ("neutral", _("Neutral")),
            ("negative", _("Negative")),
        ],
        "all_topics": topics_of(workspace=membership.workspace),
        "similar": _similar_records(membership, item),
    }
    return render(request, "feedback/record.html", context)


def _similar_records(
    membership: Membership, item: Feedback
) -> dict[str, list[tuple[Feedback, float]]]:
    """Records like this one: worded alike (near-duplicates) and, once the meaning pass has
    embedded it, alike in meaning."""
    found = {
        "wording": similar_feedback(record=item, limit=5),
        "meaning": similar_in_meaning(record=item, limit=5) or [],
    }
    ids = {pk for pairs in found.values() for pk, _score in pairs}
    records = {
        r.pk: r
        for r in selectors.feedback_records(
            workspace=membership.workspace, filters=FeedbackFilter()
        ).filter(id__in=ids)
    }
    return {
        by: [(records[pk], score) for pk, score in pairs if pk in records]
        for by, pairs in found.items()
    }


@member_required
def record_raw(request: HttpRequest, membership: Membership, feedback_id: int) -> HttpResponse:
    """The original e-mail, as a download (never rendered: it is the sender's HTML); admins."""
    require(membership, Action.VIEW_RAW_MAIL)
    raw = selectors.raw_mail_get(workspace=membership.workspace, feedback_id=feedback_id)
    if raw is None:
        raise Http404("no original message")
    services.raw_mail_audit(actor=membership, feedback_id=feedback_id)
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="feedback-{feedback_id}.eml"'
    return response


@member_required
@require_POST
def record_delete(request: HttpRequest, membership: Membership, feedback_id: int) -> HttpResponse:
    item = selectors.feedback_get(workspace=membership.workspace, feedback_id=feedback_id)
    services.feedback_delete(workspace=membership.workspace, feedback=item, actor=membership)
    messages.success(request, _("Feedback deleted."))
    return redirect("feedback:inbox")


def _export(request: HttpRequest, membership: Membership, kind: str) -> HttpResponseBase:
    filters, errors = _filters(request, membership)
    if errors:
        return HttpResponse(
            "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()), status=400
        )
    services.export_audit(actor=membership, what=f"feedback.{kind}", query=filters.to_query())
    records = selectors.feedback_iter(workspace=membership.workspace, filters=filters)
    tz = ZoneInfo(membership.workspace.timezone)
    reveal = can(membership, Action.VIEW_PERSONAL_DATA)
    name = f"soriloop-feedback-{timezone.now().strftime('%Y%m%d-%H%M')}.{kind}"
    if kind == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            csv_lines(records, tz, reveal=reveal), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # On disk, not in memory; the file is gone once the response is closed.
    target = tempfile.TemporaryFile(dir=django_settings.DATA_DIR)  # noqa: SIM115 (FileResponse closes it)
    xlsx_file(records, tz, target, reveal=reveal)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=name, content_type=XLSX_TYPE)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@member_required
def export_csv(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    return _export(request, membership, "csv")


@member_required
def export_xlsx(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    return _export(request, membership, "xlsx")


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
            return redirect("feedback:record", feedback_id=result.feedback_id)
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
