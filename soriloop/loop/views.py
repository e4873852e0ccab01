"""The loop's pages (HTML): the agent inbox of cases, the case page and the loop metrics;
opening a case from a record (docs/cases.md). Keyboard: j/k move, a assign to me, r reply,
e resolve."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can
from soriloop.core.fields import parse_day, parse_id
from soriloop.loop import metrics, selectors, services
from soriloop.loop.mail import TEMPLATES
from soriloop.loop.models import CaseStatus
from soriloop.loop.priority import LEVELS

STATUS_LABELS = dict(CaseStatus.choices)


@member_required
@require_http_methods(["GET", "POST"])
def cases_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The agent inbox: my cases, the team queue, unassigned, breaching soon, all open."""
    if request.method == "POST":
        case_id = parse_id(request.POST.get("case"))
        found = selectors.case_get(
            workspace=membership.workspace, member=membership, case_id=case_id or 0
        )
        if found is None:
            raise Http404("case not found")
        _act(request, membership, found, request.POST.get("action", ""))
        return redirect(request.get_full_path())
    queue = request.GET.get("queue", "mine")
    if queue not in selectors.QUEUES:
        queue = "mine"
    drill = selectors.CaseFilter.from_query(request.GET)
    page = selectors.case_inbox_get(member=membership, queue=queue, filters=drill or None)
    context = {"page": page, "can_work": can(membership, Action.WORK_CASES)}
    return render(request, "loop/cases.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def case_page(request: HttpRequest, membership: Membership, case_id: int) -> HttpResponse:
    page = selectors.case_page_get(member=membership, case_id=case_id)
    if page is None:
        raise Http404("case not found")
    if request.method == "POST":
        _act(request, membership, page.detail.case, request.POST.get("action", ""))
        return redirect("loop:case", case_id=case_id)
    context: dict[str, Any] = {
        "page": page,
        "case": page.detail.case,
        "level": services.case_level(page.detail.case),
        "can_work": can(membership, Action.WORK_CASES),
        "statuses": CaseStatus.choices,
        "moves": sorted(services.MOVES.get(page.detail.case.status, set())),
        "status_labels": STATUS_LABELS,
        "levels": LEVELS,
        "templates": sorted(TEMPLATES),
    }
    return render(request, "loop/case.html", context)


LOOP_BY = [
    ("team", _lazy("Team")),
    ("agent", _lazy("Agent")),
    ("topic", _lazy("Topic")),
    ("period", _lazy("Period")),
]
LOOP_GRAINS = [("day", _lazy("Day")), ("week", _lazy("Week")), ("month", _lazy("Month"))]


@member_required
def loop_metrics_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Closing the loop: the loop metrics of a period (the last 30 days unless ``start`` and
    ``end`` say otherwise), broken down ``by`` team, agent, topic or period, every number a
    link to the cases list showing the cases behind it."""
    today = membership.workspace.today()
    end = parse_day(request.GET.get("end", "")) or today
    start = parse_day(request.GET.get("start", "")) or end - dt.timedelta(days=29)
    start = min(start, end)
    by = request.GET.get("by", "team")
    by = by if by in metrics.BY else "team"
    grain = request.GET.get("grain", "week")
    grain = grain if grain in dict(LOOP_GRAINS) else "week"
    if metrics.loop_buckets(start=start, end=end, grain=grain) > MAX_BUCKETS:
        grain = "month"
    found = metrics.metrics_loop(
        workspace=membership.workspace, start=start, end=end, member=membership, by=by,
        grain=grain,
    )  # fmt: skip
    context = {
        "found": found,
        "by": by,
        "grain": grain,
        "by_choices": LOOP_BY,
        "grains": LOOP_GRAINS,
        "period": f"start={start.isoformat()}&end={end.isoformat()}",
    }
    return render(request, "loop/metrics.html", context)


MAX_BUCKETS = 100  # a longer period by day or week is shown by month


def _act(request: HttpRequest, membership: Membership, case: Any, action: str) -> None:
    """One change from a form; a refusal becomes a message, never an error page."""
    post = request.POST
    try:
        if action == "assign_me":
            services.case_update(case=case, actor=membership, data={"assignee": membership.user_id})
        elif action == "resolve":
            services.case_update(case=case, actor=membership, data={"status": "resolved"})
        elif action == "status":
            data = {
                "status": post.get("status", ""),
                "no_survey_reason": post.get("no_survey_reason", ""),
            }
            services.case_update(case=case, actor=membership, data=data)
        elif action == "assign":
            services.case_update(
                case=case, actor=membership, data={"assignee": parse_id(post.get("assignee"))}
            )
        elif action == "priority":
            level = {
                "priority": post.get("priority") or None,
                "priority_reason": post.get("reason"),
            }
            services.case_update(case=case, actor=membership, data=level)
        elif action == "note":
            services.case_note(case=case, actor=membership, body=post.get("body", ""))
        elif action == "reply":
            services.case_reply(
                case=case, actor=membership, body=post.get("body", "").strip(),
                template=post.get("template", ""),
            )  # fmt: skip
            messages.success(request, _("Reply sent to the customer."))
            return
        else:
            messages.error(request, _("Unknown action."))
            return
    except services.CaseInvalid as exc:
        for reasons in exc.fields.values():
            messages.error(request, "; ".join(reasons))
        return
    messages.success(request, _("Case updated."))


@member_required
@require_POST
def case_open_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Open a case from one or several records (the record page, the inbox)."""
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("feedback")) if i]
    try:
        case = services.case_create(
            workspace=membership.workspace, actor=membership, feedback_ids=ids
        )
    except services.CaseInvalid as exc:
        for reasons in exc.fields.values():
            messages.error(request, "; ".join(reasons))
        return redirect("inbox:record", feedback_id=ids[0]) if ids else redirect("loop:cases")
    messages.success(request, _("Case opened."))
    return redirect("loop:case", case_id=case.pk)
