"""A bare Django insert endpoint and a bare page: the floors Soriloop's ingest and its
survey page are compared against.

One model; one view that parses JSON and inserts a row, one that reads a row and returns a
page of the survey page's size; same SQLite tuning, same server.
"""

import json
import os
from pathlib import Path

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

DB = Path(os.environ.get("BARE_DB", "/tmp/soriloop-bare.sqlite3"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DB),
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
            },
        }
    },
    USE_TZ=True,
)
django.setup()


class Note(models.Model):
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bare"
        db_table = "bare_note"

    def __str__(self) -> str:
        return self.text[:40]


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    note = Note.objects.create(text=body.get("text", ""))
    return JsonResponse({"id": note.pk}, status=201)


PAGE = "<!doctype html><html><body><form>{}</form></body></html>"


def page(request: HttpRequest) -> HttpResponse:
    note = Note.objects.order_by("id").first()
    fields = "".join(
        f'<label><input type="radio" name="q" value="{i}">{i}</label>' for i in range(11)
    )
    return HttpResponse(PAGE.format((note.text if note else "") + fields * 6))


urlpatterns = [path("insert", insert), path("page", page)]


def create_table() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(Note)


application = WSGIHandler()
