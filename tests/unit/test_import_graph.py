"""The module graph of render/ stays a graph without circles (issue 20, item 7), counting the
imports hidden inside functions too, and the spec stays the bottom layer: it imports nothing of
the pipeline above it (interaction, media, layers, programme, ...). Read from the source with
ast, so a circle is found even where a lazy import keeps it from failing at import time."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "render"


def modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(name: str) -> dict[str, tuple[int, bool]]:
    """render modules `name` imports -> (line, inside a function); `if TYPE_CHECKING:` blocks
    are types only and do not count."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, tuple[int, bool]] = {}

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    pkg = package
                    for _ in range(child.level - 1):
                        pkg = pkg.rpartition(".")[0]
                    base = f"{pkg}.{base}" if base else pkg
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in child.names]
            for t in targets:
                r = _resolve(t) if t.split(".")[0] == "render" else None
                if r is not None and r != name:
                    found.setdefault(r, (child.lineno, inner))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def circles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            connect(v)
    return out


def _describe(comp: list[str]) -> str:
    lines = []
    for a in comp:
        for b, (line, inner) in GRAPH[a].items():
            if b in comp:
                lines.append(f"{a} -> {b} ({MODULES[a].name}:{line}{', inside a function' if inner else ''})")
    return "\n".join(lines)


def test_the_walker_sees_imports_inside_functions():
    # the console's route module is handed the app's body parsers instead of importing the app
    assert "render.api.console_routes" in GRAPH["render.api.app"]
    assert "render.programme.commands" in GRAPH["render.programme.core"]
    lazy = [m for m, (_, inner) in GRAPH["render.cli"].items() if inner]
    assert "render.preview" in lazy  # the command line imports its stages when it runs them


def test_no_import_circles():
    found = circles()
    assert not found, "import circles:\n" + "\n\n".join(_describe(c) for c in found)


# The spec is the bottom layer: models, loading and validation. Besides itself it may use these
# (each imports nothing of the pipeline: render.speech.ssml is a pure parser of the script text).
SPEC_MAY_USE = {"render.errors", "render.speech.ssml"}


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m.startswith("render.spec")))
def test_the_spec_imports_nothing_above_it(name):
    above = {m: at for m, at in GRAPH[name].items() if not m.startswith("render.spec") and m not in SPEC_MAY_USE}
    assert not above, f"{name} imports {above} (line, inside a function)"


def test_what_the_spec_uses_stays_below_it():
    for name in SPEC_MAY_USE:
        assert set(GRAPH[name]) <= {"render.errors"}, (name, GRAPH[name])


def test_commands_and_reactions_do_not_import_the_core():
    for name in ("render.programme.commands", "render.programme.reactions", "render.programme.effects"):
        assert "render.programme.core" not in GRAPH[name]
        assert "render.programme" not in GRAPH[name]  # the package's __init__ is the core's Programme
