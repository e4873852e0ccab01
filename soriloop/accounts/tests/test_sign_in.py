import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from soriloop.accounts.models import AuditEvent
from soriloop.conftest import PASSWORD, Member


def sign_in(client: Client, email: str, password: str, **extra: str):
    return client.post(reverse("accounts:login"), {"email": email, "password": password}, **extra)


def test_sign_in_with_the_right_password_opens_the_workspace(alice: Member) -> None:
    client = Client()
    response = sign_in(client, "alice@a.example", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("inbox:home")
    home = client.get(reverse("inbox:home"))
    assert home.status_code == 200
    assert alice.workspace.name in home.content.decode()
    assert AuditEvent.objects.filter(action="login.succeeded", actor=alice.user).exists()


def test_sign_in_accepts_the_email_in_any_case(alice: Member) -> None:
    response = sign_in(Client(), "Alice@A.Example", PASSWORD)
    assert response.status_code == 302


def test_sign_in_with_a_wrong_password_is_refused_and_audited(alice: Member) -> None:
    response = sign_in(Client(), "alice@a.example", "wrong password", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "E-mail or password is wrong." in response.content.decode()
    assert AuditEvent.objects.filter(action="login.failed", actor_label="alice@a.example").exists()


def test_sign_in_follows_next_only_within_the_site(alice: Member) -> None:
    client = Client()
    url = reverse("accounts:login") + "?next=/settings/"
    response = client.post(
        url, {"email": "alice@a.example", "password": PASSWORD, "next": "/settings/"}
    )
    assert response.headers["Location"] == "/settings/"
    client = Client()
    response = client.post(
        url, {"email": "alice@a.example", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == reverse("inbox:home")


def test_pages_ask_anonymous_visitors_to_sign_in(db: None) -> None:
    response = Client().get(reverse("accounts:members"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:login"))


def test_sign_out_ends_the_session_and_is_audited(alice: Member) -> None:
    response = alice.client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert alice.client.get(reverse("inbox:home")).status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=alice.user).exists()


def test_sign_out_refuses_get(alice: Member) -> None:
    assert alice.client.get(reverse("accounts:logout")).status_code == 405


@pytest.mark.parametrize("settings_attempts", [3])
def test_repeated_failures_throttle_the_email_even_with_the_right_password(
    alice: Member, settings, settings_attempts: int
) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = settings_attempts
    for _ in range(settings_attempts):
        assert sign_in(Client(), "alice@a.example", "nope").status_code == 200
    blocked = sign_in(Client(), "alice@a.example", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in blocked.content.decode()


def test_throttling_counts_per_ip_across_emails(alice: Member, settings) -> None:
    settings.LOGIN_THROTTLE_IP_ATTEMPTS = 3
    for n in range(3):
        sign_in(Client(), f"guess{n}@x.example", "nope", REMOTE_ADDR="10.1.1.1")
    assert sign_in(Client(), "alice@a.example", PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 429
    assert sign_in(Client(), "alice@a.example", PASSWORD, REMOTE_ADDR="10.1.1.2").status_code == 302


def test_throttling_ends_when_the_window_passes(alice: Member, settings, time_machine) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 2
    settings.LOGIN_THROTTLE_WINDOW = 60
    time_machine.move_to("2026-01-01 10:00:00+00:00", tick=False)
    for _ in range(2):
        sign_in(Client(), "alice@a.example", "nope")
    assert sign_in(Client(), "alice@a.example", PASSWORD).status_code == 429
    time_machine.move_to("2026-01-01 10:01:01+00:00", tick=False)
    assert sign_in(Client(), "alice@a.example", PASSWORD).status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(alice: Member) -> None:
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": "alice@a.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/reset/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    new = "a brand new password 42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert sign_in(Client(), "alice@a.example", new).status_code == 302
    assert sign_in(Client(), "alice@a.example", PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="password.reset", actor=alice.user).exists()


def test_password_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(db: None) -> None:
    response = Client().post(reverse("accounts:password_reset"), {"email": "nobody@x.example"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_language_follows_accept_language_before_sign_in(db: None) -> None:
    page = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Forgot your password?" in page.content.decode()
    page = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    assert "비밀번호를 잊으셨나요?" in page.content.decode()


def test_the_saved_preference_wins_over_accept_language(alice: Member) -> None:
    alice.client.post(reverse("accounts:set_language"), {"language": "ko", "next": "/"})
    page = alice.client.get(reverse("inbox:home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "설정" in page.content.decode()
    alice.user.refresh_from_db()
    assert alice.user.language == "ko"
    alice.client.post(reverse("accounts:set_language"), {"language": "en", "next": "/"})
    page = alice.client.get(reverse("inbox:home"), HTTP_ACCEPT_LANGUAGE="ko")
    assert "Settings" in page.content.decode()
    assert page.headers["Content-Language"] == "en"


def test_one_persons_failures_do_not_lock_out_others_behind_the_same_ip(
    alice: Member, bob: Member, settings
) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    office = {"REMOTE_ADDR": "10.2.2.2"}
    for _ in range(3):
        assert sign_in(Client(), "bob@b.example", "nope", **office).status_code == 200
    assert sign_in(Client(), "bob@b.example", PASSWORD, **office).status_code == 429
    assert sign_in(Client(), "alice@a.example", PASSWORD, **office).status_code == 302


def test_failures_from_one_ip_leave_the_account_open_from_another(alice: Member, settings) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(3):
        sign_in(Client(), "alice@a.example", "nope", REMOTE_ADDR="10.3.3.3")
    assert sign_in(Client(), "alice@a.example", PASSWORD, REMOTE_ADDR="10.3.3.3").status_code == 429
    assert sign_in(Client(), "alice@a.example", PASSWORD, REMOTE_ADDR="10.3.3.4").status_code == 302


def test_an_account_guessed_at_from_many_ips_is_throttled(alice: Member, settings) -> None:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    settings.LOGIN_THROTTLE_ACCOUNT_ATTEMPTS = 4
    for n in range(4):
        sign_in(Client(), "alice@a.example", "nope", REMOTE_ADDR=f"10.4.4.{n}")
    assert sign_in(Client(), "alice@a.example", PASSWORD, REMOTE_ADDR="10.4.4.9").status_code == 429


def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(db: None, settings) -> None:
    from django.test import RequestFactory

    from soriloop.accounts.decorators import client_ip

    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    settings.BEHIND_HTTPS_PROXY = False
    assert client_ip(request) == "127.0.0.1"
    settings.BEHIND_HTTPS_PROXY = True
    assert client_ip(request) == "203.0.113.7", "the address the proxy saw, not one a client wrote"
    request.META["HTTP_X_FORWARDED_FOR"] = "not an address"
    assert client_ip(request) == "127.0.0.1"


def test_password_reset_is_limited_per_address_and_per_ip(alice: Member, settings) -> None:
    settings.PASSWORD_RESET_PER_EMAIL = 2
    settings.PASSWORD_RESET_PER_IP = 3
    url = reverse("accounts:password_reset")

    def reset(email: str, ip: str):
        return Client().post(url, {"email": email}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")

    assert [reset("alice@a.example", f"10.5.5.{n}").status_code for n in range(3)] == [
        302,
        302,
        429,
    ]
    assert len(mail.outbox) == 2
    blocked = reset("alice@a.example", "10.5.5.9")
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many" in blocked.content.decode()
    assert [reset(f"n{n}@x.example", "10.6.6.6").status_code for n in range(4)] == [
        302,
        302,
        302,
        429,
    ]
