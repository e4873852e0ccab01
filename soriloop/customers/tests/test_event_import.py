"""Bulk events: a CSV or JSONL file streamed through `soriloop import-events`, and
POST /api/v1/events/bulk; good rows are stored, every bad one reported with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from soriloop.accounts import services as accounts
from soriloop.conftest import Member, api, assert_envelope
from soriloop.customers.models import Customer, CustomerEvent


def test_a_csv_import_stores_good_rows_and_reports_bad_ones_by_line(
    alice: Member, tmp_path: Path, capsys
) -> None:
    csv = tmp_path / "events.csv"
    csv.write_text(
        "customer_external_id,customer_email,type,occurred_at,amount,id,prop_sku\n"
        "c-1,kim@example.com,purchase,2026-10-01T10:00:00Z,42000,e-1,A-1\n"
        "c-1,,visit,2026-10-02T10:00:00Z,,e-2,\n"
        ",,purchase,2026-10-03T10:00:00Z,1,e-3,\n"
        "c-2,,Bad Type,,,e-4,\n"
        "c-1,kim@example.com,purchase,2026-10-01T10:00:00Z,42000,e-1,A-1\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit):
        call_command("import_events", str(csv), workspace=str(alice.workspace.pk))
    out, err = capsys.readouterr()
    assert "stored=2 duplicates=1 bad=2" in out
    assert "line 4:" in err and "customer" in err and "line 5:" in err and "type" in err
    purchase = CustomerEvent.objects.get(external_id="e-1")
    assert purchase.properties == {"sku": "A-1"} and float(purchase.amount) == 42000
    assert Customer.objects.get(external_id="c-1").email == "kim@example.com"


def test_a_jsonl_import_reads_one_event_a_line(alice: Member, tmp_path: Path, capsys) -> None:
    jsonl = tmp_path / "events.jsonl"
    lines = [
        json.dumps({"customer": {"external_id": "c-1"}, "type": "login"}),
        "not json",
        json.dumps({"customer": {"phone": "010-1111-2222"}, "type": "churned"}),
    ]
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("import_events", str(jsonl), workspace=str(alice.workspace.pk))
    out, err = capsys.readouterr()
    assert "stored=2 duplicates=0 bad=1" in out and "line 2:" in err
    assert CustomerEvent.objects.filter(workspace=alice.workspace).count() == 2


def test_the_bulk_endpoint_reports_bad_items_by_index_per_workspace(
    alice: Member, bob: Member
) -> None:
    key = accounts.api_key_create(actor=alice.membership, name="k", scope="write")[1]
    items = [
        {"customer": {"external_id": "c-1"}, "type": "purchase", "amount": 10},
        {"customer": {}, "type": "purchase"},
        {"customer": {"external_id": "c-1"}, "type": "visit", "amount": "lots"},
    ]
    response = api("post", "/events/bulk", key, {"items": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stored"], body["duplicates"]) == (1, 0)
    assert [(r["index"], sorted(r["error"]["fields"])) for r in body["results"]] == [
        (1, ["customer"]),
        (2, ["amount"]),
    ]
    assert not CustomerEvent.objects.filter(workspace=bob.workspace).exists()
    assert_envelope(api("post", "/events/bulk", key, {"items": []}), 422, "validation_error")
    assert_envelope(api("post", "/events/bulk", None, {"items": items}), 401, "unauthorized")
