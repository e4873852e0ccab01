"""The public side: the embeddable widget's endpoint and the hosted feedback page."""

from __future__ import annotations

import io
import json
from typing import Any
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from soriloop.accounts.decorators import client_ip
from soriloop.core.ratelimit import rate_limit_hit
from soriloop.feedback import services
from soriloop.feedback.acknowledge import guess_language, thanks
from soriloop.feedback.models import ChannelSettings
from soriloop.feedback.validation import InvalidFeedback, parse_feedback

HONEYPOT = "website"


def _settings_for(key: str) -> ChannelSettings:
    found = ChannelSettings.objects.select_related("workspace").filter(widget_key=key).first()
    if found is None:
        raise Http404("unknown widget key")
    return found


def _limited(request: HttpRequest, key: str) -> int:
    """Seconds to wait when this IP or this key is over its limit, else 0."""
    by_ip = rate_limit_hit(
        scope="widget-ip", ident=client_ip(request) or "?", limit=settings.WIDGET_RATE_PER_IP
    )
    by_key = rate_limit_hit(scope="widget-key", ident=key, limit=settings.WIDGET_RATE_PER_KEY)
    return max(by_ip, by_key)


def _language(request: HttpRequest, data: dict[str, Any], text: str) -> str:
    lang = str(data.get("lang") or "")[:2].lower()
    if lang in {"ko", "en"}:
        return lang
    accepted = translation.get_language_from_request(request)
    return accepted if accepted in {"ko", "en"} else guess_language(text)


def submit(
    channel_settings: ChannelSettings,
    data: dict[str, Any],
    *,
    lang: str,
    source: str,
    channel: str = "widget",
) -> Any:
    """Turn a visitor's form into feedback; raise ``InvalidFeedback`` for bad fields."""
    workspace = channel_settings.workspace
    rating = data.get("rating")
    email = str(data.get("email") or "").strip()
    payload: dict[str, Any] = {
        "channel": channel,
        "source": source,
        "text": data.get("text") or "",
        "metadata": {
            k: v for k, v in (("lang", lang), ("page", str(data.get("page") or "")[:500])) if v
        },
        "customer": {"email": email} if email else None,
    }
    if rating not in (None, ""):
        payload["score"], payload["score_kind"] = rating, "stars"
    item = parse_feedback(
        payload, channel=channel, tz=ZoneInfo(workspace.timezone), now=timezone.now()
    )
    return services.feedback_ingest_one(workspace=workspace, item=item)


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _error(status: int, message: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": "error", "message": message, "fields": fields or {}}}, status=status
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def widget_submit(request: HttpRequest, key: str) -> HttpResponse:
    """POST JSON ``{rating, text, email, lang, page}`` from an allowed origin."""
    channel_settings = _settings_for(key)
    origin = request.headers.get("Origin", "")
    if origin and origin.rstrip("/").lower() not in channel_settings.widget_origins:
        return _error(403, "This website may not send feedback to this workspace.")
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), origin)
    wait = _limited(request, key)
    if wait:
        response = _cors(_error(429, "Too many submissions; try again shortly."), origin)
        response["Retry-After"] = str(wait)
        return response
    try:
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except RequestDataTooBig:
        return _cors(_error(413, "The body is larger than this server accepts."), origin)
    except (ValueError, UnicodeDecodeError):
        return _cors(_error(400, "The body is not a JSON object."), origin)
    lang = _language(request, data, str(data.get("text") or ""))
    message = thanks(channel_settings, lang)
    if data.get(HONEYPOT):
        return _cors(JsonResponse({"status": "received", "message": message}), origin)
    try:
        result = submit(
            channel_settings,
            {k: v for k, v in data.items() if k != HONEYPOT},
            lang=lang,
            source="widget",
        )
    except InvalidFeedback as exc:
        return _cors(_error(422, "Some fields are invalid.", exc.fields), origin)
    body = {"status": "received", "id": result.feedback_id, "message": message}
    return _cors(JsonResponse(body, status=201, json_dumps_params={"ensure_ascii": False}), origin)


@xframe_options_exempt  # embeddable in the workspace's own site
@require_http_methods(["GET", "POST"])
def hosted_page(request: HttpRequest, key: str) -> HttpResponse:
    """A feedback form of the workspace's own, for links, QR codes on receipts and shops."""
    channel_settings = _settings_for(key)
    lang = request.GET.get("lang") or translation.get_language_from_request(request)
    lang = lang if lang in {"ko", "en"} else channel_settings.workspace.default_language
    context: dict[str, Any] = {
        "workspace": channel_settings.workspace,
        "lang": lang,
        "key": key,
        "values": {},
    }
    status = 200
    if request.method == "POST":
        wait = _limited(request, key)
        data = {k: request.POST.get(k, "") for k in ("rating", "text", "email")}
        if wait:
            context["error"], status = "rate", 429
        elif request.POST.get(HONEYPOT):
            context["thanks"] = thanks(channel_settings, lang)
        else:
            try:
                submit(channel_settings, data, lang=lang, source="hosted-page", channel="hosted")
            except InvalidFeedback as exc:
                context["errors"], context["values"], status = exc.fields, data, 422
            else:
                context["thanks"] = thanks(channel_settings, lang)
    with translation.override(lang):
        response = render(request, "feedback/hosted.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


def hosted_qr(request: HttpRequest, key: str) -> HttpResponse:
    """The hosted page's address as an SVG QR code, to print."""
    _settings_for(key)
    url = request.build_absolute_uri(f"/f/{key}/")
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
