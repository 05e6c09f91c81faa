"""fastnn's import graph: every import of a fastnn module (top-level or inside a function).

Prints the edges' count, the import cycles (strongly connected components of more than
one module) and the imports of another package's private modules or names.  Run as
``python scripts/import_graph.py``; ``tests/test_imports.py`` asserts both lists empty.
"""

from __future__ import annotations

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fastnn"


def modules() -> dict[str, pathlib.Path]:
    """Every module of the fastnn package by dotted name."""
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(module: str, name: str | None, known) -> str:
    if name is not None and f"{module}.{name}" in known:
        return f"{module}.{name}"
    return module


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(known: dict[str, pathlib.Path]) -> dict[str, set[tuple[str, str | None]]]:
    """{module: {(imported module, imported name or None)}} for fastnn modules."""
    edges: dict[str, set] = {m: set() for m in known}
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Imports for the type checker only never run, so they make no cycle.
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and _is_type_checking(node.test)
            for statement in node.body
            for inner in ast.walk(statement)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "fastnn" and alias.name in known:
                        edges[module].add((alias.name, None))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                if base.split(".")[0] != "fastnn":
                    continue
                for alias in node.names:
                    target = _resolve(base, alias.name, known)
                    name = None if target != base else alias.name
                    edges[module].add((target, name))
    return edges


def cycles(edges) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph = {m: sorted({t for t, _ in targets if t != m}) for m, targets in edges.items()}
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _package(module: str, known) -> str:
    return module if known[module].name == "__init__.py" else module.rpartition(".")[0]


def private_imports(edges, known) -> list[str]:
    """Imports of a private module or name that belongs to another package.

    ``fastnn.P._x`` (or a private name of a module of package ``P``) may be imported from
    inside ``P`` only; the top-level ``fastnn._x`` modules belong to all of fastnn.
    """
    found = []
    for module, targets in edges.items():
        for target, name in targets:
            owner = _package(target, known)
            parts = target.split(".")[1:]
            private_module = any(p.startswith("_") and p != "__init__" for p in parts)
            if private_module:
                # the package that owns the private part: everything above the first _part
                parts = target.split(".")
                first = next(i for i, p in enumerate(parts) if i and p.startswith("_"))
                owner = ".".join(parts[:first])
            elif not (name and name.startswith("_")):
                continue
            if not (module == owner or module.startswith(owner + ".")):
                found.append(f"{module} -> {target}{'' if name is None else ':' + name}")
    return sorted(found)


def main() -> int:
    known = modules()
    edges = imports(known)
    found = cycles(edges)
    private = private_imports(edges, known)
    print(f"{len(known)} modules, {sum(len({t for t, _ in e}) for e in edges.values())} edges")
    print(f"{len(found)} cycles")
    for component in found:
        print("  cycle: " + " <-> ".join(component))
    print(f"{len(private)} cross-package private imports")
    for line in private:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
