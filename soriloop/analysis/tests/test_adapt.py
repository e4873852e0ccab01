"""A workspace's sentiment head adapts to its corrections and scored feedback, reports dev
scores before and after, and is switched in only when it is not worse."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from soriloop.analysis import adapt
from soriloop.analysis.corrections import analysis_correct
from soriloop.analysis.models import Enrichment, WorkspaceModel
from soriloop.analysis.services import analysis_run_batch
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
    report = json.loads(out.getvalue())
    assert report["examples"] == 96 and report["from_corrections"] == 1
    assert report["train"] + report["dev"] == 96
    assert set(report["before"]) == set(report["after"]) == {"n", "accuracy", "macro_f1"}
    assert report["after"]["macro_f1"] >= report["before"]["macro_f1"]
    assert report["switched_in"] is True
    active = WorkspaceModel.objects.get(workspace=alice.workspace, active=True)
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
