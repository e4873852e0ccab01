"""A workspace's sentiment head adapts to its corrections and scored feedback, reports dev
scores before and after, and is switched in only when it is not worse."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from soriloop.accounts.models import AuditEvent
from soriloop.analysis import adapt
from soriloop.analysis.corrections import analysis_correct
from soriloop.analysis.engine.topics import CompiledTopic, Lesson, TopicSpec, taught
from soriloop.analysis.models import Correction, Enrichment, WorkspaceModel
from soriloop.analysis.services import analysis_run_batch
from soriloop.analysis.taxonomy import compiled_topics, topic_save
from soriloop.conftest import Member
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import feedback_reanalyze
from soriloop.feedback.tests.test_inbox import add

GOOD = ["포장이 꼼꼼해요", "배송이 빨라요", "기사님이 친절해요", "재구매 의사 있어요", "품질이 좋아요",
        "가성비 최고예요", "사이즈가 딱 맞아요", "색상이 사진과 같아요"]  # fmt: skip
BAD = ["포장이 엉망이에요", "배송이 느려요", "기사님이 불친절해요", "다시는 안 사요", "품질이 별로예요",
       "비싸기만 해요", "사이즈가 안 맞아요", "색상이 사진과 달라요"]  # fmt: skip
ENDINGS = ["", " 정말", " 진짜로", " 이번에도", " 역시", " 늘"]


@pytest.fixture
def reviews(alice: Member) -> Member:
    for ending in ENDINGS:
        for text in GOOD:
            add(alice, text=text + ending, score=5, score_kind="stars")
        for text in BAD:
            add(alice, text=text + ending, score=1, score_kind="stars")
    analysis_run_batch(owner="w")
    return alice


def test_adapting_reports_dev_scores_and_switches_in_a_head_that_is_not_worse(
    reviews: Member, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path
    alice = reviews
    record = Feedback.objects.filter(workspace=alice.workspace, text="포장이 꼼꼼해요").get()
    analysis_correct(feedback=record, changes={"sentiment": "positive"})
    out = StringIO()
    call_command("train", "--workspace", str(alice.workspace.pk), stdout=out)
    report = json.loads(out.getvalue())["sentiment"]
    assert report["examples"] == 96 and report["from_corrections"] == 1
    assert report["train"] + report["dev"] == 96
    assert set(report["before"]) == set(report["after"]) == {"n", "accuracy", "macro_f1"}
    assert report["after"]["macro_f1"] >= report["before"]["macro_f1"]
    assert report["switched_in"] is True
    active = WorkspaceModel.objects.get(workspace=alice.workspace, kind="sentiment", active=True)
    assert active.version == report["model"]
    assert active.path.startswith(str(tmp_path))
    feedback_reanalyze(workspace=alice.workspace)
    analysis_run_batch(owner="w")
    versions = set(
        Enrichment.objects.filter(workspace=alice.workspace).values_list("model_version", flat=True)
    )
    assert all(f"+ws{alice.workspace.pk}-" in v for v in versions), versions


def test_a_head_that_scores_worse_is_not_switched_in(
    reviews: Member, bob: Member, monkeypatch
) -> None:
    def backwards(head, examples, **kwargs):
        return -head.weights, -head.bias  # says the opposite of what it should

    monkeypatch.setattr(adapt, "fine_tuned", backwards)
    report = adapt.adapt_sentiment(workspace=reviews.workspace)
    assert report["switched_in"] is False
    assert report["after"]["accuracy"] < report["before"]["accuracy"]
    assert not WorkspaceModel.objects.exists()
    assert adapt.current_model(reviews.workspace.pk) is adapt.sentiment_model()
    assert adapt.current_model(bob.workspace.pk) is adapt.sentiment_model()


def test_too_few_labels_are_reported_not_trained(alice: Member) -> None:
    add(alice, text="좋아요", score=5, score_kind="stars")
    report = adapt.adapt_sentiment(workspace=alice.workspace)
    assert report["switched_in"] is False and "needs" in report["reason"]
    topics = adapt.adapt_topics(workspace=alice.workspace)
    assert topics["switched_in"] is False and "needs" in topics["reason"]


SUBJECTS = ["포인트", "적립금", "쿠폰", "등급 혜택", "마일리지"]
PREDICATES = ["적립이 안 됐어요", "사라졌어요", "안 들어왔어요", "확인이 안 돼요", "언제 들어오나요",
              "소멸됐어요", "내역이 없어요", "유효기간이 궁금해요"]  # fmt: skip


@pytest.fixture
def membership(alice: Member) -> Member:
    """A topic the taxonomy knows only by name and one keyword, and 40 records people sorted
    into it by hand (none of them says the keyword)."""
    topic_save(
        actor=alice.membership, name_ko="멤버십", name_en="Membership", keywords="멤버십",
        examples="",
    )  # fmt: skip
    for subject in SUBJECTS:
        for predicate in PREDICATES:
            add(alice, text=f"{subject} {predicate}")
    analysis_run_batch(owner="w")
    for record in Feedback.objects.filter(workspace=alice.workspace):
        analysis_correct(feedback=record, changes={"topics": ["membership"]})
    return alice


def test_topic_corrections_teach_the_taxonomy_and_new_records_follow(
    membership: Member, bob: Member, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path
    alice = membership
    out = StringIO()
    call_command("train", "--workspace", str(alice.workspace.pk), stdout=out)
    report = json.loads(out.getvalue())["topics"]
    assert report["examples"] == 40 and report["train"] + report["dev"] == 40
    assert report["before"]["macro_f1"] == 0.0, "nothing says 멤버십: the taxonomy alone misses"
    assert report["after"]["macro_f1"] > 0.5, report
    assert report["switched_in"] is True and report["topics_taught"] == ["membership"]
    active = WorkspaceModel.objects.get(workspace=alice.workspace, kind="topics", active=True)
    assert active.version == report["model"] and active.path.startswith(str(tmp_path))
    assert "포인트" not in Path(active.path).read_text(), "lessons keep features, not texts"
    fresh = add(alice, text="쿠폰 적립 내역이 사라졌어요")
    analysis_run_batch(owner="w")
    topics = Enrichment.objects.get(feedback=fresh).topics
    assert [t["key"] for t in topics][:1] == ["membership"], topics
    # another workspace's taxonomy learned nothing
    assert compiled_topics(workspace=bob.workspace) == compiled_topics(
        workspace=bob.workspace, adapted=False
    )


def test_taught_topics_that_score_worse_are_not_switched_in(
    membership: Member, monkeypatch, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path
    first = adapt.adapt_topics(workspace=membership.workspace)
    assert first["switched_in"] is True
    monkeypatch.setattr(adapt, "taught", lambda topics, lessons: list(topics))  # learns nothing
    second = adapt.adapt_topics(workspace=membership.workspace)
    assert second["switched_in"] is False, second
    assert second["before"] == first["after"] and second["after"]["macro_f1"] == 0.0
    active = WorkspaceModel.objects.get(kind="topics", active=True)
    assert active.version == first["model"], "the better lessons stay in use"


def test_rocchio_moves_centroids_towards_records_put_in_and_away_from_those_taken_out() -> None:
    spec = TopicSpec("delivery", "delivery", ("배송",), ())
    topic = CompiledTopic(spec, ("배송",), {1: 0.6, 2: 0.8})
    lesson = Lesson(positive={3: 2.0}, negative={2: 4.0}, n_positive=2, n_negative=2)
    (moved,) = taught([topic], {"delivery": lesson})
    assert moved.keywords == ("배송",)
    assert moved.centroid[3] > 0, "towards the records put in"
    assert moved.centroid[2] / moved.centroid[1] < 0.8 / 0.6, "away from those taken out"
    assert abs(sum(v * v for v in moved.centroid.values()) - 1) < 1e-6
    gone = Lesson(positive={}, negative={1: 20.0}, n_positive=0, n_negative=1)
    (clipped,) = taught([topic], {"delivery": gone})
    assert 1 not in clipped.centroid, "a weight pushed below zero is dropped, not negative"
    assert taught([topic], {}) == [topic]


def test_reanalyze_reports_label_counts_before_and_after_and_what_changed(
    membership: Member, bob: Member, settings, tmp_path
) -> None:
    """Once the taxonomy learned "membership", re-analysis moves the records into it."""
    settings.DATA_DIR = tmp_path
    alice = membership
    assert adapt.adapt_topics(workspace=alice.workspace)["switched_in"] is True
    # as the records were before anyone sorted them: no corrections, no topic
    Correction.objects.all().delete()
    Enrichment.objects.filter(workspace=alice.workspace).update(
        corrections={}, topics=[], topic_keys=""
    )
    add(bob, text="포인트가 사라졌어요")
    out = StringIO()
    call_command("reanalyze", "--workspace", str(alice.workspace.pk), stdout=out)
    report = json.loads(out.getvalue())
    assert report["records"] == 40
    assert report["before"]["topics"] == {"unassigned": 40}
    assert sum(report["after"]["sentiment"].values()) == 40, "bob's record is not counted"
    assert report["after"]["topics"]["membership"] >= 30, report
    assert report["records_changed"]["topics"] >= 30
    assert set(report["records_changed"]) == {"sentiment", "topics", "types"}
    assert set(report["after"]) == {"sentiment", "topics", "types"}


def test_settings_show_the_last_adaptation_and_an_admin_can_ask_for_one(
    membership: Member, member_of_a, run_tasks, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path
    alice = membership
    page = alice.client.get("/settings/analysis/").content.decode()
    assert "Not adapted yet" in page or "아직" in page
    agent = member_of_a("agent")
    assert agent.client.post("/settings/analysis/adapt/").status_code == 403
    assert run_tasks() == 0, "an agent cannot ask"
    assert alice.client.post("/settings/analysis/adapt/").status_code == 302
    assert run_tasks() == 1
    page = alice.client.get("/settings/analysis/").content.decode()
    card = page.split('data-testid="adaptation"')[1]
    active = WorkspaceModel.objects.get(workspace=alice.workspace, kind="topics", active=True)
    assert active.version in card, "the topics taught by the corrections are in use"
    assert "0.000 →" in card, "dev macro-F1 before and after"
    assert "(0" in card, "sentiment had no labelled record to learn from"
    assert AuditEvent.objects.filter(workspace=alice.workspace, action="analysis.adapt").exists()
