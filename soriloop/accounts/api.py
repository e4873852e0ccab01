"""API-key authentication and the workspace endpoint."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import AuthorizationError, Throttled
from ninja.security import HttpBearer
from pydantic import ConfigDict

from soriloop.accounts import services
from soriloop.accounts.models import ApiKey
from soriloop.core.api_types import NO_NUL, Matching, OneOf
from soriloop.core.errors import BODY_ERRORS, WRITE_ERRORS, documented
from soriloop.core.ratelimit import rate_limit_hit


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``; a write endpoint refuses a read-only key with 403."""

    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = services.api_key_authenticate(plaintext=token.strip())
        if key is None:
            return None
        _check_rate(key)
        if self.write and not key.can_write:
            raise AuthorizationError(message="This API key is read-only.")
        return key


def _check_rate(key: ApiKey) -> None:
    """Count the request against its key and its workspace; raise ``Throttled`` when over."""
    limits = (
        ("api-key", str(key.pk), settings.API_RATE_PER_KEY, "this API key"),
        ("api-workspace", str(key.workspace_id), settings.API_RATE_PER_WORKSPACE, "this workspace"),
    )
    with transaction.atomic():  # one commit for both counts when they live in the database
        waits = [
            (rate_limit_hit(scope=scope, ident=ident, limit=limit), whose)
            for scope, ident, limit, whose in limits
            if limit
        ]
    wait, whose = max(waits, default=(0, ""))
    if wait:
        exc = Throttled(wait)
        exc.message = f"Too many requests for {whose}; retry after {wait} s."
        raise exc


def request_key(request: HttpRequest) -> ApiKey:
    """The key an endpoint behind ``read_auth`` or ``write_auth`` was called with."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return key


read_auth = ApiKeyAuth()
write_auth = ApiKeyAuth(write=True)

router = Router(tags=["workspace"])


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    default_language: str
    created_at: dt.datetime
    key_name: str
    key_scope: str


# The zones validate_timezone admits, as an enum in the description.
TIME_ZONES = tuple(sorted(zoneinfo.available_timezones()))


class WorkspacePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Matching(NO_NUL, "must not contain a NUL character")] | None = Field(
        default=None, min_length=1, max_length=120, description="Only spaces: the name is kept."
    )
    timezone: Annotated[str, OneOf(TIME_ZONES)] | None = Field(
        default=None, description="An IANA time zone."
    )
    default_language: Literal["ko", "en"] | None = None


def _out(key: ApiKey) -> WorkspaceOut:
    workspace = key.workspace
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        slug=workspace.slug,
        timezone=workspace.timezone,
        default_language=workspace.default_language,
        created_at=workspace.created_at,
        key_name=key.name,
        key_scope=key.scope,
    )


@router.get(
    "/workspace",
    response=documented({200: WorkspaceOut}),
    auth=read_auth,
    summary="The key's workspace",
)
def workspace_get(request: HttpRequest) -> WorkspaceOut:
    return _out(request.auth)  # type: ignore[attr-defined]


@router.patch(
    "/workspace",
    response=documented({200: WorkspaceOut}, WRITE_ERRORS, BODY_ERRORS),
    auth=write_auth,
    summary="Change the workspace settings",
)
def workspace_patch(request: HttpRequest, payload: WorkspacePatch) -> WorkspaceOut:
    key = request_key(request)
    services.workspace_update_by_key(
        key=key,
        name=payload.name,
        timezone_name=payload.timezone,
        default_language=payload.default_language,
    )
    return _out(key)
