"""The respondent's side: the survey page of a link and its answers endpoint (public).

``/s/<token>/`` is an invitation's single-use link, ``/s/p/<key>/`` a survey's public link
(anonymous; each device keeps its own response through a cookie). The page works without
script (one form, sent at the end); with ``survey.js`` each answer is saved as it is given.
``POST .../answers`` takes the form or JSON ``{"answers": {...}, "final": bool}``."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from soriloop.accounts.decorators import client_ip
from soriloop.core.ratelimit import rate_limit_hit
from soriloop.surveys import selectors, services
from soriloop.surveys.models import Response
from soriloop.surveys.questions import SurveyInvalid
from soriloop.surveys.services import AlreadyAnswered, Link, LinkGone

HONEYPOT = "website"
COOKIE_DAYS = 60


def _link(token: str = "", key: str = "") -> Link:
    found = selectors.link_find(token=token, public_key=key)
    if found is None:
        raise Http404("no such survey link")
    return found


def _cookie(link: Link) -> str:
    return f"sv_{link.survey.public_key[:16]}"


def _language(request: HttpRequest, link: Link) -> str:
    offered = link.survey.languages
    asked = request.GET.get("lang", "")
    if asked in offered:
        return asked
    if link.invitation is not None and link.invitation.language in offered:
        return link.invitation.language
    accepted = translation.get_language_from_request(request)
    return accepted if accepted in offered else offered[0]


def _hidden_from(request: HttpRequest, link: Link) -> dict[str, str]:
    """Hidden fields (order id, plan, agent) given in the link's query."""
    keys = [q["key"] for q in link.survey.current.questions if q["kind"] == "hidden"]
    return {k: request.GET[k][:200] for k in keys if request.GET.get(k)}


def _limited(request: HttpRequest, link: Link) -> int:
    """Seconds to wait when this IP answers a public link too often, else 0."""
    if link.invitation is not None:
        return 0
    return rate_limit_hit(
        scope="survey-ip", ident=client_ip(request) or "?", limit=settings.SURVEY_RATE_PER_IP
    )


def _page(request: HttpRequest, link: Link, **extra: Any) -> HttpResponse:
    lang = _language(request, link)
    device = request.COOKIES.get(_cookie(link), "")
    response = services.response_of(link, device=device)
    status = extra.pop("status", 200)
    state = extra.pop("state_override", "open")
    try:
        services.link_check(link)
    except LinkGone as exc:
        state, status = exc.code, 410
    if response is not None and (response.finished_at or response.recorded_at):
        state = "answered" if state == "open" else state
    survey = link.survey
    questions = (response.version if response else survey.current).questions
    context = {
        "survey": survey,
        "workspace": survey.workspace,
        "lang": lang,
        "questions": questions,
        "answers": {**(response.answers if response else {}), **extra.pop("values", {})},
        "state": state,
        "thank_you": survey.thank_you.get(lang, ""),
        "action": f"{request.path.rstrip('/')}/answers",
        **extra,
    }
    with translation.override(lang):
        page = render(request, "surveys/respond.html", context, status=status)
    if link.invitation is None and not device:
        page.set_cookie(
            _cookie(link),
            secrets.token_urlsafe(18),
            max_age=COOKIE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=settings.SECURE_COOKIES,
        )
    if link.invitation is not None and link.invitation.opened_at is None:
        services.invitation_opened(invitation=link.invitation)
    return page


@xframe_options_exempt  # embeddable in the web widget and the workspace's site
@require_GET
def survey_page(request: HttpRequest, token: str = "", key: str = "") -> HttpResponse:
    return _page(request, _link(token, key))


def _error(status: int, code: str, message: str, fields: Any = None) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "json" in request.headers.get("Accept", "")


def _body(request: HttpRequest, link: Link) -> tuple[dict[str, Any], bool]:
    """The answers and whether they are final, from JSON or the form (raise ValueError)."""
    if request.content_type == "application/json":
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict) or not isinstance(data.get("answers", {}), dict):
            raise ValueError('the body must be {"answers": {...}, "final": true|false}')
        if not isinstance(data.get("final", False), bool):
            raise ValueError("final must be true or false")
        return data.get("answers", {}), bool(data.get("final", False))
    questions = link.survey.current.questions
    answers: dict[str, Any] = {}
    for q in questions:
        if q["kind"] == "multiple":
            picked: list[Any] = [v for v in request.POST.getlist(q["key"]) if v != "__other__"]
            if "__other__" in request.POST.getlist(q["key"]) and request.POST.get(
                f"{q['key']}__other"
            ):
                picked.append({"other": request.POST[f"{q['key']}__other"]})
            if picked or q["key"] in request.POST:
                answers[q["key"]] = picked
        elif q["kind"] != "hidden" and q["key"] in request.POST:
            value: Any = request.POST[q["key"]]
            if value == "__other__":
                value = {"other": request.POST.get(f"{q['key']}__other", "")}
            answers[q["key"]] = value
    return answers, request.POST.get("final", "1") != "0"


@csrf_exempt  # public, like the widget: the link is the credential, the rate limit the guard
@require_POST
def survey_answers(request: HttpRequest, token: str = "", key: str = "") -> HttpResponse:
    link = _link(token, key)
    as_json = _wants_json(request)
    wait = _limited(request, link)
    if wait:
        response = (
            _error(429, "rate_limited", "Too many answers from here; try again shortly.")
            if as_json
            else _page(request, link, status=429, problem="rate")
        )
        response["Retry-After"] = str(wait)
        return response
    try:
        answers, final = _body(request, link)
    except RequestDataTooBig:
        return _error(413, "payload_too_large", "The body is larger than this server accepts.")
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "bad_request", f"The body is not valid: {exc}")
    if request.POST.get(HONEYPOT):
        return _page(request, link, state_override="answered")
    device = request.COOKIES.get(_cookie(link), "") or (
        "" if link.invitation else secrets.token_urlsafe(18)
    )
    try:
        saved = services.response_answer(
            link=link,
            answers=answers,
            final=final,
            device=device,
            language=_language(request, link),
            hidden=_hidden_from(request, link),
        )
    except LinkGone as exc:
        return _error(410, exc.code, str(exc)) if as_json else _page(request, link)
    except AlreadyAnswered:
        message = "This survey link has already been answered."
        return _error(409, "already_answered", message) if as_json else _page(request, link)
    except SurveyInvalid as exc:
        if as_json:
            return _error(422, "validation_error", "Some answers are invalid.", exc.fields)
        return _page(request, link, status=422, errors=exc.fields, values=answers)
    result = _saved(saved, link, request) if as_json else _page(request, link)
    if link.invitation is None and not request.COOKIES.get(_cookie(link)):
        result.set_cookie(
            _cookie(link),
            device,
            max_age=COOKIE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=settings.SECURE_COOKIES,
        )
    return result


def _saved(response: Response, link: Link, request: HttpRequest) -> JsonResponse:
    lang = _language(request, link)
    body = {
        "response": response.pk,
        "answers": response.answers,
        "finished": response.finished_at is not None,
        "thank_you": link.survey.thank_you.get(lang) if response.finished_at else None,
        "feedback_ids": response.feedback_ids,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
