"""Churn risk: the heuristic's reasons, the per-workspace model on a synthetic workspace with a
known signal, the threshold below which the heuristic stays, and retention per month."""

from __future__ import annotations

import datetime as dt
import json
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from soriloop.accounts import services as accounts
from soriloop.conftest import Member, add, api, assert_envelope
from soriloop.customers.models import ChurnModel, Customer, CustomerEvent
from soriloop.customers.retention import retention_get
from soriloop.customers.risk import (
    EVENTS_PER_FEATURE,
    FEATURES,
    churn_model_train,
    churn_models_train_due,
    churn_risks,
    customer_churn_risk,
)

NOW = timezone.now()


def customer(member: Member, ref: str, *, days_ago: int = 400) -> Customer:
    return Customer.objects.create(
        workspace=member.workspace, external_id=ref, created_at=NOW - dt.timedelta(days=days_ago)
    )


def event(c: Customer, type: str, days_ago: float, amount: float | None = None) -> None:
    CustomerEvent.objects.create(
        workspace_id=c.workspace_id,
        customer=c,
        type=type,
        occurred_at=NOW - dt.timedelta(days=days_ago),
        amount=amount,
    )


def test_an_active_buyer_is_low_risk_and_a_silent_detractor_high_with_reasons(
    alice: Member,
) -> None:
    buyer, silent = customer(alice, "buyer"), customer(alice, "silent")
    for days in (3, 20, 40, 60):
        event(buyer, "purchase", days, 30000)
    event(silent, "purchase", 200, 10000)
    add(
        alice,
        score=2,
        score_kind="nps",
        customer={"external_id": "silent"},
        received_at=(NOW - dt.timedelta(days=150)).isoformat(),
    )
    with translation.override("en"):
        risks = churn_risks([buyer, silent], now=NOW)
    low, high = risks[buyer.pk], risks[silent.pk]
    assert (low.level, low.model) == ("low", "heuristic") and low.score < 0.3
    assert high.level == "high" and high.score >= 0.6
    assert any(r == "No activity for 150 days" for r in high.reasons), high.reasons
    assert any("NPS" in r for r in high.reasons)
    assert low.reasons, "a low risk says why too"
    with translation.override("ko"):
        korean = churn_risks([silent], now=NOW)[silent.pk]
    assert "150일 동안 활동 없음" in korean.reasons


def test_a_reported_cancellation_is_churned_unless_they_bought_again(alice: Member) -> None:
    gone, back = customer(alice, "gone"), customer(alice, "back")
    event(gone, "purchase", 30)
    event(gone, "subscription_cancelled", 5)
    event(back, "churned", 20)
    event(back, "purchase", 2)
    assert customer_churn_risk(gone).score == 1.0
    assert customer_churn_risk(back).score < 0.6


def synthetic(member: Member, n: int, seed: int = 7) -> None:
    """``n`` customers whose purchases before the snapshot (90 days ago) predict who went
    silent after it, with noise: the known signal."""
    rng = random.Random(seed)
    for i in range(n):
        c = customer(member, f"s-{i}")
        loyal = rng.random()
        for _ in range(int(loyal * 6 + rng.random() * 2)):
            event(c, "purchase", 90 + rng.uniform(1, 89), 10000)
        event(c, "visit", 90 + rng.uniform(1, 60))
        if rng.random() < loyal:  # stays: active after the snapshot
            event(c, "purchase", rng.uniform(1, 80), 10000)


def test_a_workspace_with_enough_churned_customers_gets_a_model_with_a_good_held_out_auc(
    alice: Member,
) -> None:
    synthetic(alice, 360)
    model = churn_model_train(workspace=alice.workspace, now=NOW)
    assert model.churned >= EVENTS_PER_FEATURE * len(FEATURES), model.note
    assert model.active, model.note
    # The split is seeded by the workspace's id, which differs with the tests run before on
    # PostgreSQL: over 40 splits of this data the held-out AUC ranged 0.73-0.88 (no signal: 0.5)
    assert model.auc is not None and model.auc > 0.7, model.auc
    assert model.held_out == 90 and sum(b["count"] for b in model.calibration) == 90
    assert all(0 <= b["observed"] <= 1 for b in model.calibration)
    purchases = model.coefficients[FEATURES.index("purchases_90d")]
    assert purchases < 0, "more purchases, less risk: the signal it was given"
    with translation.override("en"):
        risk = customer_churn_risk(Customer.objects.get(external_id="s-0"))
    assert risk.model == "model" and risk.reasons[-1].startswith("model, held-out AUC")


def test_below_the_threshold_the_heuristic_stays_and_the_model_says_why(alice: Member) -> None:
    synthetic(alice, 60)
    model = churn_model_train(workspace=alice.workspace, now=NOW)
    assert not model.active and model.auc is None
    assert "needs 80 churned and 80 kept" in model.note
    risk = customer_churn_risk(Customer.objects.get(external_id="s-0"))
    assert risk.model == "heuristic"


