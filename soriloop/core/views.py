"""The home page and the health check."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from soriloop.accounts import selectors
from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.core.heartbeat import heartbeats_stopped
from soriloop.core.models import WorkerHeartbeat
from soriloop.feedback.filters import FeedbackFilter
from soriloop.feedback.selectors import feedback_records


@member_required
def home(request: HttpRequest, membership: Membership) -> HttpResponse:
    records = feedback_records(workspace=membership.workspace, filters=FeedbackFilter())
    since = timezone.now() - dt.timedelta(days=7)
    context = {
        "member_count": selectors.members_of(actor=membership).count(),
        "api_url": f"{settings.SITE_URL}/api/v1",
        "feedback_total": records.count(),
        "feedback_week": records.filter(received_at__gte=since).count(),
        "latest": list(records.select_related("customer")[:5]),
    }
    return render(request, "core/home.html", context)


def _worker_status() -> dict[str, object]:
    """The newest heartbeat, how many workers beat recently, and those that stopped beating
    (killed or hung) until a live worker's maintenance logs and forgets them."""
    stale_after = dt.timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS * 3)
    stopped = [
        {"worker_id": b.worker_id, "pid": b.pid, "hostname": b.hostname,
         "last_seen": b.last_seen.isoformat()}
        for b in heartbeats_stopped()[:20]
    ]  # fmt: skip
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"ok": False, "last_seen": None, "age_seconds": None, "workers": 0, "stopped": []}
    age = timezone.now() - beat.last_seen
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - stale_after).count()
    return {
        "ok": age <= stale_after,
        "last_seen": beat.last_seen.isoformat(),
        "age_seconds": round(age.total_seconds(), 1),
        "workers": alive,
        "stopped": stopped,
    }


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; ``status`` is "degraded" when no worker is alive."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        worker = _worker_status()
    except DatabaseError as exc:
        body = {"status": "down", "database": {"ok": False, "error": str(exc)}, "worker": None}
        return JsonResponse(body, status=503)
    status = "ok" if worker["ok"] else "degraded"
    database = {"ok": True, "vendor": connection.vendor}
    return JsonResponse({"status": status, "database": database, "worker": worker})
