"""Similar feedback and near-duplicate groups."""

import numpy as np
from django.test import Client

from soriloop.analysis.engine.similar import signature, similarities
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member
from soriloop.feedback.tests.test_inbox import add


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
