"""The pages people read feedback in: home, the inbox, the record page and exports (HTML).

This app stands above analysis and insights: it shows what they found, and nothing below it
imports it."""

from __future__ import annotations

import tempfile
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can, require
from soriloop.analysis.engine.kinds import TYPES
from soriloop.analysis.taxonomy import topic_choices, topics_of
from soriloop.feedback import selectors, services
from soriloop.feedback.filters import BadFilter, FeedbackFilter
from soriloop.feedback.forms import FilterForm
from soriloop.inbox.export import csv_lines, xlsx_file
from soriloop.inbox.selectors import feedback_similar, home_get
from soriloop.insights.selectors import feedback_count
from soriloop.loop.selectors import case_ids_of


@member_required
def home(request: HttpRequest, membership: Membership) -> HttpResponse:
    home = home_get(membership=membership)
    context = {
        "member_count": home.member_count,
        "api_url": f"{django_settings.SITE_URL}/api/v1",
        "feedback_total": home.feedback_total,
        "feedback_week": home.feedback_week,
        "latest": home.latest,
    }
    return render(request, "inbox/home.html", context)


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
        "total": feedback_count(workspace=membership.workspace, filters=filters),
        "can_write": can(membership, Action.WRITE_FEEDBACK),
        "can_export": can(membership, Action.EXPORT),
        "first_page": not cursor,
    }
    template = "inbox/_rows.html" if request.htmx and cursor else "inbox/inbox.html"  # type: ignore[attr-defined]
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
        "similar": feedback_similar(workspace=membership.workspace, record=item),
        "case_id": case_ids_of(workspace_id=membership.workspace_id, feedback_ids=[item.pk]).get(
            item.pk
        ),
        "can_open_case": can(membership, Action.WORK_CASES),
    }
    return render(request, "inbox/record.html", context)


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
    return redirect("inbox:inbox")


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
