"""House rules that keep the library layered and usable outside Prefect (architecture.md,
docs/layout.md).

The import graph is read from the source (every `import`, also those inside functions, which
run later but still tie the modules together), so a lazy import cannot hide a cycle or an
upward dependency.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "alvh"

# The dependency direction, lowest first: a module may import its own layer and those below.
LAYERS = {
    "alvh.core": 0,
    "alvh.store": 1,
    "alvh.data": 2,
    "alvh.model": 3,
    "alvh.book": 4,
    "alvh.hedge": 5,
    "alvh.backtest": 6,
    "alvh.report": 6,
    "alvh.notify": 7,
    "alvh.pipeline": 8,
    "flows": 9,
    "alvh.cli": 10,
}
# The market model is pure numerics: it reads no warehouse and knows no book.
ONLY_FROM = {"alvh.model": {"alvh.core", "alvh.model"}}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for base in (PACKAGE, ROOT / "flows"):
        for path in base.rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Internal modules `path` imports, anywhere in its body (not `if TYPE_CHECKING:`)."""
    targets: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for block in ast.walk(tree):  # annotations only: never imported at run time
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING"):
            block.body = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name in modules:
                targets.add(name)
    return targets


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = _imports(path, modules)
        # `from alvh.x import y` with y a submodule depends on y, not on the package's __init__
        graph[name] = {
            t for t in edges if not any(o.startswith(t + ".") and o in edges for o in edges)
        }
        graph[name].discard(name)
    return graph


def _layer(module: str) -> str | None:
    best = None
    for prefix in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best)
        ):
            best = prefix
    return best


def test_every_module_belongs_to_a_layer():
    loose = [m for m in _modules() if m != "alvh" and _layer(m) is None]
    assert not loose, f"modules outside the layers of docs/layout.md: {loose}"


def test_imports_point_down_the_layers():
    upward = []
    for module, targets in _graph().items():
        own = _layer(module)
        if own is None:
            continue
        for target in targets:
            layer = _layer(target)
            if layer is None:  # the package root: only __version__
                continue
            if LAYERS[layer] > LAYERS[own]:
                upward.append(f"{module} -> {target}")
            allowed = ONLY_FROM.get(own)
            if allowed is not None and layer not in allowed:
                upward.append(f"{module} -> {target} ({own} may use only {sorted(allowed)})")
    assert not upward, "imports against the layer direction:\n" + "\n".join(sorted(upward))


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checks_see_a_lazy_upward_import(tmp_path):
    # The rule must catch an import hidden inside a function (the old `flows_cli` pattern).
    probe = PACKAGE / "core" / "_probe_lazy_import.py"
    probe.write_text("def f():\n    from alvh.pipeline import run_day\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="alvh.core._probe_lazy_import -> alvh.pipeline"):
            test_imports_point_down_the_layers()
    finally:
        probe.unlink()


CHECK = """
import importlib, pkgutil, sys
import alvh
for module in pkgutil.walk_packages(alvh.__path__, "alvh."):
    if module.name.rsplit(".", 1)[-1] == "__main__":
        continue
    importlib.import_module(module.name)
leaked = sorted(m for m in sys.modules if m == "prefect" or m.startswith("prefect."))
print("LEAKED", leaked[:5])
"""


def test_no_module_of_alvh_imports_prefect():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "LEAKED []" in done.stdout, done.stdout


# Runs the CLI with every `prefect*` import failing, as on a machine without Prefect.
WITHOUT_PREFECT = """
import sys
class NoPrefect:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("prefect", "prefect_email", "prefect_dask"):
            raise ModuleNotFoundError(f"No module named {name!r} (made unimportable)")
        return None
sys.meta_path.insert(0, NoPrefect())
from alvh.cli import entry_point
sys.argv = ["alvh", *sys.argv[1:]]
entry_point()
"""


@pytest.fixture(scope="module")
def home_without_prefect(tmp_path_factory):
    home = tmp_path_factory.mktemp("no-prefect")
    env = {**os.environ, "ALVH_HOME": str(home)}
    for args in (["init"],):
        done = subprocess.run(
            [sys.executable, "-c", WITHOUT_PREFECT, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    return env


@pytest.mark.parametrize(
    "args",
    [
        ["data", "status", "--as-of", "2026-08-20"],
        ["book", "show", "--as-of", "2026-08-20", "--json"],
        ["layers", "--as-of", "2026-08-20", "--json"],
        ["orders", "list"],
        ["audit", "verify"],
        ["report", "--as-of", "2026-08-20"],
        ["email", "--as-of", "2026-08-20"],
        ["backtest", "--variants", "l1", "--start", "2024-01-02", "--end", "2024-12-31"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_library_commands_run_with_prefect_unimportable(home_without_prefect, args):
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PREFECT, *args],
        capture_output=True,
        text=True,
        env=home_without_prefect,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "prefect" not in done.stderr.lower(), done.stderr


def test_flow_commands_say_they_need_prefect(home_without_prefect):
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PREFECT, "run", "--as-of", "2026-08-20", "--no-email"],
        capture_output=True,
        text=True,
        env=home_without_prefect,
        timeout=120,
    )
    assert done.returncode != 0
    assert "prefect" in done.stderr.lower(), done.stderr


def test_the_cli_starts_without_the_heavy_libraries():
    # `alvh --help` and the checks a command makes before its work stay quick: DuckDB, pandas
    # and Prefect load only when a command that needs them runs.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, alvh.cli; "
            "print(sorted(m for m in ('duckdb', 'pandas', 'prefect') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
