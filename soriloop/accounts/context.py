"""Template context for the shell: the current workspace, the switcher, the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from soriloop.accounts import selectors
from soriloop.accounts.permissions import Action, can


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"membership": None}
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "switchable": list(selectors.memberships_of(user=membership.user)),
        "can_manage": can(membership, Action.MANAGE_SETTINGS),
        "can_audit": can(membership, Action.VIEW_AUDIT),
        # agents and viewers see personal data masked (the template filters "private*")
        "see_personal": can(membership, Action.VIEW_PERSONAL_DATA),
    }
