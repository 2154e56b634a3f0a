"""The house keeps its shape: layers point one way, no import circles, small modules, one concern each.

Layers, lowest first (a module may import its own layer or a lower one):

    core < ingest, text < registry < store < alerts < monitor < discovery < orchestration < web < demo < cli

registry sits above text because a sources file names site profiles (text.profiles);
discovery above monitor because a related statement found on a listing is checked like
any source. ingest and text are peers and never import each other. demo is off the product
path: only the `redline demo` command (cli/demo.py) imports it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "redline"
LAYERS = {"core": 0, "ingest": 1, "text": 1, "registry": 2, "store": 3, "alerts": 4, "monitor": 5,
          "discovery": 6, "orchestration": 7, "web": 8, "demo": 9, "cli": 10}
MAX_LINES = 400
LONG_DATA_TABLES: dict[str, str] = {}   # module -> why it may be longer (none today)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[int, str]]:
    """Every redline module this one imports (top level and inside functions), resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("redline")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("redline"):
                continue
            for alias in node.names:  # `from redline.store import readmodel` imports a module
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else target))
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_subpackage_has_a_layer() -> None:
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == set(LAYERS)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for name, path in MODULES.items():
        here = _layer(name)
        if here is None:  # redline/__init__.py re-exports the public API
            continue
        for line, target in _imports(name, path):
            there = _layer(target)
            if there is None or there == here:
                continue
            if LAYERS[there] > LAYERS[here] or (LAYERS[there] == LAYERS[here]):
                wrong.append(f"{path.relative_to(SRC)}:{line} imports {target}: {here} may not import {there} "
                             f"(layers: {' < '.join(LAYERS)})")
    assert not wrong, "\n".join(wrong)


def test_only_the_demo_command_imports_the_demo() -> None:
    users = sorted({f"{MODULES[name].relative_to(SRC)}" for name, path in MODULES.items()
                    if _layer(name) not in ("demo", None)
                    for _, target in _imports(name, path) if _layer(target) == "demo"})
    assert users == ["redline/cli/demo.py"]


def test_no_import_circles() -> None:
    graph = {name: {t for _, t in _imports(name, path) if t in MODULES and t != name}
             for name, path in MODULES.items()}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    # a package's __init__ re-exporting its own modules is not a circle of concerns
    cycles = [c for c in cycles if not all(part == "redline" or part.startswith("redline.") for part in c.split(" -> "))
              or not c.startswith("redline ->")]
    assert not cycles, "import circles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    limit = MAX_LINES if name not in LONG_DATA_TABLES else 10 * MAX_LINES
    assert lines <= limit, f"{MODULES[name].relative_to(SRC)} has {lines} lines (over {limit}): split it by concern"


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_each_subpackage_says_its_one_concern(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 20, f"src/redline/{package}/__init__.py needs a docstring saying its one concern"
