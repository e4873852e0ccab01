"""What each role may do. Services call ``require``; views only render the outcome."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from soriloop.accounts.models import Membership, Role


class Action(StrEnum):
    VIEW = "view"
    WRITE_FEEDBACK = "write_feedback"
    EXPORT = "export"
    DELETE_FEEDBACK = "delete_feedback"
    VIEW_RAW_MAIL = "view_raw_mail"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"
    VIEW_PERSONAL_DATA = "view_personal_data"  # the original text, metadata and contacts
    MANAGE_SURVEYS = "manage_surveys"  # build, publish, close, invite
    WORK_CASES = "work_cases"  # take, reply to, note and resolve cases
    GRANT_OWNER = "grant_owner"
    DELETE_WORKSPACE = "delete_workspace"


MINIMUM_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.VIEWER,
    Action.WRITE_FEEDBACK: Role.AGENT,
    Action.EXPORT: Role.AGENT,
    Action.DELETE_FEEDBACK: Role.ADMIN,
    Action.VIEW_RAW_MAIL: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.MANAGE_API_KEYS: Role.ADMIN,
    Action.MANAGE_SETTINGS: Role.ADMIN,
    Action.VIEW_AUDIT: Role.ADMIN,
    Action.VIEW_PERSONAL_DATA: Role.ADMIN,
    Action.MANAGE_SURVEYS: Role.ADMIN,
    Action.WORK_CASES: Role.AGENT,
    Action.GRANT_OWNER: Role.OWNER,
    Action.DELETE_WORKSPACE: Role.OWNER,
}


def can(membership: Membership, action: Action) -> bool:
    return membership.role_enum.rank >= MINIMUM_ROLE[action].rank


def require(membership: Membership, action: Action) -> None:
    """Raise ``PermissionDenied`` unless the member's role allows ``action``."""
    if not can(membership, action):
        raise PermissionDenied(f"role {membership.role} may not {action.value}")
