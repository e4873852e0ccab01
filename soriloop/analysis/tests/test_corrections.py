"""People correct labels; corrections win everywhere, survive re-analysis and are audited."""

import json

from django.test import Client

from soriloop.accounts.models import AuditEvent
from soriloop.analysis.models import Correction
from soriloop.analysis.queue import queue_requeue
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add


def analysed(member: Member, text: str):
    record = add(member, text=text)
    analysis_run_batch(owner="w")
    record.refresh_from_db()
    return record


def test_an_agent_corrects_a_record_on_its_page(alice: Member, member_of_a) -> None:
    agent = member_of_a("agent")
    record = analysed(alice, "배송이 빨라서 좋아요")
    assert record.enrichment.sentiment_label == "positive"
    response = agent.client.post(
        f"/inbox/{record.pk}/correct/",
        {"sentiment": "negative", "types": ["complaint"], "topics": ["delivery", "waiting"]},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    enrichment = record.enrichment
    assert enrichment.sentiment_label == "negative"
    assert [t["name"] for t in enrichment.types] == ["complaint"]
    assert [t["key"] for t in enrichment.topics] == ["delivery", "waiting"]
    assert enrichment.corrections["sentiment"]["model"] == "positive"
    assert enrichment.corrections["sentiment"]["by"] == "agent@a.example"
    assert AuditEvent.objects.filter(action="analysis.corrected", actor=agent.user).exists()
    page = agent.client.get(f"/inbox/{record.pk}/").content.decode()
    assert 'data-testid="corrected"' in page


def test_a_correction_wins_in_filters_and_survives_reanalysis(alice: Member, api_key_of) -> None:
    record = analysed(alice, "상담원이 정말 친절했어요")
    alice.client.post(f"/inbox/{record.pk}/correct/", {"sentiment": "neutral"})
    queue_requeue(workspace=alice.workspace)
    analysis_run_batch(owner="w")
    record.refresh_from_db()
    assert record.enrichment.sentiment_label == "neutral"
    key = api_key_of(alice, "read")
    listed = (
        Client()
        .get("/api/v1/feedback?sentiment=neutral", headers={"Authorization": f"Bearer {key}"})
        .json()["items"]
    )
    assert [r["id"] for r in listed] == [record.pk]
    assert listed[0]["analysis"]["corrections"]["sentiment"]["model"] == "positive"


def test_the_api_takes_corrections_from_a_write_key(alice: Member, api_key_of) -> None:
    record = analysed(alice, "The app crashes at checkout")
    url = f"/api/v1/feedback/{record.pk}/analysis"
    write = {"Authorization": f"Bearer {api_key_of(alice, 'write')}"}
    response = Client().patch(
        url,
        data=json.dumps({"types": ["bug", "question"], "topics": ["app"]}),
        content_type="application/json",
        headers=write,
    )
    assert response.status_code == 200, response.content
    analysis = response.json()["analysis"]
    assert [t["name"] for t in analysis["types"]] == ["bug", "question"]
    assert analysis["topics"][0]["name_en"] == "App and website"
    assert Correction.objects.get(field="types").corrected_by_label.startswith("API key sl_")
    bad = Client().patch(
        url,
        data=json.dumps({"topics": ["nonsense"]}),
        content_type="application/json",
        headers=write,
    )
    assert bad.status_code == 422
    assert "topics" in bad.json()["error"]["fields"]
    read = {"Authorization": f"Bearer {api_key_of(alice, 'read')}"}
    assert (
        Client()
        .patch(
            url,
            data=json.dumps({"sentiment": "positive"}),
            content_type="application/json",
            headers=read,
        )
        .status_code
        == 403
    )


def test_records_waiting_for_analysis_cannot_be_corrected(alice: Member, api_key_of) -> None:
    record = add(alice, text="아직 분석 전")
    response = Client().patch(
        f"/api/v1/feedback/{record.pk}/analysis",
        data=json.dumps({"sentiment": "positive"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_of(alice, 'write')}"},
    )
    assert response.status_code == 409  # a conflict with the record's state, not a bad body
    assert response.json()["error"]["code"] == "conflict"
    assert "analysis" in response.json()["error"]["fields"]


def test_viewers_cannot_correct_and_bob_cannot_reach_alices_records(
    alice: Member, member_of_a, assert_hidden_from_bob, request_as
) -> None:
    record = analysed(alice, "좋아요")
    viewer = member_of_a("viewer")
    assert (
        viewer.client.post(f"/inbox/{record.pk}/correct/", {"sentiment": "negative"}).status_code
        == 403
    )
    form, api = f"/inbox/{record.pk}/correct/", f"/api/v1/feedback/{record.pk}/analysis"
    assert_hidden_from_bob("post", form, {"sentiment": "negative"})
    assert_hidden_from_bob("patch", api, {"sentiment": "negative"}, api=True)
    record.refresh_from_db()
    assert record.enrichment.sentiment_label == "positive"
    assert not Correction.objects.exists()
    # the same corrections from alice are saved
    assert alice.client.post(form, {"sentiment": "negative"}).status_code == 302
    record.refresh_from_db()
    assert record.enrichment.sentiment_label == "negative"
    response = request_as(alice, "patch", api, {"sentiment": "neutral"}, api=True)
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.enrichment.sentiment_label == "neutral"
