"""The health check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from soriloop.core.changes import consumers_lag
from soriloop.core.heartbeat import heartbeats_stopped
from soriloop.core.models import WorkerHeartbeat


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
    """200 while the database answers; ``status`` is "degraded" when no worker is alive or a
    consumer of the change log is failing or behind."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        worker = _worker_status()
        changes = _changes_status()
    except DatabaseError as exc:
        body = {"status": "down", "database": {"ok": False, "error": str(exc)}, "worker": None}
        return JsonResponse(body, status=503)
    status = "ok" if worker["ok"] and changes["ok"] else "degraded"
    database = {"ok": True, "vendor": connection.vendor}
    body = {"status": status, "database": database, "worker": worker, "changes": changes}
    return JsonResponse(body)


def _changes_status() -> dict[str, Any]:
    """The change log's consumers: each one's lag; not ok while one is failing or its oldest
    unread event is older than ``CHANGE_LOG_LAG_WARN_SECONDS``."""
    lag = consumers_lag()
    late = [
        c["name"]
        for c in lag
        if c["failures"] or c["oldest_seconds"] > settings.CHANGE_LOG_LAG_WARN_SECONDS
    ]
    return {"ok": not late, "late": late, "consumers": lag}
