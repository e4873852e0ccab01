from django.urls import path

from soriloop.analysis import views

app_name = "analysis"

urlpatterns = [
    path("settings/analysis/", views.analysis_settings, name="settings"),
    path("settings/topics/", views.topics, name="topics"),
    path("settings/topics/<int:topic_id>/", views.topics, name="topic_edit"),
    path("settings/reanalyze/", views.reanalyze, name="reanalyze"),
    path("settings/analysis/adapt/", views.adapt, name="adapt"),
    path("settings/analysis/model/", views.model_use, name="model_use"),
    path("inbox/<int:feedback_id>/correct/", views.correct, name="correct"),
    path("dashboard/emerging/", views.emerging, name="emerging"),
]
