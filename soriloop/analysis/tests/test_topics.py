"""Topics from the workspace's taxonomy: the starter set, edits by people, zero-shot eval."""

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from soriloop.analysis.engine.pipeline import TextIn, analyze
from soriloop.analysis.models import Topic
from soriloop.analysis.services import analysis_run_batch
from soriloop.analysis.starter import STARTER_TOPICS
from soriloop.analysis.taxonomy import compiled_topics, topics_of
from soriloop.conftest import Member, add

STARTER_KEYS = sorted(t["key"] for t in STARTER_TOPICS)


def _keys(member: Member) -> list[str]:
    return sorted(Topic.objects.filter(workspace=member.workspace).values_list("key", flat=True))


def test_a_new_workspace_begins_with_the_starter_topics(alice: Member, bob: Member) -> None:
    assert _keys(alice) == STARTER_KEYS, "created with the workspace, before any read"
    assert _keys(bob) == STARTER_KEYS
    assert Topic.objects.count() == 2 * len(STARTER_KEYS)


def test_reading_pages_of_a_workspace_without_topics_creates_none(alice: Member) -> None:
    record = add(alice, text="배송이 너무 늦어요")
    Topic.objects.filter(workspace=alice.workspace).delete()
    for url in ("/inbox/", f"/inbox/{record.pk}/", "/dashboard/", "/settings/topics/"):
        response = alice.client.get(url)
        assert response.status_code == 200, url
        assert _keys(alice) == [], f"GET {url} wrote topics"
    inbox = alice.client.get("/inbox/").content.decode()
    assert record.text in inbox, "the inbox rendered its records, and still wrote nothing"


def test_the_migration_gives_the_starter_topics_only_to_workspaces_without_any(
    alice: Member, bob: Member
) -> None:
    migration = importlib.import_module(
        "soriloop.analysis.migrations.0007_starter_topics_for_every_workspace"
    )
    Topic.objects.filter(workspace=alice.workspace).delete()
    Topic.objects.filter(workspace=bob.workspace).exclude(key="delivery").delete()
    migration.seed_workspaces_without_topics(apps, None)
    assert _keys(alice) == STARTER_KEYS
    assert _keys(bob) == ["delivery"], "a workspace's own taxonomy is left as it is"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("택배가 아직도 안 왔어요", "delivery"),
        ("환불은 언제 되나요", "refund"),
        ("비밀번호 재설정 메일이 안 와요", "account"),
        ("카드가 두 번 결제됐어요", "payment"),
        ("The package arrived damaged and late", "delivery"),
        ("매장에서 한 시간을 기다렸어요", "waiting"),
    ],
)
def test_the_starter_taxonomy_sorts_common_feedback(alice: Member, text: str, topic: str) -> None:
    [result] = analyze([TextIn(text)], topics=compiled_topics(workspace=alice.workspace))
    assert topic in [m.key for m in result.topics], result.topics


def test_unrelated_text_stays_unassigned(alice: Member) -> None:
    [result] = analyze(
        [TextIn("오늘 날씨가 좋네요")], topics=compiled_topics(workspace=alice.workspace)
    )
    assert result.topics == ()


def test_records_carry_topics_named_in_the_workspace_language(alice: Member, api_key_of) -> None:
    record = add(alice, text="배송이 너무 늦어요. 택배 조회도 안 돼요")
    analysis_run_batch(owner="w")
    body = (
        Client()
        .get(
            f"/api/v1/feedback/{record.pk}",
            headers={"Authorization": f"Bearer {api_key_of(alice, 'read')}"},
        )
        .json()
    )
    topics = body["analysis"]["topics"]
    assert topics[0]["key"] == "delivery"
    assert topics[0]["name"] == "배송"
    assert topics[0]["name_en"] == "Delivery"
    assert 0 < topics[0]["confidence"] <= 1


def test_an_admin_adds_a_topic_and_reanalysis_applies_it(alice: Member) -> None:
    record = add(alice, text="포인트 적립이 안 됐어요")
    analysis_run_batch(owner="w")
    record.refresh_from_db()
    assert "points" not in [t["key"] for t in record.enrichment.topics]
    response = alice.client.post(
        "/settings/topics/",
        {
            "name_ko": "포인트",
            "name_en": "Points",
            "keywords": "포인트, 적립, points, loyalty",
            "examples": "포인트가 안 들어왔어요\nMy points are missing",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert alice.client.post("/settings/reanalyze/").status_code == 302
    analysis_run_batch(owner="w")
    record.refresh_from_db()
    assert "points" in [t["key"] for t in record.enrichment.topics]


def test_a_topic_can_be_switched_off(alice: Member) -> None:
    topic = next(t for t in topics_of(workspace=alice.workspace) if t.key == "delivery")
    alice.client.post(
        f"/settings/topics/{topic.pk}/",
        {"name_ko": "배송", "name_en": "Delivery", "keywords": "배송", "examples": ""},
    )
    assert Topic.objects.get(pk=topic.pk).active is False
    [result] = analyze([TextIn("배송이 늦어요")], topics=compiled_topics(workspace=alice.workspace))
    assert "delivery" not in [m.key for m in result.topics]


def test_viewers_see_topics_and_bob_cannot_edit_alices(
    alice: Member, member_of_a, assert_hidden_from_bob, assert_only_alice_sees
) -> None:
    viewer = member_of_a("viewer")
    assert viewer.client.get("/settings/topics/").status_code == 200
    assert (
        viewer.client.post("/settings/topics/", {"name_ko": "x", "name_en": "x"}).status_code == 403
    )
    assert viewer.client.post("/settings/reanalyze/").status_code == 403
    topic = topics_of(workspace=alice.workspace)[0]
    url = f"/settings/topics/{topic.pk}/"
    renamed = {"name_ko": "바뀐 이름", "name_en": "Renamed", "keywords": "배송", "active": "on"}
    assert_hidden_from_bob("post", url, renamed)
    assert Topic.objects.get(pk=topic.pk).name_ko != "바뀐 이름"
    # the same change from alice renames it, on her page only
    assert alice.client.post(url, renamed).status_code == 302
    assert Topic.objects.get(pk=topic.pk).name_ko == "바뀐 이름"
    assert_only_alice_sees("/settings/topics/", "바뀐 이름")


def test_eval_topics_classifies_into_a_taxonomy_from_a_file(
    tmp_path: Path, capsys, db: None
) -> None:
    taxonomy = tmp_path / "taxonomy.json"
    taxonomy.write_text(
        json.dumps(
            {
                "topics": [
                    {
                        "name": "shipping",
                        "keywords": ["배송", "택배", "shipping"],
                        "examples": [
                            "배송이 늦어요",
                            "택배가 안 와요",
                            "Shipping is slow",
                            "배송 조회가 안 돼요",
                            "Where is my package",
                        ],
                    },
                    {
                        "name": "billing",
                        "keywords": ["결제", "청구", "billing", "charged"],
                        "examples": [
                            "결제가 두 번 됐어요",
                            "청구서가 이상해요",
                            "I was charged twice",
                            "결제 오류",
                            "Billing is wrong",
                        ],
                    },
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {"text": "택배가 일주일째 안 와요", "label": "shipping"},
                {"text": "카드 결제가 두 번 청구됐어요", "label": "billing"},
                {"text": "I was charged twice for one order", "label": ["billing"]},
            ]
        ),
        encoding="utf-8",
    )
    call_command("eval", "topics", str(rows), "--taxonomy", str(taxonomy))
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 3
    assert set(report["per_class"]) == {"shipping", "billing"}
    assert report["macro_f1"] == 1.0
