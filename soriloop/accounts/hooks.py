"""Steps the apps above accounts add to the creation of a workspace.

accounts stands below every other app (they import it, it imports none of them), yet a new
workspace needs things they own: analysis gives it the starter topics. Such an app registers a
step from its ``AppConfig.ready()``; ``workspace_create`` runs every registered step, in the
order they were registered, inside the transaction that creates the workspace. A workspace
therefore never exists without them, and no read has to make up for a missing one.

Why not the alternatives: the change log's consumers run later in the worker, while the first
page after sign-up already needs the topics; a Django signal would hold its receivers weakly
and pass them untyped keyword arguments for what is one typed call.
"""

from __future__ import annotations

from typing import Protocol

from soriloop.accounts.models import Workspace


class WorkspaceSetup(Protocol):
    """One app's step on a new workspace; it raises to roll the workspace back."""

    def __call__(self, *, workspace: Workspace) -> None: ...


_setups: list[WorkspaceSetup] = []


def workspace_setup_register(setup: WorkspaceSetup) -> None:
    """Run ``setup`` on every workspace created from now on (registering twice is once)."""
    if setup not in _setups:
        _setups.append(setup)


def workspace_setups_run(*, workspace: Workspace) -> None:
    """Run the registered steps on a workspace just created (in its transaction)."""
    for setup in _setups:
        setup(workspace=workspace)
