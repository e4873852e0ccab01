from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from soriloop.accounts.models import Membership

MemberView = Callable[..., HttpResponse]


def member_required(view: MemberView) -> Callable[..., HttpResponse]:
    """Sign-in required; the view receives the current ``Membership`` as its second argument.

    A signed-in person with no workspace is sent to create one.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            return redirect("accounts:workspace_new")
        return view(request, membership, *args, **kwargs)

    return wrapper


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
