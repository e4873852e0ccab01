"""Similar feedback and near-duplicate groups."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.test import Client

from soriloop.analysis.corrections import analysis_correct
from soriloop.analysis.engine.pipeline import TextIn, analyze
from soriloop.analysis.engine.sentiment import AbuseModel, MeaningHead, SentimentModel
from soriloop.analysis.engine.similar import signature, similarities
from soriloop.analysis.engine.store import MODELS
from soriloop.analysis.meaning import meaning_run_batch
from soriloop.analysis.models import Enrichment
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add
from soriloop.core.changes import changes_drain
from soriloop.insights.models import DirtyDay


def test_signatures_estimate_overlap() -> None:
    base = signature("환불 요청한 지 2주가 지났는데 아직도 입금이 안 됐어요")
    others = np.stack(
        [
            signature("환불 요청한 지 2주가 지났는데 아직도 입금이 안 됐어요!!"),
            signature("환불요청한지 2주가 지났는데 아직도 입금이 안됐어요"),
            signature("The app crashes on login"),
            signature(""),
        ]
    )
    scores = similarities(base, others)
    assert scores[0] > 0.8
    assert scores[1] > 0.8, "spacing differences do not matter"
    assert scores[2] < 0.1
    assert scores[3] == 0.0


def test_similar_records_and_duplicate_groups(alice: Member, bob: Member, api_key_of) -> None:
    pasted = "주문한 지 일주일이 넘었는데 배송 조회가 안 돼요. 확인 부탁드립니다"
    first = add(alice, text=pasted, channel="email")
    second = add(alice, text=pasted + "!!", channel="widget")
    third = add(alice, text=pasted, channel="chat")
    other = add(alice, text="상담원분이 친절했어요")
    add(bob, text=pasted)  # bob's copy is never alice's neighbour
    while analysis_run_batch(owner="w"):
        pass
    headers = {"Authorization": f"Bearer {api_key_of(alice, 'read')}"}
    similar = Client().get(f"/api/v1/feedback/{first.pk}/similar", headers=headers).json()["items"]
    assert {item["id"] for item in similar} == {second.pk, third.pk}
    assert all(item["similarity"] >= 0.7 for item in similar)
    groups = Client().get("/api/v1/feedback-duplicates?days=7", headers=headers).json()["groups"]
    assert groups == [{"ids": sorted([first.pk, second.pk, third.pk]), "size": 3}]
    page = alice.client.get(f"/inbox/{first.pk}/").content.decode()
    assert 'data-testid="similar"' in page
    assert other.text not in page.split('data-testid="similar"')[1]


def test_a_small_batch_is_embedded_with_its_labels(alice: Member) -> None:
    late = add(alice, text="물건이 일주일째 안 와요")
    empty = add(alice, score=4, score_kind="stars")
    analysis_run_batch(owner="w")
    enrichment = Enrichment.objects.get(feedback=late)
    assert len(enrichment.vector) == 512 and enrichment.model_version.endswith("+usem3")
    assert enrichment.topic_key_list[0] == "delivery", "by meaning, at once"
    assert Enrichment.objects.get(feedback=empty).vector == b""
    assert meaning_run_batch(owner="w") == 0, "nothing left for the meaning pass"


def test_the_meaning_pass_embeds_finds_similar_meaning_and_refines_topics(
    alice: Member, bob: Member, api_key_of
) -> None:
    korean = add(alice, text="물건이 일주일째 안 와요", channel="email")
    english = add(alice, text="My parcel still hasn't arrived", channel="widget")
    arrived = add(alice, text="주문한 물건이 아직 도착하지 않았어요", channel="chat")
    kind = add(alice, text="상담원이 친절했어요")
    corrected = add(alice, text="택배 기사님이 물건을 던졌어요")
    scored = add(alice, score=3, score_kind="stars")
    add(bob, text="물건이 일주일째 안 와요")
    while analysis_run_batch(owner="w", inline_meaning=0):  # as in a burst: labels first
        pass
    assert Enrichment.objects.get(feedback=korean).topic_keys == "", "no keyword, no topic yet"
    corrected.refresh_from_db()
    analysis_correct(feedback=corrected, changes={"topics": ["staff"]})
    headers = {"Authorization": f"Bearer {api_key_of(alice, 'read')}"}
    before = Client().get(f"/api/v1/feedback/{korean.pk}/similar", headers=headers).json()
    assert before["by"] == "wording", "not embedded yet: the answer says it fell back"
    changes_drain()
    DirtyDay.objects.all().delete()

    while meaning_run_batch(owner="w"):
        pass

    rows = {e.feedback_id: e for e in Enrichment.objects.filter(workspace=alice.workspace)}
    assert all(len(rows[r.pk].vector) == 512 for r in (korean, english, kind, corrected))
    assert rows[scored.pk].vector == b"", "nothing to embed, and not picked again"
    assert all(e.model_version.endswith("+usem3") for e in rows.values())
    assert rows[korean.pk].topic_key_list[0] == "delivery", "meaning found what keywords missed"
    assert rows[corrected.pk].topic_key_list == ["staff"], "a person's topics stay"
    assert changes_drain() > 0, "the meaning pass announced its changes"
    assert DirtyDay.objects.filter(workspace_id=alice.workspace.pk).exists(), "rollups recount"

    found = Client().get(f"/api/v1/feedback/{arrived.pk}/similar", headers=headers).json()
    assert found["by"] == "meaning"
    assert found["items"][0]["id"] == english.pk, "the same complaint in another language"
    assert found["items"][0]["similarity"] >= 0.5
    assert kind.pk not in {i["id"] for i in found["items"]}, "kind words are not a late parcel"
    wording = (
        Client().get(f"/api/v1/feedback/{korean.pk}/similar?by=wording", headers=headers).json()
    )
    assert wording["by"] == "wording"
    bad = Client().get(f"/api/v1/feedback/{korean.pk}/similar?by=vibes", headers=headers)
    assert bad.status_code == 422 and "by" in bad.json()["error"]["fields"]
    page = alice.client.get(f"/inbox/{arrived.pk}/").content.decode()
    assert english.text.replace("'", "&#x27;") in page.split('data-testid="similar-meaning"')[1]


class BrokenEncoder:
    """An encoder whose weights could not be loaded."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise MemoryError("the encoder could not load")


