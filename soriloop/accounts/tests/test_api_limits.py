"""API rate limits: per key and per workspace, 429 with Retry-After and the envelope."""

from soriloop.conftest import Member, api, assert_envelope


def test_a_key_over_its_limit_gets_429_with_retry_after(
    alice: Member, api_key_of, settings
) -> None:
    settings.API_RATE_PER_KEY = 3
    key = api_key_of(alice, "read")
    assert [api("get", "/workspace", key).status_code for _ in range(3)] == [200, 200, 200]
    blocked = api("get", "/workspace", key)
    error = assert_envelope(blocked, 429, "rate_limited")
    assert "API key" in error["message"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    other = api_key_of(alice, "read")
    assert api("get", "/workspace", other).status_code == 200


def test_the_workspace_limit_holds_across_its_keys(
    alice: Member, bob: Member, api_key_of, settings
) -> None:
    settings.API_RATE_PER_WORKSPACE = 2
    first, second = api_key_of(alice, "read"), api_key_of(alice, "write")
    assert api("get", "/workspace", first).status_code == 200
    assert api("get", "/workspace", second).status_code == 200
    error = assert_envelope(api("get", "/workspace", second), 429, "rate_limited")
    assert "workspace" in error["message"]
    assert api("get", "/workspace", api_key_of(bob, "read")).status_code == 200


def test_zero_turns_the_limits_off(alice: Member, api_key_of, settings) -> None:
    settings.API_RATE_PER_KEY = 0
    settings.API_RATE_PER_WORKSPACE = 0
    key = api_key_of(alice, "read")
    assert {api("get", "/workspace", key).status_code for _ in range(5)} == {200}


def test_a_request_without_a_valid_key_is_not_counted_against_the_workspace(
    alice: Member, api_key_of, settings
) -> None:
    settings.API_RATE_PER_WORKSPACE = 1
    for _ in range(3):
        assert api("get", "/workspace", "sl_not_a_key").status_code == 401
    assert api("get", "/workspace", api_key_of(alice, "read")).status_code == 200
