"""The layout's rules, read from the code itself (ast over src/aidis): no import circle between modules
or between packages, no arrow from below the surfaces up to a surface, surfaces never reach past the
services, domains never take another domain's private names, the hook fast path stays standard-library
only, and modules and domains stay small. See docs/architecture.md."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
SURFACES = {"cli", "mcp", "web", "replayer", "bench", "entry"}
BELOW_SURFACES = {"services", "repositories", "db", "hooks", "agents"} | {
    "config",
    "embedding_spec",
    "enums",
    "errors",
    "records",
    "schemas",
    "search_syntax",
    "telemetry",
    "textrules",
}
MAX_LINES = 400
MAX_DOMAIN_MODULES = 12


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    imports: dict[str, set[str]] = field(default_factory=dict)  # imported module → names taken from it

    @property
    def top(self) -> str:
        """The first package under `aidis` ("services", "mcp", "app" …)."""
        return self.name.split(".")[1] if "." in self.name else ""


def load_modules(root: Path = SRC / "aidis") -> dict[str, Module]:
    """Every module under `root` with the aidis modules it imports (function-level imports included:
    a circle through a lazy import is still a circle in the design)."""
    modules: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        modules[name] = Module(name, path, is_package)
    for module in modules.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = _from_import(node, modules)
            elif isinstance(node, ast.Import):
                targets = [(a.name, set()) for a in node.names]
            else:
                continue
            for target, names in targets:
                if target.split(".")[0] == "aidis" and target != module.name:
                    module.imports.setdefault(target, set()).update(names)
    return modules


def _from_import(node: ast.ImportFrom, modules: dict[str, Module]) -> list[tuple[str, set[str]]]:
    assert node.module is not None
    out: list[tuple[str, set[str]]] = []
    for alias in node.names:
        submodule = f"{node.module}.{alias.name}"
        if submodule in modules:  # `from aidis.repositories import sessions` imports a module
            out.append((submodule, set()))
        else:
            out.append((node.module, {alias.name}))
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each a circle of imports."""
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def module_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    """Module → modules it imports (a submodule import does not count as importing its package's
    `__init__`: Python runs it first, but the design arrow is to the submodule)."""
    return {m.name: {t for t in m.imports if t in modules} for m in modules.values()}


def package_graph(modules: dict[str, Module], depth: int) -> dict[str, set[str]]:
    """Package → packages it imports, at `depth` name parts (3: aidis.services.sessions …)."""

    def package(name: str) -> str:
        return ".".join(name.split(".")[:depth])

    graph: dict[str, set[str]] = {}
    for module in modules.values():
        mine = package(module.name)
        for target in module.imports:
            theirs = package(target)
            if theirs != mine and target in modules:
                graph.setdefault(mine, set()).add(theirs)
    return graph


def _top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def domain_of(name: str) -> str | None:
    """`sessions` for aidis.services.sessions.lifecycle; None outside a services domain."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[1] == "services" and parts[2] not in ("base", "caller", "principal"):
        return parts[2]
    return None


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return load_modules()


def test_no_import_circle_between_modules(modules: dict[str, Module]) -> None:
    assert cycles(module_graph(modules)) == []


@pytest.mark.parametrize("depth", [2, 3])
def test_no_import_circle_between_packages(modules: dict[str, Module], depth: int) -> None:
    assert cycles(package_graph(modules, depth)) == []


def test_nothing_below_the_surfaces_imports_a_surface_or_the_app(modules: dict[str, Module]) -> None:
    upward = [
        f"{m.name} → {target}"
        for m in modules.values()
        if m.top in BELOW_SURFACES
        for target in m.imports
        if _top(target) in SURFACES | {"app"}
    ]
    assert upward == []


def test_surfaces_reach_the_database_only_through_services(modules: dict[str, Module]) -> None:
    reaching = [
        f"{m.name} → {target}"
        for m in modules.values()
        if m.top in SURFACES
        for target in m.imports
        if _top(target) in ("repositories", "db")
    ]
    assert reaching == []


def test_repositories_hold_sql_only_and_never_call_services(modules: dict[str, Module]) -> None:
    assert [
        f"{m.name} → {t}"
        for m in modules.values()
        if m.top == "repositories"
        for t in m.imports
        if _top(t) == "services"
    ] == []


def test_no_domain_takes_another_domains_private_names(modules: dict[str, Module]) -> None:
    private = [
        f"{m.name} → {target}:{','.join(sorted(names))}"
        for m in modules.values()
        for target, names in m.imports.items()
        if domain_of(target) is not None and domain_of(target) != domain_of(m.name)
        if any(part.startswith("_") and part != "__init__" for part in target.split("."))
        or any(name.startswith("_") for name in names)
    ]
    assert private == []


def test_the_hook_fast_path_imports_only_the_standard_library(modules: dict[str, Module]) -> None:
    stdlib = set(sys.stdlib_module_names)
    for module in (m for m in modules.values() if m.top == "hooks"):
        tree = ast.parse(module.path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: Iterable[str] = ()
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib or name.startswith("aidis.hooks") or top == "__future__", (
                    f"{module.name} imports {name}"
                )


def test_modules_stay_under_the_size_limit(modules: dict[str, Module]) -> None:
    big = {
        m.name: n
        for m in modules.values()
        if (n := len(m.path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}


def test_every_services_domain_is_small_and_says_what_it_owns(modules: dict[str, Module]) -> None:
    domains = {domain_of(m.name) for m in modules.values()} - {None}
    assert {"sessions", "memory", "projects", "agents", "operations"} <= domains
    for domain in domains:
        members = [m for m in modules.values() if domain_of(m.name) == domain and not m.is_package]
        assert len(members) <= MAX_DOMAIN_MODULES, f"services/{domain} has {len(members)} modules"
        face = modules[f"aidis.services.{domain}"]
        doc = ast.get_docstring(ast.parse(face.path.read_text(encoding="utf-8"))) or ""
        assert "May call" in doc, f"services/{domain}/__init__.py must say which domains it may call"


def test_every_module_says_what_it_keeps(modules: dict[str, Module]) -> None:
    undocumented = [
        m.name
        for m in modules.values()
        if not ast.get_docstring(ast.parse(m.path.read_text(encoding="utf-8")))
        and m.path.read_text(encoding="utf-8").strip()
    ]
    assert undocumented == []


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """The checks above can fail: a planted circle, an upward import and a private name are found."""
    pkg = tmp_path / "aidis"
    for folder in ("services/sessions", "services/memory", "web"):
        (pkg / folder).mkdir(parents=True)
    for init in ("", "services", "services/sessions", "services/memory", "web"):
        (pkg / init / "__init__.py").write_text('"""p."""\n')
    (pkg / "services/sessions/a.py").write_text(
        '"""a."""\nfrom aidis.services.memory.b import thing\nfrom aidis.web.page import x\n'
    )
    (pkg / "services/memory/b.py").write_text('"""b."""\nfrom aidis.services.sessions.a import _hidden\n')
    (pkg / "web/page.py").write_text('"""page."""\nx = 1\n')
    planted = load_modules(pkg)
    assert cycles(module_graph(planted)) == [["aidis.services.memory.b", "aidis.services.sessions.a"]]
    assert cycles(package_graph(planted, 3)) == [["aidis.services.memory", "aidis.services.sessions"]]
    a = planted["aidis.services.sessions.a"]
    assert "aidis.web.page" in a.imports and a.top in BELOW_SURFACES
    b = planted["aidis.services.memory.b"]
    assert b.imports["aidis.services.sessions.a"] == {"_hidden"}
