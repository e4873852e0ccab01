"""The sending page of a survey: campaigns started from pasted addresses or a CSV file with
their progress and bounces (through a real SMTP receiver on loopback), stopping a campaign,
trigger rules added and switched off; who may do what, and what bob never reaches."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from soriloop.conftest import Member
from soriloop.surveys.models import Campaign, Invitation, MessageState, Suppression, TriggerRule
from soriloop.surveys.tests.test_pages import make_survey
from soriloop.surveys.tests.test_sending import SEOUL_11AM, send_all

pytestmark = pytest.mark.django_db


def marked(html: str, testid: str) -> list[str]:
    """The text inside each element marked ``data-testid=testid``."""
    return re.findall(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', html)


def test_a_campaign_from_pasted_addresses_shows_its_progress_and_bounces(
    alice: Member, smtp_sink, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    smtp_sink.refuse["gone@x.example"] = "550 5.1.1 No such user"
    survey = make_survey(alice)
    base = f"/surveys/{survey.pk}"
    response = alice.client.post(
        f"{base}/campaigns",
        {
            "name": "3월 고객",
            "recipients": "kim@x.example, 김하늘, ko\ngone@x.example\nlee@x.example, en",
            "reminder_days": "3",
        },
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 302, response.content[:500]
    campaign = Campaign.objects.get(survey=survey)
    assert response["Location"].endswith(f"/sending/#campaign-{campaign.pk}")
    assert (campaign.name, campaign.reminder_days, campaign.source) == ("3월 고객", 3, "list")

    page = alice.client.get(f"{base}/sending/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "캠페인이 초대 3건을 보냅니다." in page
    assert marked(page, "queued") == ["3"] and marked(page, "sent") == ["0"]
    assert 'hx-trigger="every 5s"' in page, "it refreshes while sending"

    send_all()
    assert sorted(r.to[0] for r in smtp_sink.received) == ["kim@x.example", "lee@x.example"]
    page = alice.client.get(f"{base}/sending/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert marked(page, "recipients") == ["3"]
    assert (marked(page, "sent"), marked(page, "bounced")) == (["2"], ["1"])
    assert marked(page, "campaign-state") == ["보냄"]
    assert 'hx-trigger="every 5s"' not in page, "nothing left to send: no refresh"
    assert "550 5.1.1 No such user" in page and "gone@x.example" in page, "the owner sees it"
    assert "반송" in page

    # the partial the page refreshes with is the progress section alone
    part = alice.client.get(f"{base}/sending/?part=progress", HTTP_HX_REQUEST="true")
    assert part.content.decode().lstrip().startswith('<section id="campaigns"')


def test_a_csv_campaign_sends_the_good_rows_and_names_the_bad_ones(
    alice: Member, smtp_sink, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    survey = make_survey(alice)
    csv_text = "email,name,language\nkim@x.example,김하늘,ko\nnot-an-address,이름,ko\n"
    upload = SimpleUploadedFile("list.csv", csv_text.encode("utf-8-sig"), "text/csv")
    response = alice.client.post(
        f"/surveys/{survey.pk}/campaigns", {"csv_file": upload}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    page = alice.client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The campaign sends 1 invitation." in page
    assert "Line 3:" in page, "the bad row is named by its line"
    assert Campaign.objects.get().source == "csv"
    send_all()
    assert [r.to for r in smtp_sink.received] == [["kim@x.example"]]
    assert Invitation.objects.get().name == "김하늘"


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({}, "Paste addresses or choose a CSV file"),
        ({"recipients": "kim@x.example", "reminder_days": "0"}, "greater than or equal to 1"),
        (
            {"recipients": "kim@x.example", "reminder_days": "40"},
            "must come before the links expire",
        ),
        ({"csv_file": "name\nkim\n"}, "The first line must name the columns"),
    ],
)
def test_a_bad_campaign_is_refused_on_its_field_and_sends_nothing(
    alice: Member, data: dict[str, str], field_error: str, settings
) -> None:
    settings.SURVEY_LINK_DAYS = 30
    survey = make_survey(alice)
    if "csv_file" in data:
        data = {"csv_file": SimpleUploadedFile("x.csv", data["csv_file"].encode(), "text/csv")}
    response = alice.client.post(f"/surveys/{survey.pk}/campaigns", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert not Campaign.objects.exists() and not Invitation.objects.exists()


def test_a_draft_survey_offers_no_campaign_form(alice: Member) -> None:
    survey = make_survey(alice, live=False)
    page = alice.client.get(f"/surveys/{survey.pk}/sending/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="not-live"' in page.content.decode()
    refused = alice.client.post(f"/surveys/{survey.pk}/campaigns", {"recipients": "kim@x.example"})
    assert refused.status_code == 422 and not Campaign.objects.exists()


def test_stopping_a_scheduled_campaign_skips_what_is_queued(
    alice: Member, smtp_sink, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    survey = make_survey(alice)
    response = alice.client.post(
        f"/surveys/{survey.pk}/campaigns",
        {"recipients": "kim@x.example\nlee@x.example", "start_at": "2026-03-04T10:00"},
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    # 10:00 in the workspace's zone (Asia/Seoul) is 01:00 UTC
    assert campaign.start_at == dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)
    page = alice.client.get(f"/surveys/{survey.pk}/sending/", HTTP_ACCEPT_LANGUAGE="en")
    assert marked(page.content.decode(), "campaign-state") == ["scheduled"]
    stopped = alice.client.post(f"/surveys/{survey.pk}/campaigns/{campaign.pk}/cancel")
    assert stopped.status_code == 302
    time_machine.move_to(SEOUL_11AM + dt.timedelta(days=2), tick=False)
    send_all()
    assert smtp_sink.received == []
    page = alice.client.get(f"/surveys/{survey.pk}/sending/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert marked(html, "campaign-state") == ["stopped"]
    assert marked(html, "skipped-cancelled") == ["campaign stopped 2"]


def test_a_trigger_rule_is_added_listed_and_switched_off(alice: Member) -> None:
    survey = make_survey(alice)
    base = f"/surveys/{survey.pk}"
    bad = alice.client.post(
        f"{base}/triggers",
        {"event_type": "purchase_completed", "delay_minutes": "30", "filter": "no equals sign"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert bad.status_code == 422 and not TriggerRule.objects.exists()
    assert "1번째 줄" in bad.content.decode() or "name=value" in bad.content.decode()
    made = alice.client.post(
        f"{base}/triggers",
        {"event_type": "purchase_completed", "delay_minutes": "30", "filter": "channel = app"},
    )
    assert made.status_code == 302
    rule = TriggerRule.objects.get()
    assert (rule.event_type, rule.delay_minutes, rule.filter) == (
        "purchase_completed",
        30,
        {"channel": "app"},
    )
    page = alice.client.get(f"{base}/sending/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-testid="trigger-{rule.pk}"' in page and "channel=app" in page
    assert alice.client.post(f"{base}/triggers/{rule.pk}/stop").status_code == 302
    rule.refresh_from_db()
    assert not rule.active


def test_agents_and_viewers_read_the_page_with_addresses_masked_and_change_nothing(
    alice: Member, member_of_a, smtp_sink, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    smtp_sink.refuse["gone.person@x.example"] = "550 5.1.1 No such user"
    survey = make_survey(alice)
    alice.client.post(f"/surveys/{survey.pk}/campaigns", {"recipients": "gone.person@x.example"})
    send_all()
    assert Suppression.objects.filter(address="gone.person@x.example").exists()
    base = f"/surveys/{survey.pk}"
    for role in ("viewer", "agent"):
        member = member_of_a(role)
        page = member.client.get(f"{base}/sending/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert marked(page, "bounced") == ["1"], role
        assert "gone.person@x.example" not in page and "@x.example" in page, role
        assert 'data-testid="campaign-form"' not in page and "trigger-form" not in page, role
        for url, data in (
            (f"{base}/campaigns", {"recipients": "new@x.example"}),
            (f"{base}/triggers", {"event_type": "visit", "delay_minutes": "0"}),
            (f"{base}/campaigns/{Campaign.objects.get().pk}/cancel", {}),
        ):
            assert member.client.post(url, data).status_code == 403, (role, url)
    assert Campaign.objects.count() == 1 and not TriggerRule.objects.exists()
    assert Campaign.objects.get().cancelled_at is None
    assert not Invitation.objects.exclude(messages__state=MessageState.BOUNCED).exists()


def test_bob_reaches_nothing_of_alices_sending_page(
    alice: Member, bob: Member, assert_only_alice_sees, assert_hidden_from_bob
) -> None:
    survey = make_survey(alice)
    alice.client.post(
        f"/surveys/{survey.pk}/campaigns", {"name": "앨리스 캠페인", "recipients": "k@x.example"}
    )
    base = f"/surveys/{survey.pk}"
    assert_only_alice_sees(f"{base}/sending/", "앨리스 캠페인", bob_status=404)
    campaign = Campaign.objects.get()
    assert_hidden_from_bob("post", f"{base}/campaigns", {"recipients": "b@x.example"})
    assert Campaign.objects.count() == 1
    assert_hidden_from_bob("post", f"{base}/campaigns/{campaign.pk}/cancel", {})
    campaign.refresh_from_db()
    assert campaign.cancelled_at is None
    assert_hidden_from_bob(
        "post", f"{base}/triggers", {"event_type": "visit", "delay_minutes": "0"}
    )
    assert not TriggerRule.objects.exists()
