"""Template context for the shell: the bell's unread count and how often it asks again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from soriloop.alerts.selectors import notifications_unread_count


def bell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "unread_notifications": notifications_unread_count(
            workspace=membership.workspace, user=membership.user
        ),
        "bell_poll_seconds": settings.BELL_POLL_SECONDS,
    }
