from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from soriloop.accounts.models import Membership

MemberView = Callable[..., HttpResponseBase]


def member_required(view: MemberView) -> MemberView:
    """Sign-in required; the view receives the current ``Membership`` as its second argument.

    A signed-in person with no workspace is sent to create one.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            return redirect("accounts:workspace_new")
        return view(request, membership, *args, **kwargs)

    return wrapper


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the one the trusted proxy saw (the last ``X-Forwarded-For`` entry)
    when ``BEHIND_HTTPS_PROXY`` is on, else the connection's. Entries a client wrote itself
    stand before it and are never read."""
    if settings.BEHIND_HTTPS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass  # no usable header: fall back to the connection
    return request.META.get("REMOTE_ADDR") or None
