"""Retention: records older than FEEDBACK_ANONYMISE_MONTHS become anonymous (no customer,
personal data masked in the text, metadata and analysis), counted on in the metrics."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.utils import timezone

from soriloop.analysis.models import Enrichment
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add
from soriloop.core.changes import changes_drain
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import feedback_anonymise_old
from soriloop.insights.models import Rollup
from soriloop.insights.rollups import rollups_refresh

EMAIL = "old.customer@example.com"


def test_old_records_are_anonymised_and_still_counted(alice: Member, settings) -> None:
    settings.FEEDBACK_ANONYMISE_MONTHS = 12
    old_day = (timezone.now() - dt.timedelta(days=400)).isoformat()
    old = add(
        alice,
        text=f"연락은 {EMAIL} 또는 010-2222-3333 으로 주세요. 배송이 늦어요",
        customer={"email": EMAIL},
        metadata={"phone": "010-2222-3333"},
        received_at=old_day,
    )
    recent = add(alice, text=f"{EMAIL} 입니다", customer={"email": EMAIL})
    while analysis_run_batch(owner="t"):
        pass
    changes_drain()
    rollups_refresh()
    before = Rollup.objects.filter(workspace=alice.workspace, level=0).aggregate(n=Sum("n"))["n"]

    assert feedback_anonymise_old() == 1
    assert feedback_anonymise_old() == 0, "once"
    changes_drain()
    rollups_refresh()
    stored = Feedback.objects.get(pk=old.pk)
    assert stored.customer_id is None and stored.anonymised_at is not None
    assert EMAIL not in stored.text and "010-2222-3333" not in stored.text
    assert "배송이 늦어요" in stored.text, "what was said stays"
    assert "010-2222-3333" not in str(stored.metadata)
    enrichment = Enrichment.objects.get(feedback=old)
    assert EMAIL not in str(enrichment.evidence) + enrichment.redacted_text + str(enrichment.types)
    assert enrichment.pii == []
    assert Feedback.objects.get(pk=recent.pk).customer_id is not None, "recent ones stay"
    after = Rollup.objects.filter(workspace=alice.workspace, level=0).aggregate(n=Sum("n"))["n"]
    assert after == before, "still counted"


def test_zero_months_anonymises_nothing(alice: Member, settings) -> None:
    settings.FEEDBACK_ANONYMISE_MONTHS = 0
    add(alice, text="x", customer={"email": EMAIL}, received_at="2020-01-01T00:00:00+09:00")
    assert feedback_anonymise_old() == 0
