from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from soriloop.accounts.models import ApiScope, Language, Role

TIMEZONES = sorted(zoneinfo.available_timezones())


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class SignUpForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password_again = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        elif data.get("password"):
            try:
                validate_password(data["password"])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=120)
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=[(tz, tz) for tz in TIMEZONES], initial="Asia/Seoul"
    )
    default_language = forms.ChoiceField(
        label=_("Default language"), choices=Language.choices, initial=Language.KOREAN
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=80)
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiScope.choices, initial=ApiScope.READ)
    personal_data = forms.BooleanField(
        label=_("Show personal data in full"),
        required=False,
        help_text=_("Off: phone numbers, e-mails and the like are masked, as agents see them."),
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("As my browser asks")), *Language.choices],
        required=False,
    )


class DeleteWorkspaceForm(forms.Form):
    confirm_name = forms.CharField(label=_("Type the workspace name to confirm"))
