from django.contrib.auth import views as auth_views
from django.urls import path

from soriloop.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.sign_in, name="login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/language/", views.set_language, name="set_language"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("workspaces/new/", views.workspace_new, name="workspace_new"),
    path("workspaces/switch/", views.workspace_switch, name="workspace_switch"),
    path("settings/", views.workspace_settings, name="settings"),
    path("settings/delete/", views.workspace_delete, name="workspace_delete"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:member_id>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "settings/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("settings/audit/", views.audit_log, name="audit"),
]
