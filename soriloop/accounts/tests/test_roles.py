"""Each role's allowed and refused actions, checked in the services and through the pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from soriloop.accounts import selectors, services
from soriloop.accounts.models import AuditEvent, Membership, Workspace
from soriloop.accounts.permissions import Action, can
from soriloop.conftest import Member

EXPECTED = {
    "viewer": set(),
    "agent": {Action.WRITE_FEEDBACK, Action.EXPORT, Action.WORK_CASES},
    "admin": {
        Action.WRITE_FEEDBACK,
        Action.EXPORT,
        Action.DELETE_FEEDBACK,
        Action.VIEW_RAW_MAIL,
        Action.MANAGE_MEMBERS,
        Action.MANAGE_API_KEYS,
        Action.MANAGE_SETTINGS,
        Action.VIEW_AUDIT,
        Action.VIEW_PERSONAL_DATA,
        Action.MANAGE_SURVEYS,
        Action.WORK_CASES,
    },
    "owner": set(Action) - {Action.VIEW},
}


@pytest.mark.parametrize("role", ["viewer", "agent", "admin", "owner"])
def test_role_grants_exactly_its_actions(member_of_a, alice: Member, role: str) -> None:
    member = alice if role == "owner" else member_of_a(role)
    allowed = {action for action in Action if can(member.membership, action)}
    assert allowed == EXPECTED[role] | {Action.VIEW}


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_viewers_and_agents_see_but_cannot_manage(member_of_a, role: str) -> None:
    member = member_of_a(role)
    client = member.client
    assert client.get(reverse("inbox:home")).status_code == 200
    assert client.get(reverse("accounts:settings")).status_code == 200
    assert client.get(reverse("accounts:members")).status_code == 200
    assert client.get(reverse("accounts:api_keys")).status_code == 403
    assert client.get(reverse("accounts:audit")).status_code == 403
    refused = client.post(reverse("accounts:members"), {"email": "x@x.example", "role": "viewer"})
    assert refused.status_code == 403
    refused = client.post(
        reverse("accounts:settings"),
        {"name": "Hacked", "timezone": "UTC", "default_language": "en"},
    )
    assert refused.status_code == 403
    assert Workspace.objects.get(id=member.workspace.id).name != "Hacked"
    with pytest.raises(PermissionDenied):
        services.api_key_create(actor=member.membership, name="k", scope="read")
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=member.membership, email="x@x.example", role="viewer")
    with pytest.raises(PermissionDenied):
        selectors.audit_events(actor=member.membership)


def test_admin_manages_members_keys_and_settings(member_of_a, alice: Member) -> None:
    admin = member_of_a("admin")
    agent = member_of_a("agent")
    response = admin.client.post(
        reverse("accounts:member_role", args=[agent.membership.id]), {"role": "viewer"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(id=agent.membership.id).role == "viewer"
    event = AuditEvent.objects.get(action="role.changed")
    assert event.data == {"from": "agent", "to": "viewer"}
    assert event.workspace == alice.workspace
    assert (
        admin.client.post(
            reverse("accounts:api_keys"), {"name": "zap", "scope": "read"}
        ).status_code
        == 200
    )
    assert admin.client.get(reverse("accounts:audit")).status_code == 200
    saved = admin.client.post(
        reverse("accounts:settings"),
        {"name": "Renamed", "timezone": "Europe/Berlin", "default_language": "en"},
    )
    assert saved.status_code == 302
    assert Workspace.objects.get(id=alice.workspace.id).timezone == "Europe/Berlin"


def test_admin_cannot_touch_ownership(member_of_a, alice: Member) -> None:
    admin = member_of_a("admin")
    agent = member_of_a("agent")
    with pytest.raises(PermissionDenied):
        services.membership_change_role(
            actor=admin.membership, membership_id=agent.membership.id, role="owner"
        )
    with pytest.raises(PermissionDenied):
        services.membership_change_role(
            actor=admin.membership, membership_id=alice.membership.id, role="viewer"
        )
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=admin.membership, email="x@x.example", role="owner")
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=admin.membership, membership_id=alice.membership.id)
    response = admin.client.post(
        reverse("accounts:workspace_delete"), {"confirm_name": alice.workspace.name}
    )
    assert response.status_code == 403
    assert Workspace.objects.filter(id=alice.workspace.id).exists()


def test_owner_grants_ownership_but_never_leaves_the_workspace_ownerless(
    member_of_a, alice: Member
) -> None:
    with pytest.raises(ValidationError):
        services.membership_change_role(
            actor=alice.membership, membership_id=alice.membership.id, role="admin"
        )
    with pytest.raises(ValidationError):
        services.membership_remove(actor=alice.membership, membership_id=alice.membership.id)
    agent = member_of_a("agent")
    services.membership_change_role(
        actor=alice.membership, membership_id=agent.membership.id, role="owner"
    )
    services.membership_change_role(
        actor=alice.membership, membership_id=alice.membership.id, role="admin"
    )
    assert Membership.objects.get(id=alice.membership.id).role == "admin"


def test_owner_deletes_the_workspace_only_with_its_name(alice: Member) -> None:
    url = reverse("accounts:workspace_delete")
    alice.client.post(url, {"confirm_name": "wrong"})
    assert Workspace.objects.filter(id=alice.workspace.id).exists()
    alice.client.post(url, {"confirm_name": alice.workspace.name})
    assert not Workspace.objects.filter(id=alice.workspace.id).exists()
    assert AuditEvent.objects.filter(
        action="workspace.deleted", target=alice.workspace.name
    ).exists()


def test_any_member_may_leave(member_of_a) -> None:
    viewer = member_of_a("viewer")
    response = viewer.client.post(reverse("accounts:member_remove", args=[viewer.membership.id]))
    assert response.status_code == 302
    assert not Membership.objects.filter(id=viewer.membership.id).exists()
