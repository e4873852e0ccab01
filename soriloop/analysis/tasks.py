"""Background work of the analysis context. Tasks take ids and re-read state."""

from __future__ import annotations

import logging

from django_tasks import task

from soriloop.accounts.models import Workspace
from soriloop.analysis.adapt import adapt_workspace

logger = logging.getLogger(__name__)


@task()
def analysis_adapt(workspace_id: int) -> str:
    """Adapt a workspace's sentiment head and topics to its corrections now (Settings →
    Analysis → "Learn now"); returns what was switched in."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return "workspace gone"
    report = adapt_workspace(workspace=workspace)
    logger.info("adapted workspace %s: %s", workspace_id, report)
    return ", ".join(
        f"{kind}: {'switched in' if r['switched_in'] else 'kept'}" for kind, r in report.items()
    )
