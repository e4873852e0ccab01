"""Sign-in, invitations, workspace settings, members, API keys and the audit log (HTML)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from soriloop.accounts import selectors, services
from soriloop.accounts.decorators import client_ip, member_required
from soriloop.accounts.forms import (
    ApiKeyForm,
    DeleteWorkspaceForm,
    InviteForm,
    ProfileForm,
    RoleForm,
    SignInForm,
    SignUpForm,
    WorkspaceForm,
)
from soriloop.accounts.middleware import request_language
from soriloop.accounts.models import Language, Membership, User
from soriloop.accounts.permissions import Action, can, require
from soriloop.core.fields import parse_id


def attach_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form, per field where the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path only: redirect() would take a bare word for the name of a view.
    local = target.startswith("/")
    if local and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("inbox:home")


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"], client_ip(request)
        wait = services.login_wait_seconds(email=email, ip=ip)
        user = (
            None
            if wait
            else authenticate(
                request, username=email.lower(), password=form.cleaned_data["password"]
            )
        )
        if wait:
            minutes = (wait + 59) // 60
            form.add_error(
                None, _("Too many failed attempts. Try again in %(n)d minute(s).") % {"n": minutes}
            )
            status = 429
        elif user is None:
            services.login_failure_record(email=email, ip=ip)
            form.add_error(None, _("E-mail or password is wrong."))
        else:
            login(request, user)
            services.login_success_record(user=user, ip=ip)
            return redirect(_safe_next(request))
    context = {"form": form, "next": request.GET.get("next", "")}
    response = render(request, "accounts/sign_in.html", context, status=status)
    if status == 429:
        response.headers["Retry-After"] = str(wait)
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        membership = getattr(request, "membership", None)
        services.logout_record(
            user=request.user,
            workspace=membership.workspace if membership else None,
            ip=client_ip(request),
        )
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Save the language on the person's profile, or in a cookie before sign-in."""
    language = request.POST.get("language", "")
    target = _safe_next(request)
    response = redirect(target)
    if language not in Language.values:
        return response
    if request.user.is_authenticated:
        services.user_update_profile(user=request.user, name=request.user.name, language=language)
    response.set_cookie("django_language", language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: forms.Form) -> HttpResponse:
        wait = services.password_reset_wait_seconds(
            email=form.cleaned_data["email"], ip=client_ip(self.request)
        )
        if wait:
            minutes = (wait + 59) // 60
            form.add_error(
                None,
                _("Too many reset requests. Try again in %(n)d minute(s).") % {"n": minutes},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        user = self.user
        services.audit_record(
            workspace=user.last_workspace,
            actor=user,
            action="password.reset",
            ip=client_ip(self.request),
        )
        messages.success(self.request, _("Your password is changed. Sign in with it."))
        return response


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invite = services.invitation_find(token=token)
    user: User | None = request.user if request.user.is_authenticated else None
    existing = selectors.user_exists(email=invite.email)
    form = SignUpForm(request.POST or None) if user is None and not existing else None
    if request.method == "POST":
        if user is None and form is not None and form.is_valid():
            try:
                user = services.user_create(
                    email=invite.email,
                    password=form.cleaned_data["password"],
                    name=form.cleaned_data["name"],
                    language=request_language(request),
                )
            except ValidationError as exc:
                attach_errors(form, exc)
                user = None
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user is not None and user.email == invite.email:
            membership = services.invitation_accept(token=token, user=user, ip=client_ip(request))
            services.workspace_switch(user=user, workspace_id=membership.workspace_id)
            messages.success(request, _("Welcome to %(name)s.") % {"name": invite.workspace.name})
            return redirect("inbox:home")
    context = {"invite": invite, "form": form, "existing": existing, "token": token}
    return render(request, "accounts/invitation.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def workspace_new(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(
                name=form.cleaned_data["name"],
                owner=request.user,  # type: ignore[arg-type]
                timezone_name=form.cleaned_data["timezone"],
                default_language=form.cleaned_data["default_language"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            services.workspace_switch(user=request.user, workspace_id=workspace.id)  # type: ignore[arg-type]
            return redirect("inbox:home")
    return render(request, "accounts/workspace_new.html", {"form": form})


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    workspace_id = parse_id(request.POST.get("workspace")) or 0
    services.workspace_switch(user=request.user, workspace_id=workspace_id)  # type: ignore[arg-type]
    return redirect("inbox:home")


@member_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    initial = {
        "name": workspace.name,
        "timezone": workspace.timezone,
        "default_language": workspace.default_language,
    }
    form = WorkspaceForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(membership, Action.MANAGE_SETTINGS)
        if form.is_valid():
            try:
                services.workspace_update(
                    actor=membership,
                    name=form.cleaned_data["name"],
                    timezone_name=form.cleaned_data["timezone"],
                    default_language=form.cleaned_data["default_language"],
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, _("Workspace settings saved."))
                return redirect("accounts:settings")
    context = {
        "form": form,
        "delete_form": DeleteWorkspaceForm(),
        "editable": can(membership, Action.MANAGE_SETTINGS),
        "can_delete": can(membership, Action.DELETE_WORKSPACE),
    }
    return render(request, "accounts/settings.html", context)


@member_required
@require_POST
def workspace_delete(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = DeleteWorkspaceForm(request.POST)
    if form.is_valid():
        try:
            services.workspace_delete(
                actor=membership,
                confirm_name=form.cleaned_data["confirm_name"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:settings")
        messages.success(request, _("The workspace is deleted."))
    return redirect("inbox:home")


@member_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = InviteForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            _invite, link = services.invitation_create(
                actor=membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent."))
            form = InviteForm()
    manage = can(membership, Action.MANAGE_MEMBERS)
    context = {
        "members": selectors.members_of(actor=membership),
        "invitations": selectors.invitations_open(actor=membership) if manage else [],
        "form": form,
        "link": link,
        "manage": manage,
        "role_form": RoleForm(),
    }
    return render(request, "accounts/members.html", context)


@member_required
@require_POST
def member_role(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                actor=membership,
                membership_id=member_id,
                role=form.cleaned_data["role"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Role changed."))
    return redirect("accounts:members")


@member_required
@require_POST
def member_remove(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    leaving = member_id == membership.id
    try:
        services.membership_remove(actor=membership, membership_id=member_id, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:members")
    messages.success(request, _("You left the workspace.") if leaving else _("Member removed."))
    return redirect("inbox:home" if leaving else "accounts:members")


@member_required
@require_POST
def invitation_revoke(
    request: HttpRequest, membership: Membership, invitation_id: int
) -> HttpResponse:
    services.invitation_revoke(actor=membership, invitation_id=invitation_id)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("accounts:members")


@member_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, membership: Membership) -> HttpResponse:
    keys = selectors.api_keys_of(actor=membership)
    form = ApiKeyForm(request.POST or None)
    plaintext = None
    if request.method == "POST" and form.is_valid():
        try:
            _key, plaintext = services.api_key_create(
                actor=membership,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                personal_data=form.cleaned_data["personal_data"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            form = ApiKeyForm()
    context = {"keys": keys, "form": form, "plaintext": plaintext}
    return render(request, "accounts/api_keys.html", context)


@member_required
@require_POST
def api_key_revoke(request: HttpRequest, membership: Membership, key_id: int) -> HttpResponse:
    key = services.api_key_revoke(actor=membership, key_id=key_id, ip=client_ip(request))
    messages.success(request, _("Key “%(name)s” revoked.") % {"name": key.name})
    return redirect("accounts:api_keys")


@member_required
def audit_log(request: HttpRequest, membership: Membership) -> HttpResponse:
    action = request.GET.get("action", "")
    context = {
        "events": selectors.audit_events(actor=membership, action=action),
        "actions": selectors.audit_actions(actor=membership),
        "action": action,
    }
    return render(request, "accounts/audit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(request.POST or None, initial={"name": user.name, "language": user.language})
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=user, name=form.cleaned_data["name"], language=form.cleaned_data["language"]
        )
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
