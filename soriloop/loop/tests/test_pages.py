"""The cases pages: the agent inbox and its queues, the case page (priority reasons, the
customer's history, notes, replies, status), "open case" from the record page; a viewer
gets no forms; bob reaches nothing of alice's; Korean and English; the keyboard in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from soriloop.accounts.models import Role
from soriloop.conftest import PASSWORD, Member, make_member
from soriloop.loop.models import Case, CaseNote, CaseReply
from soriloop.loop.tests.factories import case_of, detractor, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return str(api_key_of(alice, "write"))


def test_the_inbox_lists_the_queues_with_priority_reasons(key: str, alice: Member) -> None:
    case = case_of(key, detractor(key))
    page = alice.client.get("/cases/?queue=unassigned")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'href="/cases/{case["id"]}/"' in text and "detractor 2" in text
    assert (
        alice.client.get("/cases/?queue=mine").content.decode().count('data-testid="case-row"') == 0
    )
    alice.client.post("/cases/?queue=mine", {"case": case["id"], "action": "assign_me"})
    assert Case.objects.get(pk=case["id"]).assignee_id == alice.user.pk
    assert (
        alice.client.get("/cases/?queue=mine").content.decode().count('data-testid="case-row"') == 1
    )


def test_the_case_page_shows_the_case_and_takes_notes_replies_and_status(
    key: str, alice: Member
) -> None:
    earlier = send(key, "지난번에도 늦었어요", customer={"email": "minji@example.com"})
    case = case_of(key, detractor(key))
    url = f"/cases/{case['id']}/"
    text = alice.client.get(url).content.decode()
    assert "detractor 2" in text and f"/inbox/{earlier}/" in text  # the customer's history
    alice.client.post(url, {"action": "note", "body": "확인 중"})
    alice.client.post(url, {"action": "reply", "body": "죄송합니다", "template": "apology"})
    alice.client.post(url, {"action": "status", "status": "waiting_on_customer"})
    assert CaseNote.objects.get().body == "확인 중"
    assert CaseReply.objects.get().template == "apology"
    assert Case.objects.get(pk=case["id"]).status == "waiting_on_customer"
    refused = alice.client.post(url, {"action": "status", "status": "verified"}, follow=True)
    assert "cannot become verified" in refused.content.decode()


def test_a_case_is_opened_from_the_record_page(key: str, alice: Member) -> None:
    record = send(key, "문의드립니다", score=9, score_kind="nps")
    page = alice.client.get(f"/inbox/{record}/").content.decode()
    assert 'data-testid="open-case"' in page
    opened = alice.client.post("/cases/open/", {"feedback": record})
    case = Case.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/cases/{case.pk}/"
    assert f'href="/cases/{case.pk}/"' in alice.client.get(f"/inbox/{record}/").content.decode()


def test_a_viewer_sees_cases_without_forms(key: str, alice: Member) -> None:
    viewer = make_member("viewer@a.example", alice.workspace, Role.VIEWER)
    case = case_of(key, detractor(key))
    text = viewer.client.get(f"/cases/{case['id']}/").content.decode()
    assert "detractor 2" in text and 'data-testid="send-reply"' not in text
    viewer.client.post(f"/cases/{case['id']}/", {"action": "reply", "body": "hi"})
    assert not CaseReply.objects.exists()


def test_bob_reaches_none_of_alices_cases(key: str, alice: Member, bob: Member) -> None:
    case = case_of(key, detractor(key))
    assert alice.client.get(f"/cases/{case['id']}/").status_code == 200
    assert bob.client.get(f"/cases/{case['id']}/").status_code == 404
    assert bob.client.post(f"/cases/{case['id']}/", {"action": "resolve"}).status_code == 404
    assert 'data-testid="case-row"' not in bob.client.get("/cases/?queue=open").content.decode()
    assert 'data-testid="case-row"' in alice.client.get("/cases/?queue=open").content.decode()
    assert bob.client.post("/cases/open/", {"feedback": case["feedback"][0]}).status_code == 302
    assert Case.objects.count() == 1


@pytest.mark.parametrize(("language", "title"), [("ko", "케이스"), ("en", "Cases")])
def test_the_inbox_speaks_korean_and_english(alice: Member, language: str, title: str) -> None:
    alice.user.language = language
    alice.user.save(update_fields=["language"])
    text = alice.client.get("/cases/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<h1>{title}</h1>" in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_keyboard_moves_assigns_and_resolves_in_the_inbox(
    live_server: Any, alice: Member, api_key_of, page: Page
) -> None:
    key = api_key_of(alice, "write")
    first = case_of(key, detractor(key, email="a@example.com", score=0))
    second = case_of(key, detractor(key, email="b@example.com", score=5))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("이메일").fill(alice.user.email)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.goto(f"{live_server.url}/cases/?queue=open")
    rows = page.get_by_test_id("case-row")
    expect(rows.nth(0)).to_have_class("selected")  # the highest priority first
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("selected")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert Case.objects.get(pk=second["id"]).assignee_id == alice.user.pk
    with page.expect_navigation():
        page.keyboard.press("e")  # the first row again after the reload
    expect(page.get_by_test_id("case-row")).to_have_count(1)
    assert Case.objects.get(pk=first["id"]).status == "resolved"
    page.keyboard.press("r")
    page.wait_for_url(f"**/cases/{second['id']}/#reply")
    expect(page.get_by_test_id("reply-body")).to_be_focused()


def test_the_reply_is_suggested_from_the_most_similar_resolved_case(
    key: str, alice: Member, django_capture_on_commit_callbacks: Any, smtp_sink: Any
) -> None:
    from soriloop.analysis.meaning import meaning_run_batch

    old = case_of(
        key, detractor(key, "배송이 3주째 안 와요. 너무 화가 납니다", email="a@example.com")
    )
    with django_capture_on_commit_callbacks(execute=True):
        alice.client.post(
            f"/cases/{old['id']}/", {"action": "reply", "body": "오늘 바로 다시 보내드렸습니다."}
        )
    alice.client.post(f"/cases/{old['id']}/", {"action": "resolve"})
    new = case_of(
        key, detractor(key, "주문한 물건이 아직도 배송이 안 왔어요", email="b@example.com")
    )
    while meaning_run_batch(owner="test"):
        pass
    text = alice.client.get(f"/cases/{new['id']}/").content.decode()
    assert 'data-testid="suggestion"' in text and f'href="/cases/{old["id"]}/"' in text
    assert "오늘 바로 다시 보내드렸습니다." in text  # in the reply box, to be edited
