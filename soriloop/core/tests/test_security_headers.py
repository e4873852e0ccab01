"""Security headers: CSP without inline script, frames only for the hosted page, HSTS behind
HTTPS, no caching of signed-in answers, no content sniffing."""

import re
import runpy
from pathlib import Path

import pytest
from django.test import Client

from soriloop.conftest import Member
from soriloop.feedback.services import channel_settings_get

TEMPLATES = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_signed_in_pages_carry_the_policy_and_are_never_cached(alice: Member) -> None:
    response = alice.client.get("/inbox/")
    assert response.status_code == 200
    csp = directives(response)
    assert csp["script-src"] == "'self'", "no inline script, no eval"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_sign_in_page_has_the_policy_too(db: None) -> None:
    response = Client().get("/accounts/login/")
    assert directives(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_to_a_key_are_never_cached(alice: Member, api_key_of) -> None:
    key = api_key_of(alice, "read")
    response = Client().get("/api/v1/workspace", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_the_hosted_page_stays_embeddable(alice: Member) -> None:
    key = channel_settings_get(workspace=alice.workspace).widget_key
    response = Client().get(f"/f/{key}/")
    assert response.status_code == 200
    assert directives(response)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in response.headers
    assert directives(response)["script-src"] == "'self'"


def test_hsts_is_sent_over_https_when_cookies_are_secure(db: None, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    response = Client().get("/accounts/login/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    ("env", "on"),
    [({}, False), ({"SECURE_COOKIES": "true"}, True), ({"BEHIND_HTTPS_PROXY": "true"}, True)],
)
def test_hsts_follows_secure_cookies_or_the_https_proxy(monkeypatch, env, on: bool) -> None:
    for name in ("SECURE_COOKIES", "BEHIND_HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(TEMPLATES / "settings.py"))
    assert (values["SECURE_HSTS_SECONDS"] > 0) is on


def test_no_template_has_inline_script() -> None:
    inline = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        inline += [
            f"{path.name}: <script> without src"
            for _ in re.findall(r"<script(?![^>]*\bsrc=)", text)
        ]
        inline += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
        inline += [f"{path.name}: javascript: URL" for _ in re.findall(r"javascript:", text)]
    assert inline == []


def test_a_nul_in_the_address_is_refused_clearly_on_both_databases(alice, api_key_of) -> None:
    from django.test import Client

    page = alice.client.get("/inbox/", {"q": "배송\x00"})
    assert page.status_code == 400 and b"NUL" in page.content
    headers = {"Authorization": f"Bearer {api_key_of(alice, 'read')}"}
    api = Client().get("/api/v1/feedback", {"source": "x\x00"}, headers=headers)
    assert api.status_code == 422 and api.json()["error"]["fields"] == {
        "source": ["must not contain a NUL character"]
    }
    assert alice.client.get("/inbox/", {"q": "배송"}).status_code == 200, "the same without it"
