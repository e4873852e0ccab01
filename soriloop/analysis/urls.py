from django.urls import path

from soriloop.analysis import views

app_name = "analysis"

urlpatterns = [path("settings/analysis/", views.analysis_settings, name="settings")]
