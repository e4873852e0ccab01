"""A workspace's suppression list: addresses that unsubscribed or bounced get no survey e-mail
on any path (the outbox checks it just before each send), and the unsubscribe links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet

from soriloop.accounts.models import Workspace
from soriloop.core.crypto import cipher
from soriloop.customers.services import normalise_email
from soriloop.surveys.models import Suppression

SALT = "soriloop.surveys.unsubscribe"
REASONS = ("unsubscribed", "bounced")


def suppression_add(
    *, workspace_id: int, address: str, reason: str, detail: str = ""
) -> Suppression:
    """Suppress an address (once: the first reason stays, an unsubscribe is never replaced)."""
    assert reason in REASONS, reason
    found, _created = Suppression.objects.get_or_create(
        workspace_id=workspace_id,
        address=normalise_email(address),
        defaults={"reason": reason, "detail": detail[:300]},
    )
    return found


def suppressions_add(*, workspace: Workspace, addresses: Iterable[str], reason: str) -> int:
    """Suppress many addresses (an import from another tool); returns how many were new."""
    assert reason in REASONS, reason
    fresh = {normalise_email(a) for a in addresses} - set(
        Suppression.objects.filter(workspace=workspace).values_list("address", flat=True)
    )
    Suppression.objects.bulk_create(
        [Suppression(workspace=workspace, address=a, reason=reason) for a in sorted(fresh)],
        ignore_conflicts=True,
    )
    return len(fresh)


def suppression_hashed(address: str) -> str:
    """What an erased customer's suppression keeps of their address: its keyed hash, so the
    address still gets no survey e-mail and is not stored in the clear."""
    return "hmac:" + cipher().digest("suppression", normalise_email(address))


def suppression_of(*, workspace_id: int, address: str) -> Suppression | None:
    """The suppression of ``address``, kept in the clear or (after an erasure) hashed."""
    return Suppression.objects.filter(
        workspace_id=workspace_id,
        address__in=[normalise_email(address), suppression_hashed(address)],
    ).first()


def suppressions_of(*, workspace: Workspace) -> QuerySet[Suppression]:
    return Suppression.objects.filter(workspace=workspace).order_by("-created_at", "-id")


@dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link names: the workspace, the address and the page's language."""

    workspace_id: int
    address: str
    language: str


def unsubscribe_token(*, workspace_id: int, address: str, language: str) -> str:
    """A signed token for the link (no expiry: an old e-mail's link still works)."""
    return signing.dumps([workspace_id, normalise_email(address), language], salt=SALT)


def unsubscribe_url(*, workspace_id: int, address: str, language: str) -> str:
    token = unsubscribe_token(workspace_id=workspace_id, address=address, language=language)
    return f"{settings.SITE_URL}/s/u/{token}/"


def unsubscribe_read(token: str) -> Unsubscribe | None:
    """The link's contents, or None when the token is not one of ours."""
    try:
        workspace_id, address, language = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(workspace_id, int) or not isinstance(address, str):
        return None
    return Unsubscribe(workspace_id, address, language if language in ("ko", "en") else "ko")
