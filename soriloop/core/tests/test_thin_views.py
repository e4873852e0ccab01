"""Views and API endpoints stay thin: they parse, check access, call a selector or a service
and render (DESIGN.md). None of them queries a model itself; a read it needs is a selector of
the app that owns the table, so the pages and the API ask the same function."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from django.db import models

PACKAGE = Path(__file__).resolve().parents[2]

MANAGERS = {"objects", "_default_manager", "_base_manager"}
# QuerySet methods no str, list or dict of a view has: calling one builds a query, on a manager
# or on a queryset a selector returned. (count, get, values, update, exists are left out:
# strings, dicts and forms have them too.)
QUERY_METHODS = {
    "filter", "exclude", "select_related", "prefetch_related", "annotate", "aggregate",
    "values_list", "order_by", "only", "defer", "distinct", "extra", "raw", "in_bulk",
    "get_or_create", "update_or_create", "bulk_create", "bulk_update", "select_for_update",
}  # fmt: skip
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}  # they query the model they are given


def thin_modules() -> list[Path]:
    """Every views.py and api.py of the package (tests aside)."""
    found = [*PACKAGE.rglob("views.py"), *PACKAGE.rglob("api.py")]
    return sorted(p for p in found if "tests" not in p.relative_to(PACKAGE).parts)


def model_classes(tree: ast.Module) -> set[str]:
    """The local names of the Django model classes the module imports from a models module
    (choices and constants imported beside them are not models)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(".models"):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if isinstance(value, type) and issubclass(value, models.Model):
                    names.add(alias.asname or alias.name)
    return names


def queries_in(source: str) -> list[str]:
    """Where the module's code queries the database itself, as "line: what"."""
    tree = ast.parse(source)
    classes = model_classes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            found.append(f"{node.lineno}: .{node.attr}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in QUERY_METHODS:
            found.append(f"{node.lineno}: .{func.attr}()")
        elif isinstance(func, ast.Name) and func.id in SHORTCUTS:
            found.append(f"{node.lineno}: {func.id}()")
        elif isinstance(func, ast.Name) and func.id in classes:
            found.append(f"{node.lineno}: {func.id}() builds a row")
    return found


def test_no_view_or_endpoint_queries_a_model() -> None:
    modules = thin_modules()
    names = {str(p.relative_to(PACKAGE)) for p in modules}
    assert {"insights/views.py", "insights/api.py", "accounts/views.py", "core/views.py"} <= names
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in modules
        if (found := queries_in(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "move these reads into the owning app's selectors.py"


def test_the_check_finds_each_way_a_view_can_query() -> None:
    # What insights, analysis and accounts views did before their selectors existed.
    source = """
from django.shortcuts import get_object_or_404
from soriloop.accounts.models import User
from soriloop.analysis.models import EmergingIssue
from soriloop.feedback.models import Channel, Feedback

def page(request, workspace, records, pk):
    issues = EmergingIssue.objects.filter(workspace=workspace, status="proposed")
    exists = User._default_manager.exists()
    newest = records.select_related("customer").order_by("-received_at")
    issue = get_object_or_404(EmergingIssue, pk=pk)
    Feedback(workspace=workspace, text="x")
    return Channel.choices
"""
    assert sorted(queries_in(source)) == [
        "10: .order_by()",
        "10: .select_related()",
        "11: get_object_or_404()",
        "12: Feedback() builds a row",
        "8: .filter()",
        "8: .objects",
        "9: ._default_manager",
    ]


def test_the_check_lets_a_thin_view_through() -> None:
    source = """
from soriloop.accounts.models import Membership
from soriloop.feedback.models import Channel
from soriloop.insights.selectors import dashboard_get

def dashboard(request, membership: Membership):
    board = dashboard_get(workspace=membership.workspace, filters=None, grain="day")
    context = {"channels": dict(Channel.choices), "grain": request.GET.get("grain", "day")}
    context.update(page=request.GET.get("page"), names=sorted(filter(None, ["a", ""])))
    return board, context
"""
    assert queries_in(source) == []
