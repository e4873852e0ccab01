"""Every URL pattern and every API parameter, given hostile values, answers below 500.

The pages are found by walking the URL resolver and the API operations by reading the
OpenAPI description, so a new page or parameter is walked without editing this file. The
parameters a page reads are learnt by watching a plain request of it; a few are always tried.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soriloop.accounts import services as accounts
from soriloop.api import api
from soriloop.conftest import Member
from soriloop.feedback.services import channel_settings_get

HOSTILE = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "²",
    "１２",
    "99999999999999999999",
    "-99999999999999999999",
    "1e309",
    "nan",
    "abc",
    "\x00",
    "'\"<>%;--",
    "x" * 3000,
]
ALWAYS = ["date_from", "date_to", "customer", "issue", "workspace", "action", "date", "id"]
SKIP = {"accounts:logout"}  # signing out ends the walk, and has no parameters


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern) == "api/v1/":
                continue  # walked through its OpenAPI description below
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", (prefix + str(entry.pattern), entry)


PAGES = dict(_walk(get_resolver().url_patterns))


def _fill(route: str, ids: dict[str, str]) -> list[str]:
    """The route with each converter filled with a real value and with hostile ones."""
    urls = []
    for choice in ("real", "huge", "zero"):
        url = route
        while "<" in url:
            start, end = url.index("<"), url.index(">")
            kind, _, name = url[start + 1 : end].partition(":")
            if kind == "int":
                value = {"real": ids.get(name, "1"), "huge": "9" * 20, "zero": "0"}[choice]
            else:
                value = {"real": ids.get(name, "x"), "huge": "x" * 300, "zero": "%00"}[choice]
            url = url[:start] + value + url[end + 1 :]
        urls.append("/" + url)
    return list(dict.fromkeys(urls))


@pytest.fixture
def ids(alice: Member, api_key_of) -> dict[str, str]:
    from soriloop.feedback.models import Feedback

    response = Client().post(
        "/api/v1/feedback",
        data=json.dumps({"text": "배송이 늦어요", "score": 2, "score_kind": "csat"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_of(alice, 'write')}"},
    )
    assert response.status_code == 201
    key, _plain = accounts.api_key_create(actor=alice.membership, name="k", scope="read")
    return {
        "feedback_id": str(Feedback.objects.get().pk),
        "member_id": str(alice.membership.pk),
        "key_id": str(key.pk),
        "key": channel_settings_get(workspace=alice.workspace).widget_key,
    }


class _Reads:
    """The query and form keys a request reads (QueryDict lookups, seen from outside)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: set[str] = set()
        for method in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(QueryDict, method)
            monkeypatch.setattr(QueryDict, method, self._recording(original))

    def _recording(self, original: Any) -> Any:
        def read(this: QueryDict, key: Any, *args: Any) -> Any:
            self.keys.add(str(key))
            return original(this, key, *args)

        return read


def _ok(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:500])


