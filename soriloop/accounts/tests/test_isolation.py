"""Workspace B reaches nothing of workspace A, through any page or endpoint."""

from django.urls import reverse

from soriloop.accounts import services
from soriloop.accounts.models import ApiKey, AuditEvent, Invitation, Membership
from soriloop.conftest import Member


def test_bob_cannot_reach_anything_of_alices_workspace(
    alice: Member, member_of_a, assert_hidden_from_bob
) -> None:
    agent = member_of_a("agent")
    key, _plain = services.api_key_create(actor=alice.membership, name="a", scope="read")
    invitation, _link = services.invitation_create(
        actor=alice.membership, email="c@c.example", role="viewer"
    )
    hidden = [
        ("post", reverse("accounts:member_role", args=[agent.membership.id]), {"role": "viewer"}),
        ("post", reverse("accounts:member_remove", args=[agent.membership.id]), {}),
        ("post", reverse("accounts:api_key_revoke", args=[key.id]), {}),
        ("post", reverse("accounts:invitation_revoke", args=[invitation.id]), {}),
        ("post", reverse("accounts:workspace_switch"), {"workspace": alice.workspace.id}),
    ]
    for method, url, data in hidden:
        assert_hidden_from_bob(method, url, data)
    assert Membership.objects.get(id=agent.membership.id).role == "agent"
    assert ApiKey.objects.get(id=key.id).revoked_at is None
    assert Invitation.objects.get(id=invitation.id).revoked_at is None


def test_bobs_pages_list_only_his_workspace(alice: Member, bob: Member) -> None:
    services.api_key_create(actor=alice.membership, name="alice-secret-key", scope="read")
    for name in (
        "accounts:members",
        "accounts:api_keys",
        "accounts:audit",
        "accounts:settings",
        "inbox:home",
    ):
        page = bob.client.get(reverse(name)).content.decode()
        assert "alice@a.example" not in page, name
        assert "alice-secret-key" not in page, name
        assert alice.workspace.name not in page, name


def test_audit_selectors_are_scoped(alice: Member, bob: Member) -> None:
    from soriloop.accounts import selectors

    events = selectors.audit_events(actor=bob.membership)
    assert events
    assert all(event.workspace_id == bob.workspace.id for event in events)
    assert AuditEvent.objects.filter(workspace=alice.workspace).exists()
