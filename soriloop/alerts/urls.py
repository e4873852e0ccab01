from django.urls import path

from soriloop.alerts import views

app_name = "alerts"

urlpatterns = [
    path("alerts/", views.alerts_page, name="alerts"),
    path("alerts/bell/", views.bell, name="bell"),
    path("alerts/rules/", views.rules_page, name="rules"),
    path("alerts/rules/<int:rule_id>/", views.rules_page, name="rule_edit"),
]
