"""Customer events and the surveys they trigger, through the contact rule (fatigue) that
every send path asks first."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from soriloop.conftest import Member, api, assert_envelope
from soriloop.core.changes import changes_drain
from soriloop.core.models import Change
from soriloop.customers.models import CustomerEvent
from soriloop.surveys.models import Contact, Invitation, Message
from soriloop.surveys.sending import survey_mail_send
from soriloop.surveys.triggers import triggers_consume

pytestmark = pytest.mark.django_db

SEOUL_11AM = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SURVEY = {
    "name": "구매 후 CES",
    "questions": [
        {"key": "ces", "kind": "ces", "text": {"ko": "쉬웠나요?", "en": "Was it easy?"}},
        {"key": "order_id", "kind": "hidden"},
    ],
}
KIM = {"external_id": "c-7", "email": "kim@x.example"}


@pytest.fixture
def key(alice: Member, api_key_of) -> str:
    return api_key_of(alice, "write")


def live_survey(key: str, name: str = "구매 후 CES") -> int:
    survey_id = api("post", "/surveys", key, {**SURVEY, "name": name}).json()["id"]
    assert api("post", f"/surveys/{survey_id}/publish", key).status_code == 200
    return int(survey_id)


def event(key: str, at: dt.datetime, **extra: Any) -> Any:
    body = {
        "customer": KIM,
        "type": "purchase_completed",
        "occurred_at": at.isoformat(),
        "properties": {"channel": "online", "order_id": "A-1"},
        **extra,
    }
    return api("post", "/events", key, body)


def send_due() -> int:
    changes_drain()
    total = 0
    while sent := survey_mail_send(owner="test"):
        total += sent
    return total


def trigger(key: str, survey_id: int, **body: Any) -> dict[str, Any]:
    made = api("post", f"/surveys/{survey_id}/triggers", key, body)
    assert made.status_code == 201, made.content
    return dict(made.json())


def test_an_event_is_stored_once_and_bad_fields_are_named(
    key: str, alice: Member, api_key_of
) -> None:
    stored = event(key, SEOUL_11AM, amount=42000.5, id="order-A-1")
    assert stored.status_code == 201, stored.content
    body = stored.json()
    assert (body["type"], body["amount"], body["duplicate"]) == (
        "purchase_completed",
        42000.5,
        False,
    )
    again = event(key, SEOUL_11AM, amount=42000.5, id="order-A-1")
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    saved = CustomerEvent.objects.get()
    assert saved.customer.external_id == "c-7"
    assert saved.customer.workspace == alice.workspace
    change = Change.objects.get(type="customer.event")
    assert change.payload == {"type": "purchase_completed", "customer_id": saved.customer_id}

    bad = api(
        "post",
        "/events",
        key,
        {"customer": {}, "type": "Purchase Completed!", "occurred_at": "2099-01-01T00:00:00Z"},
    )
    fields = assert_envelope(bad, 422, "validation_error")["fields"]
    assert "type" in fields
    no_one = api("post", "/events", key, {"customer": {}, "type": "visit"})
    assert "customer" in assert_envelope(no_one, 422, "validation_error")["fields"]
    future = api(
        "post",
        "/events",
        key,
        {"customer": KIM, "type": "visit", "occurred_at": "2099-01-01T00:00:00Z"},
    )
    assert "occurred_at" in assert_envelope(future, 422, "validation_error")["fields"]
    nul = api(
        "post", "/events", key, {"customer": KIM, "type": "visit", "properties": {"x": "a\u0000b"}}
    )
    assert "properties" in assert_envelope(nul, 422, "validation_error")["fields"]
    assert CustomerEvent.objects.count() == 1
    assert_envelope(
        api("post", "/events", None, {"customer": KIM, "type": "visit"}), 401, "unauthorized"
    )
    read = api_key_of(alice, "read")
    assert api("post", "/events", read, {"customer": KIM, "type": "visit"}).status_code == 403


def test_a_trigger_sends_after_its_delay_and_the_contact_rule_holds_back_the_next(
    key: str, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    survey_id = live_survey(key)
    rule = trigger(
        key,
        survey_id,
        event_type="purchase_completed",
        delay_minutes=60,
        filter={"channel": "online"},
    )
    assert event(key, SEOUL_11AM).status_code == 201
    assert event(key, SEOUL_11AM, properties={"channel": "store"}).status_code == 201
    assert send_due() == 0, "due in an hour"
    (invitation,) = Invitation.objects.all()
    assert invitation.hidden == {"order_id": "A-1"}, "hidden fields from the event"
    time_machine.move_to(SEOUL_11AM + dt.timedelta(minutes=59), tick=False)
    assert send_due() == 0
    time_machine.move_to(SEOUL_11AM + dt.timedelta(minutes=60), tick=False)
    assert send_due() == 1
    (sent,) = mail.outbox
    assert sent.to == ["kim@x.example"]
    assert urlsplit(invitation.token).path in sent.body

    triggers_consume(list(Change.objects.filter(type="customer.event")))
    assert Invitation.objects.count() == 1, "a redelivered event schedules nothing twice"

    time_machine.move_to(SEOUL_11AM + 2 * DAY, tick=False)
    event(key, SEOUL_11AM + 2 * DAY)
    time_machine.move_to(SEOUL_11AM + 2 * DAY + dt.timedelta(hours=1), tick=False)
    assert send_due() == 1
    assert len(mail.outbox) == 1, "14 days between two surveys"
    time_machine.move_to(SEOUL_11AM + 15 * DAY, tick=False)
    event(key, SEOUL_11AM + 15 * DAY)
    time_machine.move_to(SEOUL_11AM + 15 * DAY + dt.timedelta(hours=1), tick=False)
    assert send_due() == 1
    assert len(mail.outbox) == 2

    old = SEOUL_11AM + 15 * DAY - dt.timedelta(hours=60)
    event(key, old)
    send_due()
    listed = api("get", f"/surveys/{survey_id}/triggers", key).json()["items"]
    assert [r["id"] for r in listed] == [rule["id"]]
    counts = listed[0]
    assert (counts["sent"], counts["scheduled"]) == (2, 0)
    assert counts["skipped"]["fatigue_gap"] == 1
    assert counts["skipped"]["late"] == 1, "an event reported 60 hours late sends nothing"

    stopped = api("delete", f"/surveys/{survey_id}/triggers/{rule['id']}", key)
    assert stopped.json()["active"] is False
    event(key, SEOUL_11AM + 15 * DAY)
    changes_drain()
    assert Invitation.objects.count() == 4, "a rule switched off schedules nothing"


def test_a_survey_that_does_not_count_cannot_push_a_rare_one_back(
    key: str, alice: Member, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    csat = live_survey(key, "매 구매 CSAT")
    override = api(
        "put",
        f"/surveys/{csat}/fatigue",
        key,
        {"gap_days": 0, "max_in_window": 90, "counts": False},
    )
    assert override.json() == {"gap_days": 0, "max_in_window": 90, "counts": False}
    trigger(key, csat, event_type="purchase_completed")
    for day in range(3):
        time_machine.move_to(SEOUL_11AM + day * DAY, tick=False)
        event(key, SEOUL_11AM + day * DAY)
        assert send_due() == 1
    assert len(mail.outbox) == 3, "its own gap: 0 days"

    nps = live_survey(key, "분기 NPS")
    made = api(
        "post", f"/surveys/{nps}/campaigns", key, {"recipients": [{"email": "kim@x.example"}]}
    )
    assert send_due() == 1
    assert len(mail.outbox) == 4, "the purchases' CSATs do not hold the NPS back"
    assert api("get", f"/surveys/{nps}/campaigns/{made.json()['id']}", key).json()["sent"] == 1

    time_machine.move_to(SEOUL_11AM + 4 * DAY, tick=False)
    other = live_survey(key, "제품 피드백")
    api("post", f"/surveys/{other}/campaigns", key, {"recipients": [{"email": "kim@x.example"}]})
    send_due()
    assert len(mail.outbox) == 4, "the NPS counts: 14 days"
    assert Message.objects.filter(reason="fatigue_gap").count() == 1

    rule = api("put", "/survey-settings", key, {"gap_days": 0, "max_in_window": 2}).json()
    assert (rule["gap_days"], rule["max_in_window"], rule["window_days"]) == (0, 2, 90)
    for name in ("세 번째", "네 번째"):
        later = live_survey(key, name)
        api(
            "post", f"/surveys/{later}/campaigns", key, {"recipients": [{"email": "kim@x.example"}]}
        )
        send_due()
    assert len(mail.outbox) == 5, "the NPS and the third: two in 90 days"
    assert Message.objects.filter(reason="fatigue_window").count() == 1, "the fourth waits"
    bad = api("put", "/survey-settings", key, {"gap_days": -1, "window_days": 0})
    assert set(assert_envelope(bad, 422, "validation_error")["fields"]) == {
        "gap_days",
        "window_days",
    }


def test_a_link_handed_out_counts_once_it_is_opened(key: str, time_machine) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    first = live_survey(key, "앱 안의 설문")
    made = api(
        "post", f"/surveys/{first}/invitations", key, {"recipients": [{"email": "kim@x.example"}]}
    )
    link = made.json()["invitations"][0]["link"]
    assert Contact.objects.count() == 0
    assert Client().get(urlsplit(link).path).status_code == 200
    shown = Contact.objects.get()
    assert (shown.channel, shown.kind) == ("link", "shown")
    Client().get(urlsplit(link).path)
    assert Contact.objects.count() == 1, "shown once"
    time_machine.move_to(SEOUL_11AM + DAY, tick=False)
    second = live_survey(key, "메일 설문")
    api("post", f"/surveys/{second}/campaigns", key, {"recipients": [{"email": "kim@x.example"}]})
    send_due()
    assert mail.outbox == []
    assert Message.objects.get().reason == "fatigue_gap"


def test_trigger_rules_are_checked(key: str) -> None:
    survey_id = live_survey(key)
    for body, field in (
        ({"event_type": "Bad Type"}, "event_type"),
        ({"event_type": "visit", "delay_minutes": -1}, "delay_minutes"),
        ({"event_type": "visit", "delay_minutes": 10**9}, "delay_minutes"),
        ({"event_type": "visit", "filter": {"x": {"nested": 1}}}, "filter.x"),
    ):
        response = api("post", f"/surveys/{survey_id}/triggers", key, body)
        fields = assert_envelope(response, 422, "validation_error")["fields"]
        assert any(f.startswith(field) for f in fields), (body, fields)
    long_key = api(
        "post",
        f"/surveys/{survey_id}/triggers",
        key,
        {"event_type": "visit", "filter": {"k" * 61: 1}},
    )
    assert "filter" in assert_envelope(long_key, 422, "validation_error")["fields"]
    bad = api("put", f"/surveys/{survey_id}/fatigue", key, {"gap_days": 400})
    assert "gap_days" in assert_envelope(bad, 422, "validation_error")["fields"]


def test_bob_reaches_none_of_alices_triggers_and_his_events_trigger_nothing_of_hers(
    key: str, bob: Member, api_key_of, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    survey_id = live_survey(key)
    rule = trigger(key, survey_id, event_type="purchase_completed")
    path = f"/surveys/{survey_id}/triggers"
    assert [r["id"] for r in api("get", path, key).json()["items"]] == [rule["id"]], "alice sees it"
    theirs = api_key_of(bob, "write")
    assert_envelope(api("get", path, theirs), 404, "not_found")
    assert_envelope(api("post", path, theirs, {"event_type": "visit"}), 404, "not_found")
    assert_envelope(api("delete", f"{path}/{rule['id']}", theirs), 404, "not_found")
    assert_envelope(api("get", f"/surveys/{survey_id}/fatigue", theirs), 404, "not_found")
    assert_envelope(
        api("put", f"/surveys/{survey_id}/fatigue", theirs, {"counts": False}), 404, "not_found"
    )
    assert api("get", f"/surveys/{survey_id}/fatigue", key).json()["counts"] is True

    assert event(theirs, SEOUL_11AM).status_code == 201
    send_due()
    assert mail.outbox == [] and Invitation.objects.count() == 0, "bob's event is not alice's"
    assert event(key, SEOUL_11AM).status_code == 201
    assert send_due() == 1, "alice's own event does trigger"
    assert api("get", path, key).json()["items"][0]["active"] is True


def test_without_a_customer_the_rule_counts_by_address(alice: Member, key: str) -> None:
    from soriloop.customers.models import Customer
    from soriloop.surveys.fatigue import Person, contact_record, fatigue_check
    from soriloop.surveys.models import Survey

    survey = Survey.objects.get(pk=live_survey(key))
    kim = Customer.objects.create(workspace=alice.workspace, email="kim@x.example")
    anonymous = Person(None, "kim@x.example")
    contact_record(
        survey=survey, person=anonymous, channel="email", kind="invitation", at=SEOUL_11AM
    )
    later = SEOUL_11AM + DAY
    assert fatigue_check(survey=survey, person=anonymous, at=later) == "fatigue_gap"
    assert fatigue_check(survey=survey, person=Person(None, "lee@x.example"), at=later) == ""
    assert fatigue_check(survey=survey, person=Person(kim.pk, "kim@x.example"), at=later) == ""
    assert fatigue_check(survey=survey, person=anonymous, at=SEOUL_11AM + 15 * DAY) == ""


def test_bob_neither_sees_nor_changes_alices_rule_and_list(
    key: str, bob: Member, api_key_of
) -> None:
    changed = api("put", "/survey-settings", key, {"gap_days": 3})
    assert changed.json()["gap_days"] == 3
    assert api("post", "/suppressions", key, {"addresses": ["gone@x.example"]}).json() == {
        "added": 1
    }
    assert api("get", "/suppressions", key).json()["total"] == 1, "alice sees her list"
    theirs = api_key_of(bob, "write")
    assert api("get", "/suppressions", theirs).json() == {"items": [], "total": 0}
    assert api("get", "/survey-settings", theirs).json()["gap_days"] == 14
    api("put", "/survey-settings", theirs, {"gap_days": 30})
    assert api("get", "/survey-settings", key).json()["gap_days"] == 3
    bad = api("post", "/suppressions", key, {"addresses": ["fine@x.example", "nope"]})
    assert set(assert_envelope(bad, 422, "validation_error")["fields"]) == {"addresses.1"}