def test_labels_do_not_wait_on_a_failing_encoder(alice: Member) -> None:
    record = add(alice, text="물건이 일주일째 안 와요")
    assert analysis_run_batch(owner="w", encoder=BrokenEncoder()) == 1
    enrichment = Enrichment.objects.get(feedback=record)
    assert enrichment.sentiment_label == "negative" and enrichment.vector is None
    assert not enrichment.model_version.endswith("+usem3")
    assert meaning_run_batch(owner="w") == 1, "the meaning pass makes up for it"
    assert len(Enrichment.objects.get(feedback=record).vector) == 512


class BeforeTheMeaningHead:
    """The shipped heads as they were before the meaning head was trained."""

    def sentiment(self) -> SentimentModel:
        return MODELS.sentiment()

    def sentiment_file(self, path: Path) -> SentimentModel:
        return MODELS.sentiment_file(path)

    def abuse(self) -> AbuseModel:
        return MODELS.abuse()

    def meaning(self) -> MeaningHead | None:
        return None


def test_without_a_meaning_head_the_meaning_pass_embeds_and_leaves_sentiment(
    alice: Member,
) -> None:
    store = BeforeTheMeaningHead()
    record = add(alice, text="Refund not received")
    assert analysis_run_batch(owner="w", inline_meaning=0, models=store) == 1
    before = Enrichment.objects.get(feedback=record)
    assert meaning_run_batch(owner="w", models=store) == 1
    after = Enrichment.objects.get(feedback=record)
    assert len(after.vector) == 512 and after.model_version.endswith("+usem3")
    assert (after.sentiment_label, after.sentiment_confidence) == (
        before.sentiment_label,
        before.sentiment_confidence,
    ), "the hashed head's reading stays"
    [blended] = analyze([TextIn(record.text)], meaning=True)
    assert blended.sentiment.confidence != before.sentiment_confidence, "a head would move it"


def test_the_meaning_pass_reads_a_bursts_sentiment_as_the_steady_state_does(
    alice: Member,
) -> None:
    texts = [
        "Refund not received",
        "택배가 아직 안 왔어요",
        "배송지 변경 가능한가요?",
        "Rude cashier",
    ]
    records = [add(alice, text=t) for t in texts]
    kept = add(alice, text="환불이 아직 안 들어왔습니다")
    while analysis_run_batch(owner="w", inline_meaning=0):  # as in a burst: labels first
        pass
    kept.refresh_from_db()
    analysis_correct(feedback=kept, changes={"sentiment": "positive"})
    while meaning_run_batch(owner="w"):
        pass
    inline = analyze([TextIn(t) for t in texts], meaning=True)
    for record, expected in zip(records, inline, strict=True):
        row = Enrichment.objects.get(feedback=record)
        assert row.sentiment_label == expected.sentiment.label, record.text
        assert row.sentiment_confidence == expected.sentiment.confidence
        assert {t["name"] for t in row.types} == {t.name for t in expected.types}
    assert Enrichment.objects.get(feedback=kept).sentiment_label == "positive", "a person's word"
