"""The demo workspace: created or refreshed on request, never on its own."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from soriloop.accounts import services
from soriloop.accounts.models import ApiKey, ApiScope, Membership, Role, User, Workspace
from soriloop.analysis.meaning import meaning_run_batch
from soriloop.analysis.services import analysis_run_batch
from soriloop.feedback.demo import demo_feedback_load

DEMO_EMAIL = "demo@soriloop.local"
DEMO_WORKSPACE = "소리루프 데모"
DEMO_KEY_NAME = "demo"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    api_key: str
    workspace: Workspace


@transaction.atomic
def demo_analyse() -> int:
    """Analyse what is waiting, embeddings included, before the demo's sign-in is printed:
    the demo opens analysed, and what the worker does next is what new feedback causes."""
    done = 0
    while step := analysis_run_batch(owner="demo"):
        done += step
    while meaning_run_batch(owner="demo"):
        pass
    return done


def demo_refresh() -> DemoLogin:
    """Create the demo owner and workspace if missing; give a fresh password and API key."""
    password = secrets.token_urlsafe(12)
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        user = services.user_create(
            email=DEMO_EMAIL, password=password, name="데모 관리자", language="ko"
        )
    else:
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, role=Role.OWNER, workspace__name=DEMO_WORKSPACE)
        .first()
    )
    if membership is None:
        workspace = services.workspace_create(name=DEMO_WORKSPACE, owner=user)
        membership = Membership.objects.get(workspace=workspace, user=user)
    services.workspace_switch(user=user, workspace_id=membership.workspace_id)
    for old in ApiKey.objects.filter(
        workspace=membership.workspace, name=DEMO_KEY_NAME, revoked_at__isnull=True
    ):
        services.api_key_revoke(actor=membership, key_id=old.id)
    # the owner's key: its answers show what the owner sees, personal data included (the
    # demo's is invented), so a search finds a record the moment it is stored
    _key, plaintext = services.api_key_create(
        actor=membership, name=DEMO_KEY_NAME, scope=ApiScope.WRITE, personal_data=True
    )
    if demo_feedback_load(workspace=membership.workspace):
        demo_analyse()
    return DemoLogin(
        email=DEMO_EMAIL, password=password, api_key=plaintext, workspace=membership.workspace
    )
