"""The bell's unread count updates without a reload: a notification made after the page
loaded appears in a real Chromium; the polled endpoint answers the signed-in member's own
count and nothing to anyone signed out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from soriloop.alerts.models import Notification
from soriloop.conftest import PASSWORD, Member


def notify(member: Member, title: str = "Alert: Refund anger") -> Notification:
    return Notification.objects.create(workspace=member.workspace, user=member.user, title=title)


@pytest.mark.django_db
def test_the_bell_endpoint_counts_only_ones_own_unread_notifications(
    alice: Member, bob: Member
) -> None:
    notify(alice)
    notify(alice)
    mine = alice.client.get("/alerts/bell/")
    assert mine.status_code == 200
    assert 'data-testid="unread">2<' in mine.content.decode()
    theirs = bob.client.get("/alerts/bell/").content.decode()
    assert 'data-testid="bell"' in theirs and 'data-testid="unread"' not in theirs
    assert Client().get("/alerts/bell/").status_code == 204


@pytest.mark.browser
def test_a_notification_made_after_the_page_loaded_appears_in_the_bell(
    live_server: Any, alice: Member, page: Page, settings: Any
) -> None:
    settings.BELL_POLL_SECONDS = 1
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("이메일").fill("alice@a.example")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("bell")).to_be_visible()
    expect(page.get_by_test_id("unread")).to_have_count(0)
    page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded
    notify(alice)
    expect(page.get_by_test_id("unread")).to_have_text("1")
    notify(alice, "Alert: NPS down")
    expect(page.get_by_test_id("unread")).to_have_text("2")
    assert page.evaluate("window.loadedOnce") is True
