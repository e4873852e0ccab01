"""Emerging issues: recent negative feedback no topic covers, grouped by meaning, proposed,
then accepted (renamed) into the taxonomy or rejected for good."""

import numpy as np
import pytest

from soriloop.accounts.models import AuditEvent
from soriloop.analysis.emerging import emerging_detect, emerging_reject
from soriloop.analysis.engine.embed import clusters, embed
from soriloop.analysis.models import EmergingIssue, Enrichment, Topic
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add
from soriloop.feedback.selectors import feedback_get
from soriloop.feedback.services import feedback_delete

POINTS = [
    "포인트 적립이 또 안 됐어요 짜증나네요",
    "적립금이 사라졌어요 너무 화나요",
    "포인트가 적립되지 않았어요 실망입니다",
    "적립 포인트가 누락됐어요 최악이에요",
    "My reward points vanished again, terrible",
]
OTHER = ["매장 음악이 너무 시끄러워요 별로예요", "주차장이 좁아서 불편해요 최악"]


def test_embeddings_put_the_same_complaint_close_in_korean_and_english() -> None:
    vectors = embed(
        ["포인트 적립이 안 돼요", "My points were not added", "매장 음악이 시끄러워요", ""]
    )
    assert vectors.shape == (4, 512)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1, atol=1e-3)
    assert not vectors[3].any(), "empty text has no direction"
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_clusters_group_close_rows_and_leave_noise_out() -> None:
    a, b = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    rows = np.stack([a, a, a, b, b, np.eye(4, dtype=np.float32)[2]])
    assert clusters(rows, 0.9, 2) == [[0, 1, 2], [3, 4]]
    assert clusters(rows, 0.9, 4) == []


@pytest.fixture
def unassigned_complaints(alice: Member) -> Member:
    for text in POINTS + OTHER:
        add(alice, text=text)
    analysis_run_batch(owner="w")
    # the starter taxonomy has nothing about reward points
    assert Enrichment.objects.filter(topic_keys="", sentiment_label="negative").count() >= 4
    return alice


def test_detect_proposes_the_group_with_keywords_and_examples(
    unassigned_complaints: Member,
) -> None:
    alice = unassigned_complaints
    (issue,) = emerging_detect(workspace=alice.workspace)
    assert issue.status == "proposed" and issue.size >= 3
    assert any("적립" in w or "포인트" in w for w in issue.keywords)
    texts = dict(Enrichment.objects.values_list("feedback_id", "feedback__text"))
    assert all(texts[pk] in POINTS for pk in issue.example_ids)
    assert "적립" in issue.label_ko or "포인트" in issue.label_ko
    assert not Enrichment.objects.filter(vector=None).exists(), "read from the stored vectors"
    # records the meaning pass has not reached yet are embedded on the spot
    half = list(Enrichment.objects.values_list("feedback_id", flat=True)[::2])
    Enrichment.objects.filter(feedback_id__in=half).update(vector=None)
    again = emerging_detect(workspace=alice.workspace)
    assert [i.pk for i in again] == [issue.pk], "found again, not proposed twice"


def test_accepting_renames_into_a_topic_and_rejecting_is_for_good(
    unassigned_complaints: Member, assert_only_alice_sees, assert_hidden_from_bob
) -> None:
    alice = unassigned_complaints
    (issue,) = emerging_detect(workspace=alice.workspace)
    assert_only_alice_sees("/dashboard/emerging/", 'data-testid="issue"', issue.label_ko)
    page = alice.client.get("/dashboard/emerging/").content.decode()
    assert all(f'data-id="{pk}"' in page for pk in issue.example_ids[:3]), "its examples"
    dashboard = alice.client.get("/dashboard/").content.decode()
    assert 'data-testid="emerging"' in dashboard and issue.label_ko in dashboard
    assert_hidden_from_bob("post", "/dashboard/emerging/", {"issue": issue.pk, "action": "reject"})
    assert EmergingIssue.objects.get(pk=issue.pk).status == "proposed"
    # the same form from alice, on the same issue, is carried out
    response = alice.client.post(
        "/dashboard/emerging/",
        {
            "issue": issue.pk,
            "action": "accept",
            "name_ko": "포인트 적립",
            "name_en": "Reward points",
        },
    )
    assert response.status_code == 302
    topic = Topic.objects.get(workspace=alice.workspace, key="reward-points")
    assert (topic.name_ko, topic.name_en) == ("포인트 적립", "Reward points")
    assert topic.examples and topic.keywords
    assert AuditEvent.objects.filter(action="emerging.accepted").exists()
    assert emerging_detect(workspace=alice.workspace) == [], "accepted: not proposed again"
    assert 'data-testid="emerging"' not in alice.client.get("/dashboard/").content.decode()


def test_a_rejected_issue_stays_rejected(unassigned_complaints: Member, member_of_a) -> None:
    alice = unassigned_complaints
    (issue,) = emerging_detect(workspace=alice.workspace)
    viewer = member_of_a("viewer")
    assert (
        viewer.client.post(
            "/dashboard/emerging/", {"issue": issue.pk, "action": "reject"}
        ).status_code
        == 403
    )
    deleted = feedback_get(workspace=alice.workspace, feedback_id=issue.example_ids[0])
    feedback_delete(workspace=alice.workspace, feedback=deleted, actor=None)
    page = alice.client.get("/dashboard/emerging/").content.decode()
    assert f'data-id="{deleted.pk}"' not in page, "a deleted record is no example"
    assert f'data-id="{issue.example_ids[1]}"' in page
    emerging_reject(actor=alice.membership, issue=issue)
    assert emerging_detect(workspace=alice.workspace) == []
    assert EmergingIssue.objects.get().status == "rejected"


def test_the_worker_loop_looks_when_due_and_there_is_news(
    unassigned_complaints: Member, bob: Member
) -> None:
    from soriloop.analysis.adapt import adapt_scan
    from soriloop.analysis.emerging import emerging_scan

    emerging_scan.next_check = 0
    assert emerging_scan(owner="w") == 1, "alice has new negatives; bob has nothing"
    assert EmergingIssue.objects.filter(workspace=unassigned_complaints.workspace).exists()
    emerging_scan.next_check = 0
    assert emerging_scan(owner="w") == 0, "scanned just now"
    adapt_scan.next_check = 0
    assert adapt_scan(owner="w") == 0, "no corrections to learn from"