WALK = settings(
    max_examples=15,
    derandomize=True,  # the same walk on every run
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _sweep(client: Client, method: str, url: str, keys: list[str]) -> None:
    """Each hostile value in every key at once, then sampled keys with sampled values."""
    for value in HOSTILE:
        response = getattr(client, method)(url, dict.fromkeys(keys, value))
        _ok(response, f"{method} {url} *={value[:40]!r}")

    @WALK
    @given(st.dictionaries(st.sampled_from(keys), st.sampled_from(HOSTILE), min_size=1, max_size=3))
    def one(params: dict[str, str]) -> None:
        _ok(getattr(client, method)(url, params), f"{method} {url} {params!r:.200}")

    one()


@pytest.mark.parametrize("name", sorted(set(PAGES) - SKIP))
def test_every_page_answers_hostile_parameters_below_500(
    name: str, alice: Member, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    route, _pattern = PAGES[name]
    reads = _Reads(monkeypatch)
    client = alice.client
    real, *hostile_paths = _fill(route, ids)
    for url in hostile_paths:
        for method in ("get", "post"):
            _ok(getattr(client, method)(url), f"{method} {url}")
    for method in ("get", "post"):
        reads.keys.clear()
        _ok(getattr(client, method)(real), f"{method} {real}")
        _sweep(client, method, real, sorted(reads.keys | set(ALWAYS)))


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


OPERATIONS = list(_operations())


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{m.upper()} {p}" for m, p, _o in OPERATIONS],
)
def test_every_api_parameter_answers_hostile_values_below_500(
    method: str,
    path: str,
    operation: dict[str, Any],
    alice: Member,
    ids: dict[str, str],
    api_key_of,
) -> None:
    headers = {"Authorization": f"Bearer {api_key_of(alice, 'write')}"}
    client = Client()
    params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    bodies: list[dict[str, Any]] = [{}]
    if "requestBody" in operation:
        bodies += [{"text": "x", "received_at": v} for v in HOSTILE]
        bodies += [{"text": v, "source": v, "metadata": {v: v}} for v in HOSTILE]
    real, *hostile_paths = _fill(path.replace("{", "<int:").replace("}", ">")[1:], ids)
    client.defaults["HTTP_AUTHORIZATION"] = headers["Authorization"]
    for url in hostile_paths:
        _ok(getattr(client, method)(url), f"{method} {url}")
    _sweep(client, method, real, [*params, *ALWAYS])
    for body in bodies if method != "get" else []:
        response = getattr(client, method)(real, json.dumps(body), content_type="application/json")
        _ok(response, f"{method} {real} {json.dumps(body)[:80]}")


# The cases the outside probe found, one by one.


def test_dates_out_of_range_are_a_422_on_the_api(alice: Member, api_key_of) -> None:
    headers = {"Authorization": f"Bearer {api_key_of(alice, 'write')}"}
    for path, query in [
        ("/api/v1/feedback", {"date_from": "0001-01-01"}),
        ("/api/v1/feedback", {"date_to": "9999-12-31"}),
        ("/api/v1/metrics", {"date_from": "0001-01-01"}),
        ("/api/v1/metrics", {"date_to": "9999-12-31"}),
        ("/api/v1/spikes", {"date": "0001-01-01"}),
    ]:
        response = Client().get(path, query, headers=headers)
        assert response.status_code == 422, (path, query, response.content)
        assert set(query) <= set(response.json()["error"]["fields"])
    for moment in ("0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-05:00"):
        response = Client().post(
            "/api/v1/feedback",
            json.dumps({"text": "x", "received_at": moment}),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 422, response.content
        assert "received_at" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "name", ["inbox:inbox", "insights:dashboard", "insights:report", "insights:keywords"]
)
def test_pages_show_out_of_range_dates_as_filter_errors(alice: Member, name: str) -> None:
    route = "/" + PAGES[name][0]
    for query in ({"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"customer": "²"}):
        response = alice.client.get(route, query)
        assert response.status_code == 200, (route, query, response.status_code)


def test_customer_ids_must_be_ascii_and_fit_64_bits(alice: Member, api_key_of) -> None:
    headers = {"Authorization": f"Bearer {api_key_of(alice, 'read')}"}
    for value in ("²", "１２", "9" * 20):
        response = Client().get("/api/v1/feedback", {"customer": value}, headers=headers)
        assert response.status_code == 422, (value, response.content)
        assert "customer" in response.json()["error"]["fields"]


def test_switching_to_a_twenty_digit_workspace_is_a_404(alice: Member) -> None:
    response = alice.client.post("/workspaces/switch/", {"workspace": "9" * 20})
    assert response.status_code == 404


def test_an_emerging_issue_that_is_not_a_number_is_a_404(alice: Member) -> None:
    response = alice.client.post("/dashboard/emerging/", {"action": "accept", "issue": "abc"})
    assert response.status_code == 404


def test_a_widget_body_over_the_limit_is_a_json_413(alice: Member, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    key = channel_settings_get(workspace=alice.workspace).widget_key
    response = Client().post(
        f"/widget/{key}/feedback",
        json.dumps({"text": "x" * 5000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"]


def test_a_bare_word_as_next_does_not_break_sign_in(db: None) -> None:
    assert Client().get("/accounts/login/", {"next": "0001-01-01"}).status_code == 200
    response = Client().post("/accounts/language/", {"language": "en", "next": "home"})
    assert response.status_code == 302


def test_a_parameter_named_items_does_not_break_compare(alice: Member) -> None:
    response = alice.client.get("/dashboard/compare/", {"items": "abc", "channel": "api"})
    assert response.status_code == 200
    assert 'name="channel" value="api"' in response.content.decode()
