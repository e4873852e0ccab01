"""The health check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from soriloop.core.changes import consumers_lag
from soriloop.core.heartbeat import workers_status


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; ``status`` is "degraded" when no worker is alive or a
    consumer of the change log is failing or behind."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        worker = workers_status()
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
