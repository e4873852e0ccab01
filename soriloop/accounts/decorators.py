from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

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
    return request.META.get("REMOTE_ADDR") or None
