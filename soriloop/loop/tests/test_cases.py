"""Cases through the API: the default rules open them, related feedback joins them, a person
opens, changes and notes them; roles and teams decide who may; alice's cases are hers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from soriloop.accounts.models import Role, User
from soriloop.accounts.services import team_create
from soriloop.alerts.models import Notification
from soriloop.conftest import Member, api, make_member
from soriloop.loop.models import Case, CaseRule
from soriloop.loop.priority import ChurnRisk, Signals, priority_of
from soriloop.loop.tests.factories import case_of, detractor, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


@pytest.fixture
def bob_key(bob: Member, api_key_of) -> str:
    return api_key_of(bob, "write")


@pytest.fixture
def key_as(alice: Member, api_key_of) -> Callable[[str, str], tuple[Member, str]]:
    """A member of alice's workspace with ``role`` and a write key of theirs (keys are made
    by admins: the key is made first, then the role lowered, as when a member is demoted)."""

    def make(name: str, role: str) -> tuple[Member, str]:
        member = make_member(f"{name}@a.example", alice.workspace, Role.ADMIN)
        made = api_key_of(member, "write")
        member.membership.role = role
        member.membership.save(update_fields=["role"])
        return member, made

    return make


def test_a_new_workspace_starts_with_the_two_default_rules_switched_on(key: str) -> None:
    rules = api("get", "/case-rules", key).json()["items"]
    assert {r["key"]: r["enabled"] for r in rules} == {
        "nps_detractor": True,
        "negative_sentiment": True,
    }
    assert rules[0]["conditions"]["score_max"] == 6
    assert rules[1]["conditions"] == {
        **rules[1]["conditions"], "sentiment": "negative", "min_confidence": 0.8,
    }  # fmt: skip


def test_an_nps_detractor_opens_a_case_with_priority_reasons_and_deadlines(key: str) -> None:
    record = detractor(key)
    case = case_of(key, record)
    assert case["status"] == "new" and case["feedback"] == [record]
    assert case["priority"] in ("urgent", "high", "normal", "low")
    assert "detractor 2" in case["priority_reasons"]
    assert case["sla"]["first_response_due"] and case["sla"]["resolution_due"]
    assert case["history"][0]["kind"] == "opened"
    assert api("get", f"/feedback/{record}", key).json()["case"] == case["id"]
    listed = api("get", "/feedback", key).json()["items"]
    assert listed[0]["case"] == case["id"]


def test_a_promoter_opens_no_case(key: str) -> None:
    record = send(key, "정말 좋아요 감사합니다", score=10, score_kind="nps")
    assert api("get", f"/cases?feedback={record}", key).json()["items"] == []
    assert api("get", f"/feedback/{record}", key).json()["case"] is None


def test_related_feedback_of_the_same_customer_joins_the_open_case(key: str) -> None:
    first = detractor(key, score=3)
    second = detractor(key, score=1)
    case = case_of(key, first)
    assert case_of(key, second)["id"] == case["id"]
    assert sorted(case_of(key, first)["feedback"]) == [first, second]
    other = detractor(key, email="someone@example.com")
    assert case_of(key, other)["id"] != case["id"]


def test_a_rule_without_joining_opens_a_case_per_record(key: str, alice: Member) -> None:
    CaseRule.objects.filter(workspace=alice.workspace).update(join_related=False)
    first, second = detractor(key, score=3), detractor(key, score=1)
    assert case_of(key, first)["id"] != case_of(key, second)["id"]
    second_case = case_of(key, second)
    assert "1 other open case" in second_case["priority_reasons"]


def test_a_case_rule_is_created_and_matches(key: str) -> None:
    created = api(
        "post", "/case-rules", key,
        {"name": "Complaints by e-mail", "conditions": {"keyword": "환불"}, "join_related": False},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    record = send(key, "환불은 언제 되나요?")
    assert case_of(key, record)["feedback"] == [record]


def test_invalid_case_rules_name_the_field(key: str) -> None:
    empty = api("post", "/case-rules", key, {"name": "x", "conditions": {}})
    assert empty.status_code == 422 and "conditions" in empty.json()["error"]["fields"]
    bad = api("post", "/case-rules", key, {"name": "x", "conditions": {"sentiment": "angry"}})
    assert bad.status_code == 422


def test_a_person_opens_a_case_from_several_records(key: str, alice: Member) -> None:
    a, b = (
        send(key, "배송 문의", score=8, score_kind="nps"),
        send(key, "또 문의", score=8, score_kind="nps"),
    )
    created = api("post", "/cases", key, {"feedback": [a, b], "assignee": alice.user.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["feedback"] == [a, b] and body["assignee"] == alice.user.pk
    assert body["history"][0]["who"] == alice.user.display_name
    again = api("post", "/cases", key, {"feedback": [a]})
    assert again.status_code == 422 and "feedback" in again.json()["error"]["fields"]


def test_a_priority_override_needs_its_reason(key: str) -> None:
    case = case_of(key, detractor(key))
    bare = api("patch", f"/cases/{case['id']}", key, {"priority": "urgent"})
    assert bare.status_code == 422 and "priority_reason" in bare.json()["error"]["fields"]
    done = api(
        "patch", f"/cases/{case['id']}", key,
        {"priority": "urgent", "priority_reason": "press contact"},
    )  # fmt: skip
    assert done.status_code == 200, done.content
    assert done.json()["priority"] == "urgent"
    assert done.json()["priority_override_reason"] == "press contact"
    assert done.json()["history"][-1]["kind"] == "priority_overridden"


def test_the_workflow_moves_and_refuses_an_impossible_move(key: str) -> None:
    case = case_of(key, detractor(key))
    path = f"/cases/{case['id']}"
    verified = api("patch", path, key, {"status": "verified"})
    assert verified.status_code == 422 and "status" in verified.json()["error"]["fields"]
    for status in ("acknowledged", "in_progress", "waiting_on_customer"):
        assert api("patch", path, key, {"status": status}).status_code == 200
    waiting = api("get", path, key).json()
    assert waiting["sla"]["paused"] is True and waiting["sla"]["running"] == []
    resolved = api("patch", path, key, {"status": "resolved", "no_survey_reason": "by phone"})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["no_survey_reason"] == "by phone"
    assert resolved.json()["verification"] is None
    assert api("patch", path, key, {"status": "reopened"}).json()["status"] == "reopened"
    kinds = [h["kind"] for h in api("get", path, key).json()["history"]]
    assert kinds.count("status_changed") == 5


def test_a_note_with_a_mention_notifies_the_member(
    key: str, alice: Member, member_of_a: Callable[[str], Member]
) -> None:
    agent = member_of_a(Role.AGENT)
    case = case_of(key, detractor(key))
    note = api("post", f"/cases/{case['id']}/notes", key, {"body": "@agent 확인 부탁해요"})
    assert note.status_code == 201, note.content
    assert note.json()["mentions"] == [agent.user.pk]
    assert Notification.objects.filter(user=agent.user, url=f"/cases/{case['id']}/").count() == 1
    assert not Notification.objects.filter(user=alice.user).exists()


def test_a_viewer_reads_cases_but_cannot_reply_or_change_them(key: str, key_as) -> None:
    case = case_of(key, detractor(key))
    _viewer, viewer_key = key_as("viewer", Role.VIEWER)
    _agent, agent_key = key_as("agent", Role.AGENT)
    assert api("get", f"/cases/{case['id']}", viewer_key).status_code == 200
    path = f"/cases/{case['id']}"
    assert api("post", f"{path}/replies", viewer_key, {"body": "안녕하세요"}).status_code == 403
    assert api("post", f"{path}/notes", viewer_key, {"body": "메모"}).status_code == 403
    assert api("patch", path, viewer_key, {"status": "acknowledged"}).status_code == 403
    replied = api("post", f"{path}/replies", agent_key, {"body": "확인하겠습니다"})
    assert replied.status_code == 201, replied.content


def test_a_viewer_whose_role_cannot_work_cases_is_refused_by_the_service(
    alice: Member, member_of_a: Callable[[str], Member], key: str
) -> None:
    from django.core.exceptions import PermissionDenied

    from soriloop.loop.services import case_reply

    case = Case.objects.get(pk=case_of(key, detractor(key))["id"])
    viewer = member_of_a(Role.VIEWER)
    with pytest.raises(PermissionDenied):
        case_reply(case=case, actor=viewer.membership, body="hello")


def test_an_agent_sees_only_the_cases_of_restricted_teams_they_are_in(
    key: str, alice: Member, key_as
) -> None:
    inside, inside_key = key_as("inside", Role.AGENT)
    _outside, outside_key = key_as("outside", Role.AGENT)
    team = team_create(
        workspace=alice.workspace, actor=alice.membership, name="VIP desk", restricted=True,
        members=[{"user": inside.user.pk}],
    )  # fmt: skip
    case = case_of(key, detractor(key))
    assert api("patch", f"/cases/{case['id']}", key, {"team": team.pk}).status_code == 200
    assert [c["id"] for c in api("get", "/cases", inside_key).json()["items"]] == [case["id"]]
    assert api("get", "/cases", outside_key).json()["items"] == []
    assert api("get", f"/cases/{case['id']}", outside_key).status_code == 404
    assert api("get", f"/cases/{case['id']}", key).status_code == 200  # the owner sees all


def test_alices_cases_are_hers_alone(key: str, bob_key: str, alice: Member) -> None:
    record = detractor(key)
    case = case_of(key, record)
    assert api("get", "/cases", key).json()["items"][0]["id"] == case["id"]
    assert api("get", "/cases", bob_key).json()["items"] == []
    assert api("get", f"/cases?feedback={record}", bob_key).json()["items"] == []
    for method, path, body in (
        ("get", f"/cases/{case['id']}", None),
        ("patch", f"/cases/{case['id']}", {"status": "resolved"}),
        ("post", f"/cases/{case['id']}/replies", {"body": "hi"}),
        ("post", f"/cases/{case['id']}/notes", {"body": "hi"}),
    ):
        assert api(method, path, bob_key, body).status_code == 404, path
    stolen = api("post", "/cases", bob_key, {"feedback": [record]})
    assert stolen.status_code == 422
    assert [r["name"] for r in api("get", "/case-rules", bob_key).json()["items"]] == [
        r["name"] for r in api("get", "/case-rules", key).json()["items"]
    ]  # each has its own two
    assert CaseRule.objects.filter(workspace=alice.workspace).count() == 2


def test_calls_without_a_key_are_refused() -> None:
    for path in ("/cases", "/cases/1", "/case-rules"):
        assert Client().get(f"/api/v1{path}").status_code == 401


def test_priority_reasons_read_as_words() -> None:
    churn = ChurnRisk(0.7, "high", ["no purchase in 60 days"], "test")
    found = priority_of(Signals(nps=2, churn=churn, other_open_cases=2))
    assert found.reasons[:3] == [
        "detractor 2",
        "churn risk high: no purchase in 60 days",
        "2 other open cases",
    ]
    assert found.score == 25 + 20 + 10 and found.level == "high"
    assert priority_of(Signals(nps=9)).reasons == ["no sign of urgency"]


def test_an_unknown_member_cannot_be_assigned(key: str, bob: Member) -> None:
    case = case_of(key, detractor(key))
    refused = api("patch", f"/cases/{case['id']}", key, {"assignee": bob.user.pk})
    assert refused.status_code == 422 and "assignee" in refused.json()["error"]["fields"]
    assert User.objects.filter(pk=bob.user.pk).exists()
