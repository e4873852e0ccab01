"""The customers pages: the list with search (Korean names), one profile with its timeline,
masking for every role until an admin reveals one record (audited), isolation, a browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from soriloop.accounts.models import AuditEvent
from soriloop.conftest import PASSWORD, Member, add
from soriloop.customers.services import Upsert, customer_upsert

EMAIL = "kim.minsu@example.com"


@pytest.fixture
def kim(alice: Member):  # type: ignore[no-untyped-def]
    customer, _new = customer_upsert(
        workspace=alice.workspace,
        external_id="crm-7",
        data=Upsert(email=EMAIL, phone="010-1234-5678", name="김민수", attributes={"plan": "pro"}),
    )
    add(alice, text="배송이 너무 늦어요", customer={"external_id": "crm-7"})
    return customer


def test_the_list_searches_korean_names_and_masks_contacts(alice: Member, kim) -> None:
    page = alice.client.get("/customers/?q=민수").content.decode()
    assert "김민수" in page and "k***@example.com" in page and "010-****-5678" in page
    assert EMAIL not in page and "010-1234-5678" not in page
    assert "김민수" not in alice.client.get("/customers/?q=영희").content.decode()


def test_the_profile_shows_the_timeline_and_churn_risk_masked(alice: Member, kim) -> None:
    page = alice.client.get(f"/customers/{kim.pk}/").content.decode()
    assert "배송이 너무 늦어요" in page and 'data-kind="feedback"' in page
    assert "k***@example.com" in page and EMAIL not in page
    assert 'data-testid="churn-risk"' in page


def test_an_admin_reveals_one_record_audited_and_an_agent_may_not(
    alice: Member, member_of_a, kim
) -> None:
    revealed = alice.client.post(f"/customers/{kim.pk}/", {"reveal": "1"}).content.decode()
    assert EMAIL in revealed and "010-1234-5678" in revealed
    audit = AuditEvent.objects.get(action="customer.revealed")
    assert audit.target == f"customer {kim.pk}" and EMAIL not in str(audit.data)
    assert EMAIL not in alice.client.get(f"/customers/{kim.pk}/").content.decode(), "once"
    agent = member_of_a("agent")
    page = agent.client.get(f"/customers/{kim.pk}/").content.decode()
    assert "k***@example.com" in page and 'data-testid="reveal"' not in page
    assert agent.client.post(f"/customers/{kim.pk}/", {"reveal": "1"}).status_code == 403
    viewer = member_of_a("viewer")
    assert "k***@example.com" in viewer.client.get("/customers/").content.decode()


def test_bob_sees_none_of_alices_customers(assert_only_alice_sees, kim) -> None:
    assert_only_alice_sees("/customers/", "김민수")
    assert_only_alice_sees(f"/customers/{kim.pk}/", "김민수", bob_status=404)


def test_the_pages_need_a_sign_in(client, kim) -> None:
    for url in ("/customers/", f"/customers/{kim.pk}/"):
        assert client.get(url).status_code == 302


def test_a_bad_timeline_cursor_shows_the_newest(alice: Member, kim) -> None:
    page = alice.client.get(f"/customers/{kim.pk}/?before=2026-13-45T99:00").content.decode()
    assert "배송이 너무 늦어요" in page


@pytest.mark.browser
def test_staff_find_a_customer_by_korean_name_and_read_their_timeline(
    live_server, alice: Member, kim, page: Page
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("이메일").fill("alice@a.example")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.get_by_role("navigation", name="메인").get_by_role("link", name="고객").click()
    page.get_by_label("고객 검색").fill("민수")
    page.get_by_role("button", name="검색").click()
    expect(page.get_by_test_id("customer")).to_have_count(1)
    page.get_by_role("link", name="김민수").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("김민수")
    expect(page.get_by_test_id("email")).to_have_text("k***@example.com")
    expect(page.get_by_test_id("timeline-item")).to_contain_text("배송이 너무 늦어요")
    expect(page.get_by_test_id("churn-risk")).to_contain_text("이탈 위험")
    page.get_by_test_id("reveal").click()
    expect(page.get_by_test_id("email")).to_have_text(EMAIL)