def test_the_train_command_and_the_worker_loop_train_a_workspace(alice: Member) -> None:
    synthetic(alice, 30)
    out = StringIO()
    call_command("train", churn=str(alice.workspace.pk), stdout=out)
    report = json.loads(out.getvalue())
    assert report["active"] is False and "needs" in report["note"] and "rule" in report
    assert churn_models_train_due() == 0, "trained within CHURN_TRAIN_SECONDS"
    ChurnModel.objects.update(trained_at=NOW - dt.timedelta(days=30))
    assert churn_models_train_due() == 1
    assert ChurnModel.objects.filter(workspace=alice.workspace).count() == 2


def test_retention_counts_churn_per_month_and_cohorts_by_signup_month(alice: Member) -> None:
    now = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
    stays = Customer.objects.create(
        workspace=alice.workspace,
        external_id="a",
        created_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
    )
    cancels = Customer.objects.create(
        workspace=alice.workspace,
        external_id="b",
        created_at=dt.datetime(2026, 1, 20, tzinfo=dt.UTC),
    )
    fades = Customer.objects.create(
        workspace=alice.workspace,
        external_id="c",
        created_at=dt.datetime(2026, 2, 5, tzinfo=dt.UTC),
    )
    for c, day in (
        (stays, dt.datetime(2026, 6, 1, tzinfo=dt.UTC)),
        (cancels, dt.datetime(2026, 2, 1, tzinfo=dt.UTC)),
    ):
        CustomerEvent.objects.create(
            workspace=alice.workspace, customer=c, type="purchase", occurred_at=day
        )
    CustomerEvent.objects.create(
        workspace=alice.workspace,
        customer=cancels,
        type="churned",
        occurred_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
    )
    # fades: last seen 2026-02-06, so churned 90 days later, on 2026-05-07
    CustomerEvent.objects.create(
        workspace=alice.workspace,
        customer=fades,
        type="visit",
        occurred_at=dt.datetime(2026, 2, 6, tzinfo=dt.UTC),
    )
    found = retention_get(
        workspace=alice.workspace,
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 6, 30),
        now=now,
    )
    by_month = {p["start"]: p for p in found["periods"]}
    assert by_month["2026-01-01"]["new"] == 2 and by_month["2026-01-01"]["active_at_start"] == 0
    assert (by_month["2026-03-01"]["active_at_start"], by_month["2026-03-01"]["churned"]) == (3, 1)
    assert by_month["2026-03-01"]["churn_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert (by_month["2026-05-01"]["active_at_start"], by_month["2026-05-01"]["churned"]) == (2, 1)
    assert by_month["2026-06-01"]["retention_rate"] == 1.0
    january = next(c for c in found["cohorts"] if c["month"] == "2026-01")
    assert january["size"] == 2 and january["retained"] == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5]


def test_the_retention_endpoint_refuses_a_backward_period_and_is_per_workspace(
    alice: Member, bob: Member
) -> None:
    _k, key = accounts.api_key_create(actor=alice.membership, name="r", scope="read")
    _k, bobs = accounts.api_key_create(actor=bob.membership, name="r", scope="read")
    customer(alice, "x", days_ago=10)
    mine = api("get", "/metrics/retention", key).json()
    assert sum(p["new"] for p in mine["periods"]) == 1
    assert sum(p["new"] for p in api("get", "/metrics/retention", bobs).json()["periods"]) == 0
    error = assert_envelope(
        api("get", "/metrics/retention?date_from=2026-05-01&date_to=2026-04-01", key),
        422,
        "validation_error",
    )
    assert "date_to" in error["fields"]
    assert_envelope(
        api("get", "/metrics/retention?date_from=2020-01-01&date_to=2026-04-01", key),
        422,
        "validation_error",
    )
    assert_envelope(api("get", "/metrics/retention"), 401, "unauthorized")


def test_the_churn_model_endpoint_shows_the_auc_and_calibration_of_its_workspace_only(
    alice: Member, bob: Member
) -> None:
    synthetic(alice, 360)
    churn_model_train(workspace=alice.workspace, now=NOW)
    _k, key = accounts.api_key_create(actor=alice.membership, name="r", scope="read")
    _k, bobs = accounts.api_key_create(actor=bob.membership, name="r", scope="read")
    body = api("get", "/churn-model", key).json()
    assert body["active"]["auc"] > 0.7 and body["active"]["calibration"]  # 0.73-0.88 by split
    assert body["latest"]["id"] == body["active"]["id"]
    assert api("get", "/churn-model", bobs).json() == {"active": None, "latest": None}
    assert_envelope(api("get", "/churn-model"), 401, "unauthorized")
