from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults

from soriloop.api import api
from soriloop.core.errors import envelope

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("soriloop.accounts.urls")),
    path("", include("soriloop.feedback.urls")),
    path("", include("soriloop.analysis.urls")),
    path("", include("soriloop.insights.urls")),
    path("", include("soriloop.surveys.urls")),
    path("", include("soriloop.alerts.urls")),
    path("", include("soriloop.loop.urls")),
    path("", include("soriloop.customers.urls")),
    path("", include("soriloop.inbox.urls")),
    path("", include("soriloop.core.urls")),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return envelope(404, "Not found.")
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return envelope(500, "Something went wrong on our side; it is logged.")
    return defaults.server_error(request)
