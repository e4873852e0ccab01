import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from soriloop.accounts.models import AuditEvent, Membership
from soriloop.conftest import PASSWORD, Member


def invite(member: Member, email: str, role: str = "agent") -> str:
    response = member.client.post(reverse("accounts:members"), {"email": email, "role": role})
    assert response.status_code == 200
    link = re.search(r"http://\S+/invite/[\w-]+/", mail.outbox[-1].body)
    assert link
    return "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]


def test_a_new_person_joins_through_the_mailed_link(alice: Member) -> None:
    path = invite(alice, "carol@c.example", "agent")
    assert mail.outbox[-1].to == ["carol@c.example"]
    client = Client()
    assert client.get(path).status_code == 200
    password = "carol's strong password"
    response = client.post(
        path, {"name": "Carol", "password": password, "password_again": password}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="carol@c.example")
    assert membership.workspace == alice.workspace
    assert membership.role == "agent"
    assert client.get(reverse("inbox:home")).status_code == 200
    assert AuditEvent.objects.filter(
        action="invitation.accepted", target="carol@c.example"
    ).exists()


def test_an_invitation_works_once(alice: Member) -> None:
    path = invite(alice, "carol@c.example")
    Client().post(
        path, {"name": "", "password": "pw for carol 123", "password_again": "pw for carol 123"}
    )
    assert Client().get(path).status_code == 404


def test_an_existing_person_signs_in_and_accepts(alice: Member, bob: Member) -> None:
    path = invite(alice, "bob@b.example", "viewer")
    page = Client().get(path)
    assert reverse("accounts:login") in page.content.decode()
    assert bob.client.post(path).status_code == 302
    assert Membership.objects.get(user=bob.user, workspace=alice.workspace).role == "viewer"
    # bob now switches between his own workspace and alice's
    page = bob.client.get(reverse("inbox:home"))
    assert alice.workspace.name in page.content.decode()
    assert bob.workspace.name in page.content.decode()


def test_someone_else_signed_in_cannot_use_the_invitation(alice: Member, bob: Member) -> None:
    path = invite(alice, "carol@c.example")
    bob.client.post(path)
    assert not Membership.objects.filter(user=bob.user, workspace=alice.workspace).exists()
    # the invitation still works for the person it was sent to
    password = "carol's strong password"
    carol = Client().post(path, {"name": "Carol", "password": password, "password_again": password})
    assert carol.status_code == 302
    assert Membership.objects.filter(
        user__email="carol@c.example", workspace=alice.workspace
    ).exists()


def test_a_withdrawn_invitation_no_longer_opens(alice: Member) -> None:
    path = invite(alice, "carol@c.example")
    invitation = alice.workspace.invitations.get()
    alice.client.post(reverse("accounts:invitation_revoke", args=[invitation.id]))
    assert Client().get(path).status_code == 404


def test_an_expired_invitation_no_longer_opens(alice: Member, time_machine) -> None:
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    path = invite(alice, "carol@c.example")
    time_machine.move_to("2026-03-08 09:00:01+00:00", tick=False)
    assert Client().get(path).status_code == 404


def test_an_unknown_token_is_not_found(db: None) -> None:
    assert Client().get("/invite/inv_nope/").status_code == 404


def test_sign_up_refuses_a_weak_or_mismatched_password(alice: Member) -> None:
    path = invite(alice, "carol@c.example")
    response = Client().post(path, {"password": "short", "password_again": "short"})
    assert response.status_code == 200
    assert not Membership.objects.filter(user__email="carol@c.example").exists()
    response = Client().post(path, {"password": "long enough one", "password_again": "different"})
    assert not Membership.objects.filter(user__email="carol@c.example").exists()


def test_inviting_a_member_twice_is_refused(alice: Member) -> None:
    response = alice.client.post(
        reverse("accounts:members"),
        {"email": "alice@a.example", "role": "agent"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "already a member" in response.content.decode()
    assert mail.outbox == []


def test_signed_in_person_with_no_workspace_is_asked_to_create_one(db: None) -> None:
    from soriloop.accounts import services

    services.user_create(email="dan@d.example", password=PASSWORD)
    client = Client()
    client.post(reverse("accounts:login"), {"email": "dan@d.example", "password": PASSWORD})
    response = client.get(reverse("inbox:home"))
    assert response.headers["Location"] == reverse("accounts:workspace_new")
    client.post(
        reverse("accounts:workspace_new"),
        {"name": "Dan Cafe", "timezone": "Asia/Seoul", "default_language": "ko"},
    )
    assert "Dan Cafe" in client.get(reverse("inbox:home")).content.decode()
