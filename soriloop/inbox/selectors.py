"""Reads for the inbox pages, in the workspace of the person asking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.selectors import members_of
from soriloop.analysis.selectors import similar_feedback, similar_in_meaning
from soriloop.feedback.filters import FeedbackFilter
from soriloop.feedback.models import Feedback
from soriloop.feedback.selectors import feedback_records

LATEST_ROWS = 5
SIMILAR_ROWS = 5


@dataclass(frozen=True)
class Home:
    member_count: int
    feedback_total: int
    feedback_week: int  # received in the last 7 days
    latest: list[Feedback]


def home_get(*, membership: Membership) -> Home:
    """The home page of ``membership``'s workspace: its members and records at a glance."""
    records = feedback_records(workspace=membership.workspace, filters=FeedbackFilter())
    since = timezone.now() - dt.timedelta(days=7)
    return Home(
        member_count=members_of(actor=membership).count(),
        feedback_total=records.count(),
        feedback_week=records.filter(received_at__gte=since).count(),
        latest=list(records.select_related("customer")[:LATEST_ROWS]),
    )


def feedback_similar(
    *, workspace: Workspace, record: Feedback
) -> dict[str, list[tuple[Feedback, float]]]:
    """Live records of the workspace like ``record``, with their scores: worded alike
    (near-duplicates, ``wording``) and, once the meaning pass has embedded it, alike in
    meaning (``meaning``, empty until then)."""
    found = {
        "wording": similar_feedback(record=record, limit=SIMILAR_ROWS),
        "meaning": similar_in_meaning(record=record, limit=SIMILAR_ROWS) or [],
    }
    ids = {pk for pairs in found.values() for pk, _score in pairs}
    live = feedback_records(workspace=workspace, filters=FeedbackFilter())
    records = {r.pk: r for r in live.filter(id__in=ids)}
    return {
        by: [(records[pk], score) for pk, score in pairs if pk in records]
        for by, pairs in found.items()
    }
