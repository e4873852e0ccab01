"""One error envelope for every API failure: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
}


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The one error envelope, for the API description."""

    error: ErrorDetail


# What each kind of operation can answer besides success: every key-authenticated call
# (401, 422 for its parameters, 429), one naming a record (404), one with a JSON body (400
# for broken JSON, 413), one that writes (403 for a read-only key).
READ_ERRORS = (401, 422, 429)
BODY_ERRORS = (400, 413)
WRITE_ERRORS = (403,)
ONE_ERRORS = (404,)


def documented(ok: Mapping[int, Any], *groups: tuple[int, ...]) -> dict[int, Any]:
    """A ninja ``response=`` mapping: the success schemas and the envelope for each error."""
    codes = sorted({code for group in (READ_ERRORS, *groups) for code in group})
    return {**ok, **dict.fromkeys(codes, ErrorOut)}


def envelope(
    status: int, message: str, fields: Mapping[str, list[str]] | None = None, code: str = ""
) -> JsonResponse:
    body = {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "fields": dict(fields or {}),
        }
    }
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def json_ok(body: Any, status: int = 200) -> JsonResponse:
    """A success body as JSON, Korean left readable (no ``\\uXXXX`` escapes)."""
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def not_found(what: str) -> JsonResponse:
    """404 for a record the workspace does not hold (or another workspace does)."""
    return envelope(404, f"No such {what} in this workspace.")


def invalid(fields: Mapping[str, list[str]], what: str = "request") -> JsonResponse:
    """422 naming each invalid field, as a service's ``...Invalid`` exception carries them."""
    return envelope(422, f"The {what} has invalid fields.", fields)


def _field_name(loc: Iterable[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in {"query", "path", "header", "cookie"}:
        # Parameters are flat: name the parameter, not the schema grouping it (ninja puts
        # that argument's name first) nor an item of a repeated one.
        return next((str(p) for p in reversed(parts[1:]) if isinstance(p, str)), "__all__")
    names = [str(part) for part in parts]
    # ninja prefixes the body's source and the schema argument name
    while names and names[0] in {"body", "form", "payload"}:
        names.pop(0)
    return ".".join(names) or "__all__"


def ninja_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), []).append(
            str(error.get("msg", "invalid"))
        )
    return fields


def install(api: NinjaAPI) -> None:
    """Replace ninja's default error bodies with the envelope."""

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> JsonResponse:
        json_broken = any(e.get("type") == "json_invalid" for e in exc.errors)
        if json_broken:
            return envelope(
                400, "The body is not valid JSON.", ninja_fields(exc.errors), "invalid_json"
            )
        return envelope(422, "The request has invalid fields.", ninja_fields(exc.errors))

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> JsonResponse:
        fields = (
            {
                name: [str(m) for e in errs for m in e.messages]
                for name, errs in exc.error_dict.items()
            }
            if hasattr(exc, "error_dict")
            else {"__all__": [str(m) for m in exc.messages]}
        )
        return envelope(422, "The request has invalid fields.", fields)

    def on_auth(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
        response = envelope(401, "A valid API key is required: Authorization: Bearer <key>.")
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_http(request: HttpRequest, exc: HttpError) -> JsonResponse:
        cause = exc.__cause__
        if isinstance(cause, RequestDataTooBig):
            return envelope(413, "The body is larger than this server accepts.")
        if isinstance(cause, UnicodeDecodeError):
            return envelope(400, "The body is not valid UTF-8.", code="invalid_encoding")
        if isinstance(cause, ValueError):
            return envelope(400, f"The body is not valid JSON: {cause}", code="invalid_json")
        response = envelope(exc.status_code, exc.message)
        if isinstance(exc, Throttled) and exc.wait is not None:
            response["Retry-After"] = str(max(1, math.ceil(exc.wait)))
        return response

    def on_404(request: HttpRequest, exc: Http404) -> JsonResponse:
        return envelope(404, "Not found.")

    def on_denied(request: HttpRequest, exc: PermissionDenied) -> JsonResponse:
        return envelope(403, str(exc) or "Not allowed.")

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> JsonResponse:
        return envelope(413, "The body is larger than this server accepts.")

    def on_crash(request: HttpRequest, exc: Exception) -> JsonResponse:
        logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return envelope(500, "Something went wrong on our side; it is logged.")

    handlers: list[tuple[type[Exception], Any]] = [
        (Exception, on_crash),
        (NinjaValidationError, on_validation),
        (DjangoValidationError, on_django_validation),
        (AuthenticationError, on_auth),
        (HttpError, on_http),
        (Http404, on_404),
        (PermissionDenied, on_denied),
        (RequestDataTooBig, on_too_big),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


class ApiEnvelopeMiddleware:
    """Wrap API errors that Django or ninja answer outside the handlers (405, 413, ...)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if request.path.startswith("/api/") and response.status_code >= 400 and not is_json:
            phrase = HTTPStatus(response.status_code).phrase
            wrapped = envelope(response.status_code, f"{phrase}.")
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    wrapped[header] = response[header]
            return wrapped
        return response


class NulBytesMiddleware:
    """Refuse a path or query parameter that holds a NUL character: PostgreSQL cannot store or
    compare one (a DataError, so a 500), SQLite can; the same rule on both. Pages answer 400,
    the API a 422 naming the parameters, as for any other invalid parameter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.GET
        bad = [
            key
            for key in query
            if "\x00" in key or any("\x00" in value for value in query.getlist(key))
        ]
        if "\x00" in request.path:
            bad.append("path")
        if not bad:
            return self.get_response(request)
        message = "The address holds a NUL character."
        if request.path.startswith("/api/"):
            fields = {key.replace("\x00", ""): ["must not contain a NUL character"] for key in bad}
            return envelope(422, message, fields)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
