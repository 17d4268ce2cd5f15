"""The import rules of docs/architecture.md, checked on the source (nothing is imported).

1. A module imports only from its own app or from an app on a lower layer.
2. An app's edges (views, urls, tasks, admin, management commands, templatetags) may
   also import ``pathway``.
3. No import cycle between the project's modules (``bench`` and ``tools`` included),
   counting imports placed inside functions.

Run: ``python -m tools.check_layers`` (``make lint``); exit 1 and a list of findings
when a rule is broken.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. Apps on the same layer never import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("clinics",),
    ("security", "outbox"),
    ("intake",),
    ("treatment", "followups"),
    ("referrals",),
    ("pathway",),
    ("records", "dashboards", "demo"),
    ("config",),
    ("bench", "tools"),
)
LAYER_OF = {app: level for level, apps in enumerate(LAYERS) for app in apps}
EDGE_MODULES = {"views", "urls", "public_urls", "tasks", "admin"}
EDGE_PACKAGES = {"management", "templatetags"}
SKIPPED_PARTS = {"migrations", "tests", ".venv", "node_modules", "var"}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for app in LAYER_OF:
        for path in sorted((root / app).rglob("*.py")):
            if SKIPPED_PARTS.isdisjoint(path.relative_to(root).parts):
                modules[module_name(path, root)] = path
    if (root / "manage.py").exists():
        modules["manage"] = root / "manage.py"
    return modules


def imported_names(path: Path, module: str) -> Iterable[tuple[str, int]]:
    """Every module name imported anywhere in the file (functions included), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # resolve() falls back to ``base`` for a plain name
                yield f"{base}.{alias.name}", node.lineno


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module ``name`` refers to (the longest known prefix), if any."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def is_edge(module: str) -> bool:
    parts = module.split(".")
    return parts[-1] in EDGE_MODULES or not EDGE_PACKAGES.isdisjoint(parts[1:-1])


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for module, path in modules.items():
        for name, line in imported_names(path, module):
            target = resolve(name, modules)
            if target is not None and target != module:
                graph[module].setdefault(target, line)
    return graph


def layer_findings(
    graph: dict[str, dict[str, int]], modules: dict[str, Path], root: Path = ROOT
) -> list[str]:
    findings = []
    for module, targets in sorted(graph.items()):
        app = module.split(".")[0]
        if app not in LAYER_OF:
            continue
        for target, line in sorted(targets.items()):
            other = target.split(".")[0]
            if other == app or other not in LAYER_OF:
                continue
            if LAYER_OF[other] < LAYER_OF[app]:
                continue
            if other == "pathway" and is_edge(module):
                continue
            where = modules[module].relative_to(root)
            findings.append(f"{where}:{line}: {module} imports {target} (not a lower layer)")
    return findings


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def findings(root: Path = ROOT) -> list[str]:
    modules = project_modules(root)
    graph = import_graph(modules)
    result = layer_findings(graph, modules, root)
    result += [f"import cycle: {' <-> '.join(component)}" for component in cycles(graph)]
    return result


def main() -> int:
    problems = findings()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} import rule(s) broken; see docs/architecture.md")
        return 1
    print("imports go down the layers; no import cycles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
