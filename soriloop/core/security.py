"""Security headers for every answer: a Content-Security-Policy without inline script,
frames refused except for pages marked embeddable, and no caching of signed-in pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    # htmx adds its indicator styles and a few templates size bars inline; no script can.
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(*, embeddable: bool) -> str:
    """The Content-Security-Policy; an embeddable page (``xframe_options_exempt``) may be
    framed by any site."""
    directives = dict(POLICY, **({"frame-ancestors": "*"} if embeddable else {}))
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated) or "Authorization" in request.headers


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        embeddable = getattr(response, "xframe_options_exempt", False)
        response.headers.setdefault("Content-Security-Policy", policy(embeddable=embeddable))
        if _signed_in(request) and not request.path.startswith(settings.STATIC_URL):
            response.headers["Cache-Control"] = "no-store, private"
        return response
