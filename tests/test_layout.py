"""Guardrails on the package layout: layers point one way, no import circles, small modules,
one documented concern per subpackage. Failure messages name the import/module and the rule."""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "redline"

# An import may point only to its own layer or a lower one; peers in one layer may not import each other
# unless listed in ALLOWED (discovery may use monitor, cli may use web).
LAYERS: dict[str, int] = {"core": 0, "ingest": 1, "text": 1, "registry": 1, "store": 2, "alerts": 3,
                          "monitor": 4, "discovery": 5, "orchestration": 6, "web": 7, "cli": 8, "demo": 9}
ALLOWED = {("discovery", "monitor"), ("cli", "web")}
MAX_LINES = 400
# Data tables, not logic: longer than MAX_LINES is fine. (Empty today: no module is a pure data table.)
LONG_ALLOWED: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Every redline module `name` imports (absolute and relative, also inside functions), with its line."""
    is_pkg = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append((mod, node.lineno))
            found += [(f"{mod}.{a.name}", node.lineno) for a in node.names if f"{mod}.{a.name}" in MODULES]
    return [(m, line) for m, line in found if m == "redline" or m.startswith("redline.")]


def _resolve(mod: str) -> str | None:
    while mod and mod not in MODULES:
        mod = mod.rpartition(".")[0]
    return mod or None


def _subpackage(mod: str) -> str | None:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_layers_point_one_way() -> None:
    bad = []
    for name, path in MODULES.items():
        here = _subpackage(name)
        if name == "redline" or here is None:  # redline/__init__.py re-exports everything
            continue
        for mod, line in _imports(name, path):
            there = _subpackage(mod)
            if there is None or there == here or (here, there) in ALLOWED:
                continue
            if LAYERS[there] > LAYERS[here]:
                bad.append(f"{path.relative_to(SRC)}:{line}: {name} imports {mod}: "
                           f"{here} (layer {LAYERS[here]}) may not import the higher layer {there} ({LAYERS[there]})")
            elif LAYERS[there] == LAYERS[here]:
                bad.append(f"{path.relative_to(SRC)}:{line}: {name} imports {mod}: "
                           f"{here} and {there} are peers (layer {LAYERS[here]}) and may not import each other")
            if mod == "redline":
                bad.append(f"{path.relative_to(SRC)}:{line}: {name} imports the top-level redline package")
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        if name == "redline":
            continue
        graph[name] = {t for m, _ in _imports(name, path)
                       if (t := _resolve(m)) and t != name and t != "redline" and not name.startswith(t + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles() -> None:
    graph = _graph()
    circles = _cycles(graph)
    lines = []
    for comp in circles:
        edges = [f"{a} -> {b}" for a in comp for b in sorted(graph[a]) if b in comp]
        lines.append("circle among " + ", ".join(comp) + ": " + "; ".join(edges))
    assert not circles, "import circles (no module may import itself back):\n" + "\n".join(lines)


def test_no_module_over_400_lines() -> None:
    long = []
    for name, path in MODULES.items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES and name not in LONG_ALLOWED:
            long.append(f"{path.relative_to(SRC)}: {n} lines (rule: at most {MAX_LINES}, or listed as a data table)")
    assert not long, "modules over the size limit:\n" + "\n".join(long)


def test_every_subpackage_says_its_one_concern() -> None:
    missing = [str(p.relative_to(SRC)) for p in sorted(PKG.glob("*/__init__.py"))
               if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing, "subpackages whose __init__ has no docstring saying its one concern:\n" + "\n".join(missing)
