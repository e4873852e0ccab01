"""Workspace B reaches nothing of workspace A, through any page or endpoint.

Each check first shows alice the thing on the same page (or the same change taking effect
for her), so a page that renders nothing cannot pass for one that hides alice's data.
"""

from django.urls import reverse

from soriloop.accounts import selectors, services
from soriloop.accounts.models import ApiKey, Invitation, Membership, User
from soriloop.conftest import Member, add


def test_bob_cannot_reach_anything_of_alices_workspace(
    alice: Member, bob: Member, member_of_a, assert_hidden_from_bob
) -> None:
    agent = member_of_a("agent")
    viewer = member_of_a("viewer")
    key, _plain = services.api_key_create(actor=alice.membership, name="a", scope="read")
    invitation, _link = services.invitation_create(
        actor=alice.membership, email="c@c.example", role="viewer"
    )
    changes = [
        (
            reverse("accounts:member_role", args=[agent.membership.id]),
            {"role": "viewer"},
            lambda: Membership.objects.get(id=agent.membership.id).role == "viewer",
        ),
        (
            reverse("accounts:member_remove", args=[viewer.membership.id]),
            {},
            lambda: not Membership.objects.filter(id=viewer.membership.id).exists(),
        ),
        (
            reverse("accounts:api_key_revoke", args=[key.id]),
            {},
            lambda: ApiKey.objects.get(id=key.id).revoked_at is not None,
        ),
        (
            reverse("accounts:invitation_revoke", args=[invitation.id]),
            {},
            lambda: Invitation.objects.get(id=invitation.id).revoked_at is not None,
        ),
    ]
    for url, data, done in changes:
        assert_hidden_from_bob("post", url, data)
        assert not done(), url
        assert alice.client.post(url, data).status_code in (200, 302), url
        assert done(), f"the same request from alice changes it: {url}"


def test_bob_cannot_switch_into_alices_workspace(alice: Member, bob: Member, member_of_a) -> None:
    agent = member_of_a("agent")
    services.workspace_create(name="Agent's own shop", owner=agent.user)
    switch = reverse("accounts:workspace_switch")
    assert bob.client.post(switch, {"workspace": alice.workspace.id}).status_code == 404
    assert User.objects.get(id=bob.user.id).last_workspace_id != alice.workspace.id
    # the same request from a member of hers switches
    assert agent.client.post(switch, {"workspace": alice.workspace.id}).status_code == 302
    assert User.objects.get(id=agent.user.id).last_workspace_id == alice.workspace.id


def test_bobs_pages_list_only_his_workspace(
    alice: Member, bob: Member, assert_only_alice_sees
) -> None:
    services.api_key_create(actor=alice.membership, name="alice-secret-key", scope="read")
    services.invitation_create(actor=alice.membership, email="carol@c.example", role="agent")
    add(alice, text="a note from alices customer")
    services.api_key_create(actor=bob.membership, name="bob-own-key", scope="read")
    add(bob, text="a note from bobs customer")
    alices_name = alice.workspace.name
    pages = {
        "accounts:members": (
            ['data-member="alice@a.example"', "carol@c.example"],
            'data-member="bob@b.example"',
        ),
        "accounts:api_keys": (["alice-secret-key"], "bob-own-key"),
        "accounts:audit": (["alice-secret-key", "carol@c.example"], "bob-own-key"),
        "accounts:settings": ([f'value="{alices_name}"'], f'value="{bob.workspace.name}"'),
        "inbox:home": (
            [f'data-testid="workspace-name">{alices_name}<', "a note from alices customer"],
            "a note from bobs customer",
        ),
    }
    for name, (alice_sees, bob_sees) in pages.items():
        bobs_page = assert_only_alice_sees(reverse(name), *alice_sees, alices_name)
        assert bob_sees in bobs_page, name
        assert "alice@a.example" not in bobs_page, name


def test_audit_selectors_are_scoped(alice: Member, bob: Member) -> None:
    alices = selectors.audit_events(actor=alice.membership)
    assert alices
    assert all(event.workspace_id == alice.workspace.id for event in alices)
    bobs = selectors.audit_events(actor=bob.membership)
    assert bobs
    assert all(event.workspace_id == bob.workspace.id for event in bobs)
