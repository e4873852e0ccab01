import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from soriloop.accounts import services
from soriloop.accounts.models import ApiKey, AuditEvent
from soriloop.conftest import Member, api, assert_envelope


def test_a_valid_key_reads_its_workspace(alice: Member, api_key_of) -> None:
    key = api_key_of(alice, "read")
    response = api("get", "/workspace", key)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == alice.workspace.id
    assert body["name"] == alice.workspace.name
    assert body["key_scope"] == "read"
    assert ApiKey.objects.get(workspace=alice.workspace).last_used_at is not None


def test_the_key_is_shown_once_and_stored_only_hashed(alice: Member) -> None:
    response = alice.client.post(reverse("accounts:api_keys"), {"name": "zapier", "scope": "write"})
    page = response.content.decode()
    stored = ApiKey.objects.get(name="zapier")
    plaintext = re.search(rf"{stored.prefix}_[\w-]+", page).group(0)
    assert plaintext not in stored.key_hash
    assert api("get", "/workspace", plaintext).status_code == 200
    assert plaintext not in alice.client.get(reverse("accounts:api_keys")).content.decode()
    assert AuditEvent.objects.filter(action="api_key.created", target="zapier").exists()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer sl_nope_nope", "Bearer ", "Basic YWxpY2U6eA==", "sl_without_scheme"],
)
def test_missing_or_invalid_keys_get_401_in_the_envelope(db: None, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = Client().get("/api/v1/workspace", headers=headers)
    assert_envelope(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_key_stops_working(alice: Member, api_key_of) -> None:
    key = api_key_of(alice, "write")
    stored = ApiKey.objects.get(workspace=alice.workspace)
    alice.client.post(reverse("accounts:api_key_revoke", args=[stored.id]))
    assert_envelope(api("get", "/workspace", key), 401, "unauthorized")
    assert AuditEvent.objects.filter(action="api_key.revoked").exists()


def test_a_key_only_ever_sees_its_own_workspace(
    alice: Member, bob: Member, assert_only_alice_sees
) -> None:
    bobs = json.loads(assert_only_alice_sees("/api/v1/workspace", alice.workspace.name, api=True))
    assert (bobs["id"], bobs["name"]) == (bob.workspace.id, bob.workspace.name)


def test_a_read_only_key_cannot_write(alice: Member, api_key_of) -> None:
    key = api_key_of(alice, "read")
    response = api("patch", "/workspace", key, {"name": "Renamed"})
    assert_envelope(response, 403, "forbidden")
    alice.workspace.refresh_from_db()
    assert alice.workspace.name != "Renamed"


def test_a_write_key_changes_settings_and_is_audited(alice: Member, api_key_of) -> None:
    key = api_key_of(alice, "write")
    response = api(
        "patch", "/workspace", key, {"timezone": "Europe/Paris", "default_language": "en"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "Europe/Paris"
    event = AuditEvent.objects.get(action="workspace.updated")
    assert event.actor_label.startswith("API key sl_")


def test_bad_input_gets_the_envelope_with_the_field(alice: Member, api_key_of) -> None:
    key = api_key_of(alice, "write")
    error = assert_envelope(
        api("patch", "/workspace", key, {"timezone": "Mars/Olympus"}), 422, "validation_error"
    )
    assert "timezone" in error["fields"]
    error = assert_envelope(
        api("patch", "/workspace", key, {"default_language": "fr"}), 422, "validation_error"
    )
    assert "default_language" in error["fields"]
    error = assert_envelope(
        api("patch", "/workspace", key, {"colour": "red"}), 422, "validation_error"
    )
    assert "colour" in error["fields"]
    assert_envelope(api("patch", "/workspace", key, "{not json"), 400, "invalid_json")


def test_unknown_api_paths_and_methods_answer_in_the_envelope(alice: Member, api_key_of) -> None:
    assert_envelope(api("get", "/nothing-here", api_key_of(alice)), 404, "not_found")
    assert_envelope(api("delete", "/workspace", api_key_of(alice)), 405, "method_not_allowed")


def test_openapi_docs_are_served_locally(db: None) -> None:
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/workspace" in schema["paths"]


def test_keys_are_revoked_only_within_their_workspace(alice: Member, bob: Member) -> None:
    key, _plain = services.api_key_create(actor=alice.membership, name="a", scope="read")
    revoke = reverse("accounts:api_key_revoke", args=[key.id])
    assert bob.client.post(revoke).status_code == 404
    assert ApiKey.objects.get(id=key.id).revoked_at is None
    assert alice.client.post(revoke).status_code == 302
    assert ApiKey.objects.get(id=key.id).revoked_at is not None, "alice's own request revokes it"


def test_a_revoked_key_stops_at_once_in_the_process_that_revoked_it(
    alice: Member, api_key_of, settings
) -> None:
    settings.API_KEY_CACHE_SECONDS = 60
    key = api_key_of(alice, "write")
    assert api("get", "/workspace", key).status_code == 200  # now trusted by this process
    stored = ApiKey.objects.get(workspace=alice.workspace)
    alice.client.post(reverse("accounts:api_key_revoke", args=[stored.id]))
    assert_envelope(api("get", "/workspace", key), 401, "unauthorized")


def test_a_key_revoked_elsewhere_stops_within_the_cache_time(
    alice: Member, api_key_of, settings, time_machine
) -> None:
    settings.API_KEY_CACHE_SECONDS = 5
    time_machine.move_to("2026-01-01 10:00:00+00:00", tick=False)
    key = api_key_of(alice, "read")
    assert api("get", "/workspace", key).status_code == 200
    # Another process revokes it: this one's trust ends with the cache time.
    ApiKey.objects.filter(workspace=alice.workspace).update(revoked_at="2026-01-01T10:00:00Z")
    assert api("get", "/workspace", key).status_code == 200
    time_machine.move_to("2026-01-01 10:00:06+00:00", tick=False)
    assert_envelope(api("get", "/workspace", key), 401, "unauthorized")


def test_the_keys_of_a_deleted_workspace_stop_at_once(alice: Member, api_key_of, settings) -> None:
    settings.API_KEY_CACHE_SECONDS = 60
    key = api_key_of(alice, "write")
    assert api("get", "/workspace", key).status_code == 200
    services.workspace_delete(actor=alice.membership, confirm_name=alice.workspace.name)
    assert_envelope(api("get", "/workspace", key), 401, "unauthorized")
