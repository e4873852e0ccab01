"""The alerts pages: an admin makes, previews, mutes and deletes a rule; a viewer sees her
notifications and marks them read but cannot change rules; bob sees none of alice's."""

from __future__ import annotations

import pytest

from soriloop.alerts.models import AlertRule, Notification
from soriloop.alerts.tests.test_webhooks import send_feedback
from soriloop.conftest import Member

pytestmark = pytest.mark.django_db

NEGATIVE_REFUND = "환불이 3주째 안 되고 있어요. 정말 화가 납니다"
FORM = {
    "name": "Negative refunds", "enabled": "on", "sentiment": "negative", "topics": "refund",
    "in_app": "on", "webhook": "on", "dedup_minutes": "60", "max_per_hour": "10",
}  # fmt: skip


def test_an_admin_creates_previews_mutes_and_deletes_a_rule(alice: Member) -> None:
    created = alice.client.post("/alerts/rules/", FORM)
    assert created.status_code == 302
    rule = AlertRule.objects.get(workspace=alice.workspace)
    assert rule.conditions == {"sentiment": "negative", "topics": ["refund"]}
    page = alice.client.get("/alerts/rules/").content.decode()
    assert "Negative refunds" in page
    preview = alice.client.post(f"/alerts/rules/{rule.pk}/", {**FORM, "action": "preview"})
    assert preview.status_code == 200 and 'data-testid="preview-result"' in preview.content.decode()
    alice.client.post(f"/alerts/rules/{rule.pk}/", {"action": "mute", "hours": "8"})
    rule.refresh_from_db()
    assert rule.muted_until is not None
    alice.client.post(f"/alerts/rules/{rule.pk}/", {"action": "delete"})
    assert not AlertRule.objects.exists()


def test_a_bad_rule_form_shows_its_errors(alice: Member) -> None:
    answer = alice.client.post("/alerts/rules/", {**FORM, "score_min": "3"})
    assert answer.status_code == 200 and not AlertRule.objects.exists()


def test_a_viewer_sees_the_bell_and_marks_read_but_cannot_change_rules(
    alice: Member, member_of_a, api_key_of
) -> None:
    viewer = member_of_a("viewer")
    alice.client.post("/alerts/rules/", {**FORM, "notify_user_ids": [str(viewer.user.pk)]})
    send_feedback(api_key_of(alice, "write"), NEGATIVE_REFUND)
    home = viewer.client.get("/").content.decode()
    assert 'data-testid="unread">1<' in home
    page = viewer.client.get("/alerts/").content.decode()
    assert "Negative refunds" in page and 'data-testid="alert"' in page
    assert viewer.client.post("/alerts/rules/", FORM).status_code == 403
    viewer.client.post("/alerts/", {})
    assert not Notification.objects.filter(user=viewer.user, read_at=None).exists()
    assert Notification.objects.filter(user=alice.user, read_at=None).exists()


def test_bob_sees_nothing_of_alices_alerts(alice: Member, bob: Member, api_key_of) -> None:
    alice.client.post("/alerts/rules/", FORM)
    send_feedback(api_key_of(alice, "write"), NEGATIVE_REFUND)
    rule = AlertRule.objects.get(workspace=alice.workspace)
    assert "Negative refunds" in alice.client.get("/alerts/").content.decode()
    assert "Negative refunds" not in bob.client.get("/alerts/").content.decode()
    assert "Negative refunds" not in bob.client.get("/alerts/rules/").content.decode()
    assert bob.client.get(f"/alerts/rules/{rule.pk}/").status_code == 404


def test_the_pages_need_a_sign_in(client) -> None:
    assert client.get("/alerts/").status_code == 302
    assert client.get("/alerts/rules/").status_code == 302
