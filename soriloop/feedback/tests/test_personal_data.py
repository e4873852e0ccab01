"""Who sees personal data: owners and admins the original, agents and viewers masked, on the
record page, the inbox, the exports and the API (with "keep original text" on, the default)."""

import csv
import io
import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from soriloop.accounts.services import api_key_create
from soriloop.analysis.services import analysis_run_batch
from soriloop.conftest import Member, add
from soriloop.feedback.models import Feedback

TEXT = "환불 부탁해요. 연락처 (010) 1234-5678, 메일 kim＠example．com, 국민은행 123456-01-123456"
SECRETS = ["1234-5678", "kim＠example．com", "123456-01-123456"]
META_SECRETS = ["010 9876 5432", "lee@example.org", "900101-1234567"]


@pytest.fixture
def record(alice: Member) -> Feedback:
    found = add(
        alice,
        text=TEXT,
        metadata={
            "order": "2024120112345",
            "contact": "010 9876 5432",
            "buyer": {"email": "lee@example.org"},
            "note": "주민번호 900101-1234567",
        },
        customer={"email": "minsu.kim@example.com", "phone": "010-2222-3333", "name": "김민수"},
    )
    analysis_run_batch(owner="t")
    return found


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _assert_masked(body: str) -> None:
    for secret in [*SECRETS, *META_SECRETS, "minsu.kim@example.com", "01022223333", "2222"]:
        assert secret not in body, secret
    assert "[전화번호]" in body
    assert "2024120112345" in body  # an order id is no personal data


def _assert_original(body: str) -> None:
    # the customer's phone as people read it, the same as on their profile
    for secret in [*SECRETS, *META_SECRETS, "minsu.kim@example.com", "010-2222-3333"]:
        assert secret in body, secret


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_see_the_record_page_masked(
    alice: Member, member_of_a: Callable[[str], Member], record: Feedback, role: str
) -> None:
    url = reverse("inbox:record", args=[record.pk])
    _assert_original(_page(alice.client, url))
    body = _page(member_of_a(role).client, url)
    _assert_masked(body)
    assert "환불 부탁해요" in body


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_see_the_original(
    alice: Member, member_of_a: Callable[[str], Member], record: Feedback, role: str
) -> None:
    member = alice if role == "owner" else member_of_a(role)
    _assert_original(_page(member.client, reverse("inbox:record", args=[record.pk])))


def test_the_inbox_shows_agents_the_text_masked(
    alice: Member, member_of_a: Callable[[str], Member], record: Feedback
) -> None:
    assert "1234-5678" in _page(alice.client, reverse("inbox:inbox"))
    body = _page(member_of_a("agent").client, reverse("inbox:inbox"))
    assert "1234-5678" not in body
    assert "[전화번호]" in body


def test_an_agents_csv_export_is_masked_and_an_admins_is_not(
    alice: Member, member_of_a: Callable[[str], Member], record: Feedback
) -> None:
    def export(member: Member) -> str:
        response = member.client.get(reverse("inbox:export_csv"))
        assert response.status_code == 200
        return b"".join(response.streaming_content).decode("utf-8-sig")

    admin = export(member_of_a("admin"))
    assert TEXT in admin
    agent = export(member_of_a("agent"))
    [row] = list(csv.DictReader(io.StringIO(agent)))
    _assert_masked(json.dumps(row, ensure_ascii=False))
    assert row["text"].startswith("환불 부탁해요. 연락처 [전화번호]")
    assert json.loads(row["metadata"])["order"] == "2024120112345"


def test_an_agents_xlsx_export_is_masked(
    member_of_a: Callable[[str], Member], record: Feedback
) -> None:
    response = member_of_a("agent").client.get(reverse("inbox:export_xlsx"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    cells = " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row)
    _assert_masked(cells)


def test_the_api_masks_personal_data_unless_the_key_may_see_it(
    alice: Member, record: Feedback
) -> None:
    _key, masked = api_key_create(actor=alice.membership, name="bi", scope="read")
    _key, full = api_key_create(
        actor=alice.membership, name="crm", scope="read", personal_data=True
    )
    url = f"/api/v1/feedback/{record.pk}"

    def read(key: str) -> str:
        response = Client().get(url, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
        return response.content.decode()

    _assert_masked(read(masked))
    _assert_original(read(full))
    listed = Client().get("/api/v1/feedback", headers={"Authorization": f"Bearer {masked}"})
    _assert_masked(listed.content.decode())


def _found(member: Member, q: str, record: Feedback) -> bool:
    """Whether the inbox searched for ``q`` lists ``record``."""
    body = _page(member.client, f"{reverse('inbox:inbox')}?q={q}")
    return reverse("inbox:record", args=[record.pk]) in body


@pytest.mark.parametrize("secret", ["1234-5678", "5678", "123456-01-123456"])
def test_searching_personal_data_finds_it_only_for_those_who_may_see_it(
    alice: Member, member_of_a: Callable[[str], Member], record: Feedback, secret: str
) -> None:
    agent = member_of_a("agent")
    assert _found(alice, secret, record)
    assert not _found(agent, secret, record), "the agent learns which record holds it"
    assert _found(agent, "환불", record)  # the words around it are found as before
    assert _found(agent, "[전화번호]", record)  # and so is what the agent sees instead


def test_an_api_key_without_personal_data_searches_the_masked_text(
    alice: Member, record: Feedback
) -> None:
    _key, masked = api_key_create(actor=alice.membership, name="bi", scope="read")
    _key, full = api_key_create(
        actor=alice.membership, name="crm", scope="read", personal_data=True
    )

    def found(key: str, q: str) -> list[int]:
        response = Client().get(
            "/api/v1/feedback", {"q": q}, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert found(full, "1234-5678") == [record.pk]
    assert found(masked, "1234-5678") == []
    assert found(masked, "환불") == [record.pk]


def test_a_record_waiting_for_analysis_is_found_by_its_text_only_by_those_who_may_see_it(
    alice: Member, member_of_a: Callable[[str], Member]
) -> None:
    waiting = add(alice, text="연락처 010-5555-6666 으로 전화 주세요")
    viewer = member_of_a("viewer")
    assert _found(alice, "전화", waiting)
    assert not _found(viewer, "전화", waiting)  # no masked text to search yet
    analysis_run_batch(owner="t")
    assert _found(viewer, "전화", waiting)
    assert not _found(viewer, "5555", waiting)


def test_an_admin_creates_a_key_that_may_see_personal_data(alice: Member) -> None:
    alice.client.post(
        reverse("accounts:api_keys"), {"name": "crm", "scope": "read", "personal_data": "on"}
    )
    assert alice.workspace.api_keys.get(name="crm").personal_data


def test_the_report_masks_records_analysed_before_a_rule_caught_their_data(
    alice: Member,
) -> None:
    from soriloop.analysis.models import Enrichment

    found = add(alice, text="최악이에요. 환불해 주세요. 연락처 (010) 1234-5678")
    analysis_run_batch(owner="t")
    # as stored by an engine that missed "(010) 1234-5678"
    Enrichment.objects.filter(feedback=found).update(
        redacted_text="", pii=[], sentiment_label="negative", sentiment_confidence=0.99
    )
    body = _page(alice.client, reverse("insights:report"))
    assert "최악이에요" in body
    assert "1234-5678" not in body
