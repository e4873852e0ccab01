"""The JSON API at /api/v1, documented at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from soriloop.accounts.api import router as accounts_router
from soriloop.alerts.api import inbound_router
from soriloop.alerts.api import router as alerts_router
from soriloop.alerts.api import rules_router as alert_rules_router
from soriloop.analysis.api import router as analysis_router
from soriloop.core import errors
from soriloop.customers.api import router as customers_router
from soriloop.inbox.api import router as feedback_router  # intake and reading of records
from soriloop.insights.api import router as insights_router
from soriloop.loop.api import router as loop_router
from soriloop.surveys.api import router as surveys_router
from soriloop.surveys.distribution_api import router as survey_sending_router

api = NinjaAPI(
    title="Soriloop API",
    version="1",
    description=(
        "Authenticate with `Authorization: Bearer <key>`; create keys under Settings → API keys. "
        'Every error answers `{"error": {"code", "message", "fields"}}`.'
    ),
    urls_namespace="api-v1",
)
errors.install(api)
api.add_router("", accounts_router)
api.add_router("", feedback_router)
api.add_router("", analysis_router)
api.add_router("", insights_router)
api.add_router("", surveys_router)
api.add_router("", alerts_router)
api.add_router("", alert_rules_router)
api.add_router("", inbound_router)
api.add_router("", survey_sending_router)
api.add_router("", customers_router)
api.add_router("", loop_router)
