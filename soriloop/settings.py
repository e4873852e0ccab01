"""Soriloop settings: one module, every value from a typed environment reader.

See docs/settings.md for each variable; a test fails when one is undocumented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from soriloop.conf import (
    env_bool,
    env_choice,
    env_hours,
    env_int,
    env_list,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = Path(
    env_str(
        "SORILOOP_DATA_DIR", str(BASE_DIR / "var"), "Folder for the SQLite file, keys, uploads."
    )
)

SECRET_KEY = secret_key(
    "SECRET_KEY",
    DATA_DIR / "secret_key",
    "Django's signing key. Unset: generated once into SORILOOP_DATA_DIR/secret_key.",
)
ENCRYPTION_KEYS = env_list(
    "ENCRYPTION_KEYS",
    [],
    "Keys sealing customer e-mail, phone and name at rest (AES-256-GCM): url-safe base64 of 32"
    " bytes, comma-separated; the first seals, all open (rotation). Unset: one derived from"
    " SECRET_KEY, for development.",
)
BLIND_INDEX_KEY = env_str(
    "BLIND_INDEX_KEY",
    "",
    "Key of the keyed hashes that find customers by e-mail or phone. Unset: derived from"
    " SECRET_KEY. Changing it needs `soriloop customers-reencrypt`.",
)
ERASURE_SYNC_LIMIT = env_int(
    "ERASURE_SYNC_LIMIT",
    500,
    "Records of one customer erased within the DELETE request; more are erased by a task (202).",
    minimum=0,
)
ERASURE_FEEDBACK = env_choice(
    "ERASURE_FEEDBACK",
    "delete",
    ("delete", "redact"),
    "What erasing a customer does to their feedback: delete (text and metadata emptied, the"
    " record leaves lists and metrics) or redact (kept anonymous, personal data in the text masked).",
)
DEBUG = env_bool("DEBUG", False, "Django debug pages. Never on in production.")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"], "Host names Soriloop answers to."
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", [], "Origins (scheme://host) trusted for form posts behind a proxy."
)
SITE_URL = env_str(
    "SITE_URL", "http://127.0.0.1:8000", "Public base URL used in links sent by e-mail."
).rstrip("/")
SECURE_COOKIES = env_bool("SECURE_COOKIES", False, "Send cookies only over HTTPS.")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_AGE = env_int(
    "SESSION_COOKIE_AGE", 60 * 60 * 24 * 14, "Seconds a sign-in lasts.", minimum=60
)
BEHIND_HTTPS_PROXY = env_bool(
    "BEHIND_HTTPS_PROXY",
    False,
    "Trust X-Forwarded-Proto and the last X-Forwarded-For address from a reverse proxy.",
)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_HTTPS_PROXY else None
# HSTS once the site is served over HTTPS (SecurityMiddleware sends it on secure requests only).
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if SECURE_COOKIES or BEHIND_HTTPS_PROXY else 0
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "soriloop.core",
    "soriloop.accounts",
    "soriloop.customers",
    "soriloop.feedback",
    "soriloop.surveys",
    "soriloop.analysis",
    "soriloop.insights",
    "soriloop.inbox",
    "soriloop.loop",
    "soriloop.alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "soriloop.core.security.SecurityHeadersMiddleware",
    "soriloop.core.errors.ApiEnvelopeMiddleware",
    "soriloop.core.errors.NulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "soriloop.accounts.middleware.WorkspaceLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "soriloop.urls"
WSGI_APPLICATION = "soriloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "soriloop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "soriloop.accounts.context.shell",
                "soriloop.alerts.context.bell",
            ],
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    if not url:
        path = DATA_DIR / "soriloop.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=600))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's SQLite backend with a writer queue per file (soriloop/core/sqlite/base.py)
        config["ENGINE"] = "soriloop.core.sqlite"
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY;PRAGMA mmap_size=268435456;"
                "PRAGMA cache_size=-65536;"
                # Checkpoint every ~40 MB of WAL rather than every 4 MB: each checkpoint
                # syncs the file, and imports commit a batch every few thousand rows.
                "PRAGMA wal_autocheckpoint=10000;"
                # Deleted rows are overwritten with zeros: an erased customer (or a dropped
                # plain column) does not linger in free pages of the file.
                "PRAGMA secure_delete=ON;"
            ),
        }
        config["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {})
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured("DATABASE_URL must be sqlite:// or postgres://")
    return config


DATABASES = {
    "default": _database(
        env_str(
            "DATABASE_URL", "", "Unset: SQLite in SORILOOP_DATA_DIR. postgres://... for PostgreSQL."
        )
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "inbox:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

LOGIN_THROTTLE_ATTEMPTS = env_int(
    "LOGIN_THROTTLE_ATTEMPTS",
    5,
    "Failed sign-ins per e-mail from one IP before that pair pauses.",
    minimum=1,
)
LOGIN_THROTTLE_ACCOUNT_ATTEMPTS = env_int(
    "LOGIN_THROTTLE_ACCOUNT_ATTEMPTS",
    20,
    "Failed sign-ins per e-mail from all IPs together before it pauses.",
    minimum=1,
)
LOGIN_THROTTLE_IP_ATTEMPTS = env_int(
    "LOGIN_THROTTLE_IP_ATTEMPTS",
    100,
    "Failed sign-ins per IP, all e-mails together, before that IP pauses.",
    minimum=1,
)
LOGIN_THROTTLE_WINDOW = env_int(
    "LOGIN_THROTTLE_WINDOW", 900, "Seconds the failed sign-ins are counted over.", minimum=1
)

PASSWORD_RESET_PER_EMAIL = env_int(
    "PASSWORD_RESET_PER_EMAIL", 3, "Password-reset requests per e-mail address an hour.", minimum=1
)
PASSWORD_RESET_PER_IP = env_int(
    "PASSWORD_RESET_PER_IP", 20, "Password-reset requests per IP an hour.", minimum=1
)

CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
REDIS_URL = env_str(
    "REDIS_URL",
    "",
    "Unset: per-process memory cache, rate limits counted in the database. redis://... for Redis.",
)
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }

LANGUAGE_CODE = env_choice(
    "LANGUAGE_CODE", "ko", ("ko", "en"), "Language when nothing else decides."
)
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS: list[Any] = [BASE_DIR / "soriloop" / "static"]
# The chart library, installed from package-lock.json by scripts/setup.sh (npm ci).
if (BASE_DIR / "node_modules" / "chart.js" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"))

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend",
    "Django e-mail backend; django.core.mail.backends.smtp.EmailBackend to send for real.",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost", "SMTP server for outgoing mail.")
EMAIL_PORT = env_int("EMAIL_PORT", 25, "SMTP port.", minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "", "SMTP user name.")
EMAIL_HOST_PASSWORD = env_str(
    "EMAIL_HOST_PASSWORD", "", "SMTP password (or EMAIL_HOST_PASSWORD_FILE)."
)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False, "STARTTLS to the SMTP server.")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False, "Implicit TLS to the SMTP server.")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Soriloop <noreply@localhost>", "From address.")

INBOUND_EMAIL_DOMAIN = env_str(
    "INBOUND_EMAIL_DOMAIN",
    "localhost",
    "Domain of the feedback addresses (fb-<token>@domain) and of the case reply addresses (reply+<token>@domain) that `soriloop smtpd` accepts.",
)
SMTPD_HOST = env_str("SMTPD_HOST", "127.0.0.1", "Address `soriloop smtpd` listens on.")
SMTPD_PORT = env_int("SMTPD_PORT", 8025, "Port `soriloop smtpd` listens on.", minimum=1)
SMTPD_MAX_MESSAGE_BYTES = env_int(
    "SMTPD_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, "Largest inbound message accepted.", minimum=1024
)
DELETED_FEEDBACK_RETENTION_DAYS = env_int(
    "DELETED_FEEDBACK_RETENTION_DAYS",
    0,
    "Days a deleted record keeps its text before it is purged; 0 purges at once.",
    minimum=0,
)
FEEDBACK_ANONYMISE_MONTHS = env_int(
    "FEEDBACK_ANONYMISE_MONTHS",
    0,
    "Months (of 30 days) after which a record is made anonymous by the worker; 0: never.",
    minimum=0,
)
CHANGE_LOG_RETENTION_DAYS = env_int(
    "CHANGE_LOG_RETENTION_DAYS",
    7,
    "Days the change log keeps an event every consumer has read.",
    minimum=0,
)
SURVEY_LINK_DAYS = env_int(
    "SURVEY_LINK_DAYS", 30, "Days an invitation's single-use link stays valid.", minimum=1
)
SURVEY_PARTIAL_AFTER_HOURS = env_int(
    "SURVEY_PARTIAL_AFTER_HOURS",
    24,
    "Hours after its last answer a partial response becomes feedback.",
    minimum=1,
)
SURVEY_RATE_PER_IP = env_int(
    "SURVEY_RATE_PER_IP", 60, "Answers a minute one IP may send to public links.", minimum=1
)
WEBHOOK_ALLOWED_PRIVATE_HOSTS = env_list(
    "WEBHOOK_ALLOWED_PRIVATE_HOSTS",
    [],
    "Hosts or networks (CIDR) webhooks may reach although private or loopback.",
)
WEBHOOK_SENDERS = env_int(
    "WEBHOOK_SENDERS", 8, "Threads of a worker sending webhooks, one endpoint each.", minimum=1
)
SURVEY_MAIL_PER_MINUTE = env_int(
    "SURVEY_MAIL_PER_MINUTE",
    120,
    "Survey e-mails (invitations and reminders, every workspace together) sent a minute at most.",
    minimum=1,
)
SURVEY_MAIL_MAX_ATTEMPTS = env_int(
    "SURVEY_MAIL_MAX_ATTEMPTS",
    5,
    "Tries of a survey e-mail the SMTP server answers with a temporary (4xx) error before it fails.",
    minimum=1,
)
SURVEY_QUIET_HOURS = env_hours(
    "SURVEY_QUIET_HOURS",
    "21:00-09:00",
    "Hours (HH:MM-HH:MM in each workspace's zone; blank: none) no survey e-mail is sent.",
)
SURVEY_FATIGUE_GAP_DAYS = env_int(
    "SURVEY_FATIGUE_GAP_DAYS", 14, "Days at least between two surveys to one person.", minimum=0
)
SURVEY_FATIGUE_MAX = env_int(
    "SURVEY_FATIGUE_MAX",
    4,
    "Surveys one person gets at most in SURVEY_FATIGUE_WINDOW_DAYS.",
    minimum=1,
)
SURVEY_FATIGUE_WINDOW_DAYS = env_int(
    "SURVEY_FATIGUE_WINDOW_DAYS", 90, "The window of SURVEY_FATIGUE_MAX, in days.", minimum=1
)
SURVEY_TRIGGER_MAX_LATE_HOURS = env_int(
    "SURVEY_TRIGGER_MAX_LATE_HOURS",
    48,
    "Hours past its due time a triggered survey is still sent (older events send nothing).",
    minimum=1,
)
CHANGE_LOG_LAG_WARN_SECONDS = env_int(
    "CHANGE_LOG_LAG_WARN_SECONDS",
    300,
    "Age of a consumer's oldest unread event past which /healthz says degraded.",
    minimum=1,
)

IMPORT_MAX_BYTES = env_int(
    "IMPORT_MAX_BYTES", 200 * 1024 * 1024, "Largest file an import accepts.", minimum=1024
)
IMPORT_MAX_ROWS = env_int(
    "IMPORT_MAX_ROWS", 2_000_000, "Most rows read from one import file.", minimum=1
)
IMPORT_XLSX_MAX_UNPACKED_BYTES = env_int(
    "IMPORT_XLSX_MAX_UNPACKED_BYTES",
    1024 * 1024 * 1024,
    "Largest total an XLSX workbook may unpack to.",
    minimum=1024 * 1024,
)
IMPORT_XLSX_MAX_SHARED_STRINGS = env_int(
    "IMPORT_XLSX_MAX_SHARED_STRINGS",
    1_000_000,
    "Most distinct strings an XLSX workbook may hold (all are kept in memory).",
    minimum=1,
)

WIDGET_RATE_PER_IP = env_int(
    "WIDGET_RATE_PER_IP", 20, "Widget and hosted-page submissions per minute per IP.", minimum=1
)
WIDGET_RATE_PER_KEY = env_int(
    "WIDGET_RATE_PER_KEY",
    600,
    "Widget and hosted-page submissions per minute per workspace.",
    minimum=1,
)

TASK_BACKEND = env_choice(
    "TASK_BACKEND",
    "database",
    ("database", "immediate"),
    "database: queued in the database, run by `soriloop worker`. immediate: run in the request.",
)
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASK_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default"],
    }
}
WORKER_HEARTBEAT_SECONDS = env_int(
    "WORKER_HEARTBEAT_SECONDS", 5, "How often the worker records that it is alive.", minimum=1
)
WORKER_NICE = env_int(
    "WORKER_NICE",
    10,
    "How much lower the worker's CPU priority is than the web server's (0-19).",
    minimum=0,
)

# Run continuously by each worker, each in its own thread: step(owner=worker_id) -> work done.
WORKER_LOOPS = [
    "soriloop.core.changes.consumers_run",
    "soriloop.analysis.services.analysis_run_batch",
    "soriloop.analysis.meaning.meaning_run_batch",
    "soriloop.insights.rollups.rollups_refresh",
    "soriloop.analysis.emerging.emerging_scan",
    "soriloop.analysis.adapt.adapt_scan",
    "soriloop.feedback.services.feedback_purge_deleted",
    "soriloop.feedback.services.feedback_anonymise_old",
    "soriloop.core.changes.changes_prune",
    "soriloop.surveys.services.responses_record_partial",
    "soriloop.alerts.webhooks.webhooks_deliver",
    "soriloop.alerts.notify.alerts_release_held",
    "soriloop.alerts.aggregates.alert_aggregates_run",
    "soriloop.surveys.sending.survey_mail_send",
    "soriloop.loop.replies.case_replies_send",
    "soriloop.loop.sla.sla_scan",
    "soriloop.customers.erasure.erasures_run",
    "soriloop.customers.risk.churn_models_train_due",
    "soriloop.customers.segments.segments_refresh_due",
]
CASE_REPLY_MAX_ATTEMPTS = env_int(
    "CASE_REPLY_MAX_ATTEMPTS",
    8,
    "Tries of a case reply e-mail before it is marked failed (the pause doubles from 2 minutes).",
    minimum=1,
)
SEGMENT_REFRESH_SECONDS = env_int(
    "SEGMENT_REFRESH_SECONDS",
    3600,
    "Seconds between two full refreshes of a segment whose rule has a time window or a churn risk.",
    minimum=60,
)
CHURN_TRAIN_SECONDS = env_int(
    "CHURN_TRAIN_SECONDS",
    7 * 24 * 3600,
    "Seconds between two trainings of a workspace's churn model by the worker.",
    minimum=3600,
)
ADAPT_SECONDS = env_int(
    "ADAPT_SECONDS",
    7 * 24 * 3600,
    "Seconds between two adaptations of a workspace's sentiment head (when it has new corrections).",
    minimum=3600,
)
CX_DEV_DIR = Path(
    env_str(
        "SORILOOP_CX_DEV_DIR",
        str(BASE_DIR / "testdata" / "cx"),
        "Folder of the customer-service dev sets (ko.jsonl, en.jsonl) an adapted sentiment head must not do worse on.",
    )
)
ROLLUP_REFRESH_SECONDS = env_int(
    "ROLLUP_REFRESH_SECONDS",
    2,
    "Seconds a day's dashboard rollups wait at least between two recounts while records keep arriving.",
    minimum=0,
)
ALERT_AGGREGATE_SECONDS = env_int(
    "ALERT_AGGREGATE_SECONDS",
    60,
    "Seconds between two checks of an aggregate alert rule over the rollups.",
    minimum=5,
)
BELL_POLL_SECONDS = env_int(
    "BELL_POLL_SECONDS",
    15,
    "Seconds between two looks of an open page at the notification bell's unread count.",
    minimum=1,
)
DIGEST_HOUR = env_int(
    "DIGEST_HOUR",
    8,
    "Local hour (0-23, the workspace's time zone) from which daily and weekly digest e-mails go out.",
    minimum=0,
)
if DIGEST_HOUR > 23:
    raise ImproperlyConfigured("DIGEST_HOUR must be an hour from 0 to 23")
EMERGING_SCAN_SECONDS = env_int(
    "EMERGING_SCAN_SECONDS",
    3600,
    "Seconds between two looks for emerging issues in a workspace (when it has new negative feedback).",
    minimum=60,
)

# Run by each worker now and then (recovering imports whose worker died, ...).
WORKER_MAINTENANCE = [
    "soriloop.feedback.imports.imports_recover",
    "soriloop.analysis.services.analysis_release_orphans",
    "soriloop.core.heartbeat.heartbeat_report_stopped",
    "soriloop.core.ratelimit.rate_counters_prune",
    "soriloop.surveys.sending.survey_mail_release_orphans",
    "soriloop.insights.rollups.hour_rollups_prune",
    "soriloop.alerts.digests.digests_send",
    "soriloop.loop.replies.case_replies_release_orphans",
]

API_MAX_BODY_BYTES = env_int(
    "API_MAX_BODY_BYTES", 32 * 1024 * 1024, "Largest request body the API accepts.", minimum=1024
)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
FILE_UPLOAD_HANDLERS = [
    "soriloop.feedback.uploads.SizeLimitedUpload",  # first: it sees every chunk
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
API_RATE_PER_KEY = env_int(
    "API_RATE_PER_KEY", 3000, "API requests per minute for one key (0: no limit).", minimum=0
)
API_RATE_PER_WORKSPACE = env_int(
    "API_RATE_PER_WORKSPACE",
    6000,
    "API requests per minute for one workspace, all its keys together (0: no limit).",
    minimum=0,
)
METRICS_MAX_POINTS = env_int(
    "METRICS_MAX_POINTS",
    400,
    "Most buckets a /metrics series answers; a longer period or finer grain is refused with 422.",
    minimum=10,
)
API_KEY_CACHE_SECONDS = env_int(
    "API_KEY_CACHE_SECONDS",
    5,
    "Seconds a process trusts an API key it checked; a revoked key stops within this.",
    minimum=0,
)

LOG_LEVEL = env_choice(
    "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"), "Level of Soriloop's own logs."
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "soriloop": {"handlers": ["console"], "level": LOG_LEVEL},
        "django": {"handlers": ["console"], "level": "WARNING"},
    },
}
