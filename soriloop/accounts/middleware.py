"""Attach the signed-in person's current workspace and pick the page language."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from soriloop.accounts import selectors
from soriloop.accounts.models import Membership


def request_language(request: HttpRequest) -> str:
    """The person's saved preference, else the language cookie or Accept-Language."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language:
        return str(user.language)
    return translation.get_language_from_request(request)


class WorkspaceLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership: Membership | None = None
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            membership = selectors.membership_current(user=request.user)
        request.membership = membership  # type: ignore[attr-defined]
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
