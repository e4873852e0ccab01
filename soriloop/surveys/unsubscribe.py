"""The public unsubscribe page of survey e-mails (``/s/u/<token>/``).

GET shows the address and a button: link scanners that fetch every link must not
unsubscribe anyone. POST unsubscribes: the page's button, or a mail client's one-click
request (RFC 8058: ``List-Unsubscribe=One-Click`` in a form body, no cookies, no CSRF
token). Either way the address joins the workspace's suppression list."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from soriloop.accounts.models import Workspace
from soriloop.surveys.suppression import suppression_add, unsubscribe_read


@csrf_exempt  # one-click POSTs come from mail providers; the signed token is the credential
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_read(token)
    workspace = Workspace.objects.filter(pk=found.workspace_id).first() if found else None
    if found is None or workspace is None:
        raise Http404("no such unsubscribe link")
    done = request.method == "POST"
    if done:
        suppression_add(workspace_id=workspace.pk, address=found.address, reason="unsubscribed")
    context = {
        "workspace": workspace,
        "address": found.address,
        "lang": found.language,
        "done": done,
    }
    with translation.override(found.language):
        return render(request, "surveys/unsubscribe.html", context)
