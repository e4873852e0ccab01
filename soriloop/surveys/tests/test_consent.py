"""The survey outbox honours consent: a customer who withdrew survey e-mail gets none."""

from __future__ import annotations

from soriloop.conftest import Member, api
from soriloop.customers.models import Customer
from soriloop.surveys.models import Message
from soriloop.surveys.tests.test_sending import SEOUL_11AM, campaign, live_survey, send_all


def test_survey_email_is_not_sent_to_a_customer_who_withdrew_it(
    alice: Member, api_key_of, smtp_sink, time_machine
) -> None:
    time_machine.move_to(SEOUL_11AM, tick=False)
    key = api_key_of(alice, "write")
    survey_id = live_survey(key)
    made = campaign(
        key, survey_id, recipients=[{"email": "no@x.example"}, {"email": "yes@x.example"}]
    )
    no = Customer.objects.with_email("no@x.example").get()
    withdrawn = {"purpose": "survey_email", "granted": False, "source": "unsubscribe call"}
    assert api("put", f"/customers/{no.pk}/consent", key, withdrawn).status_code == 200
    send_all()
    assert [r.to[0] for r in smtp_sink.received] == ["yes@x.example"]
    assert Message.objects.get(invitation__customer=no).reason == "no_consent"
    skipped = api("get", f"/surveys/{survey_id}/campaigns/{made['id']}", key).json()["skipped"]
    assert skipped["no_consent"] == 1
