"""Emerging issues: recent negative feedback that no topic covers, grouped by meaning
(sentence embeddings) and proposed as new topics that a person accepts, renames or rejects."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from soriloop.accounts.models import Membership, Workspace
from soriloop.accounts.permissions import Action, require
from soriloop.accounts.services import audit_record
from soriloop.analysis.engine.embed import (
    DIMENSIONS,
    ENCODER,
    Encoder,
    clusters,
    embed,
    unpack_many,
)
from soriloop.analysis.models import AnalysisSettings, EmergingIssue, Enrichment, Topic
from soriloop.analysis.schedule import Periodic

WINDOW_DAYS = 14  # how recent the feedback is
MAX_RECORDS = 2000  # newest records of the window that are grouped
THRESHOLD = 0.55  # cosine similarity to the group's seed
MIN_SIZE = 3  # records before a group is an issue
SAME_ISSUE = 0.80  # a new group this close to a known issue is that issue
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _label(words: Sequence[str], korean: bool) -> str:
    chosen = [w for w in words if bool(HANGUL.search(w)) == korean][:3] or list(words[:3])
    return " · ".join(chosen)[:80]


def emerging_detect(
    *, workspace: Workspace, today: dt.date | None = None, encoder: Encoder = ENCODER
) -> list[EmergingIssue]:
    """Group the workspace's recent unassigned negative feedback (embedded by ``encoder`` where
    the meaning pass has not stored a vector yet); create or refresh proposed issues (never
    one a person already accepted or rejected). Returns the issues seen now."""
    today = today or workspace.today()
    since = today - dt.timedelta(days=WINDOW_DAYS - 1)
    rows = list(
        Enrichment.objects.filter(
            workspace=workspace, topic_keys="", sentiment_label="negative",
            feedback__deleted_at__isnull=True, feedback__day__gte=since,
        )
        .exclude(feedback__text="")
        .order_by("-feedback_id")
        .values_list("feedback_id", "feedback__text", "redacted_text", "keywords", "feedback__day", "vector")[:MAX_RECORDS]
    )  # fmt: skip
    vectors = np.zeros((len(rows), DIMENSIONS), np.float32)
    stored = [(i, raw) for i, row in enumerate(rows) if (raw := row[5])]
    missing = [i for i, row in enumerate(rows) if not row[5]]  # the meaning pass is behind
    if stored:
        vectors[[i for i, _raw in stored]] = unpack_many([raw for _i, raw in stored])
    if missing:
        vectors[missing] = embed([rows[i][2] or rows[i][1] for i in missing], encoder=encoder)
    known = [
        (issue, np.frombuffer(bytes(issue.centroid), np.float32))
        for issue in EmergingIssue.objects.filter(workspace=workspace)
        if issue.centroid
    ]
    seen: list[EmergingIssue] = []
    for members in clusters(vectors, THRESHOLD, MIN_SIZE):
        centroid = vectors[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        typical = sorted(members, key=lambda i: -float(vectors[i] @ centroid))
        words = [w for w, _n in Counter(w for i in members for w in set(rows[i][3])).most_common(8)]
        days = [rows[i][4] for i in members]
        match = max(known, key=lambda k: float(k[1] @ centroid), default=None)
        if match is not None and float(match[1] @ centroid) >= SAME_ISSUE:
            issue = match[0]
            if issue.status != EmergingIssue.Status.PROPOSED:
                continue  # decided already: not proposed again
        else:
            issue = EmergingIssue(
                workspace=workspace, label_ko=_label(words, korean=True),
                label_en=_label(words, korean=False), first_seen=min(days),
            )  # fmt: skip
        issue.keywords = words
        issue.size = len(members)
        issue.example_ids = [rows[i][0] for i in typical[:20]]
        issue.centroid = centroid.astype(np.float32).tobytes()
        issue.last_seen = max(days)
        issue.updated_at = timezone.now()
        issue.save()
        seen.append(issue)
    AnalysisSettings.objects.update_or_create(
        workspace=workspace, defaults={"emerging_scanned_at": timezone.now()}
    )
    return seen


def emerging_accept(
    *, actor: Membership, issue: EmergingIssue, name_ko: str, name_en: str
) -> Topic:
    """Make the issue a topic of the taxonomy, under the names given (a rename)."""
    require(actor, Action.MANAGE_SETTINGS)
    name_ko, name_en = (
        name_ko.strip()[:80] or issue.label_ko,
        name_en.strip()[:80] or issue.label_en,
    )
    base = slugify(name_en) or slugify(name_ko, allow_unicode=True) or "topic"
    key, n = base[:50], 2
    while Topic.objects.filter(workspace=actor.workspace, key=key).exists():
        key, n = f"{base[:46]}-{n}", n + 1
    texts = list(
        Enrichment.objects.filter(
            workspace=actor.workspace, feedback_id__in=issue.example_ids[:5]
        ).values_list("feedback__text", flat=True)
    )
    with transaction.atomic():
        topic = Topic.objects.create(
            workspace=actor.workspace, key=key, name_ko=name_ko, name_en=name_en,
            keywords=issue.keywords[:6], examples=[t[:300] for t in texts],
        )  # fmt: skip
        issue.status = EmergingIssue.Status.ACCEPTED
        issue.label_ko, issue.label_en, issue.topic = name_ko, name_en, topic
        issue.decided_by = actor.user.email
        issue.updated_at = timezone.now()
        issue.save()
        audit_record(
            workspace=actor.workspace, actor=actor.user, action="emerging.accepted",
            target=f"topic {key}", data={"name_ko": name_ko, "name_en": name_en, "size": issue.size},
        )  # fmt: skip
    return topic


def emerging_reject(*, actor: Membership, issue: EmergingIssue) -> None:
    require(actor, Action.MANAGE_SETTINGS)
    issue.status = EmergingIssue.Status.REJECTED
    issue.decided_by = actor.user.email
    issue.updated_at = timezone.now()
    issue.save(update_fields=["status", "decided_by", "updated_at"])
    audit_record(
        workspace=actor.workspace, actor=actor.user, action="emerging.rejected",
        target=f"emerging issue {issue.pk}", data={"label_en": issue.label_en},
    )  # fmt: skip


def _new_negatives(workspace: Workspace, since: dt.datetime | None) -> bool:
    fresh = Enrichment.objects.filter(
        workspace=workspace, sentiment_label="negative", topic_keys=""
    )
    return (fresh.filter(analyzed_at__gt=since) if since else fresh).exists()


# Worker loop: every minute, look at workspaces not scanned for EMERGING_SCAN_SECONDS that
# have new analysed negative feedback without a topic since.
emerging_scan = Periodic(
    stamp="emerging_scanned_at",
    every=lambda: settings.EMERGING_SCAN_SECONDS,
    has_news=_new_negatives,
    job=lambda workspace: emerging_detect(workspace=workspace),
    check=60,
)
