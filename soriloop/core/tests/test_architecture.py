"""The rooms of ARCHITECTURE.md, checked on every import of the package.

An app imports only its own modules and the apps below it; nothing imports upward, so there is
no cycle, and no import hides inside a function to dodge one. Writers tell readers about a
change through the change log (core.changes), never by calling them."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]

# Lowest first. A module may import from its own room and from any room below it.
LAYERS: list[set[str]] = [
    {"conf", "analysis.engine"},  # pure: settings helpers and the Django-free engine
    {"core"},  # the change log, supervision, heartbeat, errors, rate limits
    {"accounts"},
    {"customers"},
    {"feedback"},  # intake and storage
    {"analysis"},  # the analysis queue and everything it derives
    {"insights"},
    {"surveys"},
    {"loop", "alerts"},
    {"inbox"},  # the pages people read feedback in, home and the demo
    {"api", "urls", "settings", "wsgi", "cli"},
]

# In-function imports that are not there to dodge a cycle, each with its reason.
LATE_IMPORTS_ALLOWED = {
    "cli.py": "the command line imports Django code only after django.setup()",
    "analysis/management/commands/eval.py": "the peers need optional dev packages",
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing file, relative to the package
    target: str  # "soriloop.x.y"
    line: int
    late: bool  # inside a function


def room_of(dotted: str) -> str:
    """The room of ``soriloop.analysis.engine.pii`` is "analysis.engine", of
    ``soriloop.feedback.models`` "feedback"."""
    parts = dotted.split(".")[1:]
    if parts[:2] == ["analysis", "engine"]:
        return "analysis.engine"
    return parts[0] if parts else ""


def level(room: str) -> int:
    for index, rooms in enumerate(LAYERS):
        if room in rooms:
            return index
    raise AssertionError(f"room {room!r} is not in LAYERS: put the new app where it belongs")


def module_dotted(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Import] = []
    name = str(path.relative_to(PACKAGE))

    def visit(node: ast.AST, late: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = late or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module.startswith("soriloop"):
                    found.append(Import(name, child.module, child.lineno, late))
            elif isinstance(child, ast.Import):
                found.extend(
                    Import(name, alias.name, child.lineno, late)
                    for alias in child.names
                    if alias.name.startswith("soriloop")
                )
            visit(child, inner)

    visit(tree, False)
    return found


def product_modules() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "tests" not in p.parts and "migrations" not in p.parts and p.name != "conftest.py"
    ]


def all_imports() -> list[Import]:
    return [i for p in product_modules() for i in imports_of(p)]


def test_no_app_imports_one_above_it() -> None:
    upward = []
    for imp in all_imports():
        here = room_of(module_dotted(PACKAGE / imp.module))
        there = room_of(imp.target)
        if there == "" or there == here:
            continue
        if imp.module.endswith("apps.py") and imp.late:
            continue  # AppConfig.ready registers the app's own consumers
        if level(there) > level(here):
            upward.append(f"{imp.module}:{imp.line} ({here}) imports {imp.target} ({there})")
    assert upward == [], "imports running upward:\n" + "\n".join(upward)


def test_no_import_hides_inside_a_function() -> None:
    hidden = [
        f"{imp.module}:{imp.line} imports {imp.target} inside a function"
        for imp in all_imports()
        if imp.late
        and imp.module not in LATE_IMPORTS_ALLOWED
        and not (imp.module.endswith("apps.py") and room_of(imp.target) != "")
    ]
    assert hidden == []


def test_no_writer_calls_the_rollups() -> None:
    callers = [
        str(p.relative_to(PACKAGE))
        for p in product_modules()
        if "rollups_mark" in p.read_text(encoding="utf-8") and "insights" not in p.parts
    ]
    assert callers == [], "append to the change log instead"


def test_the_import_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for imp in all_imports():
        graph.setdefault(module_dotted(PACKAGE / imp.module), set()).add(imp.target)
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*stack, node, nxt]))
            if nxt not in state:
                walk(nxt, [*stack, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [])


@pytest.mark.parametrize(
    ("source", "fails_with"),
    [
        ("from soriloop.insights.rollups import rollups_mark\n", "upward"),
        ("def f():\n    from soriloop.feedback.tasks import x\n", "hidden"),
    ],
)
def test_the_checks_catch_what_they_are_for(tmp_path: Path, source: str, fails_with: str) -> None:
    """A positive control: the walk does see an upward or a hidden import."""
    module = PACKAGE / "feedback" / "_architecture_probe.py"
    module.write_text(source, encoding="utf-8")
    try:
        probe = imports_of(module)
        (imp,) = probe
        if fails_with == "upward":
            assert level(room_of(imp.target)) > level(room_of(module_dotted(module)))
        else:
            assert imp.late
    finally:
        module.unlink()
