"""The customers pages (HTML): the list with search, one profile with its timeline; e-mail
and phone masked for everyone until an admin reveals one record (audited)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from soriloop.accounts.decorators import member_required
from soriloop.accounts.models import Membership
from soriloop.accounts.permissions import Action, can
from soriloop.core.fields import parse_id
from soriloop.customers import selectors
from soriloop.customers.services import customer_reveal


@member_required
@require_http_methods(["GET"])
def customers_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    q = request.GET.get("q", "").replace("\x00", "")[:200]
    before = parse_id(request.GET.get("before"))
    page = selectors.customers_page_get(workspace=membership.workspace, q=q, before=before)
    return render(request, "customers/list.html", {"page": page})


def _moment(raw: str) -> dt.datetime | None:
    """An aware moment from a timeline page link, else None (a bad one shows the newest)."""
    try:
        found = parse_datetime(raw[:40]) if raw else None
    except ValueError:
        return None
    return found if found is not None and found.tzinfo is not None else None


@member_required
@require_http_methods(["GET", "POST"])
def customer_page(request: HttpRequest, membership: Membership, customer_id: int) -> HttpResponse:
    reveal = request.method == "POST" and "reveal" in request.POST
    if reveal and not can(membership, Action.VIEW_PERSONAL_DATA):
        raise PermissionDenied
    before = _moment(request.GET.get("before", ""))
    page = selectors.customer_page_get(
        workspace=membership.workspace, customer_id=customer_id, reveal=reveal, before=before
    )
    if page is None:
        raise Http404
    if reveal:
        customer_reveal(actor=membership, customer=page.customer)
    can_reveal = can(membership, Action.VIEW_PERSONAL_DATA)
    return render(request, "customers/profile.html", {"page": page, "can_reveal": can_reveal})
