"""The engine's modules import each other without a cycle, and each module
of the Pythonic layer imports alone in a fresh interpreter.

The graph counts every import at module level, those under
``if TYPE_CHECKING:`` included (a cycle hidden from the interpreter is
still two modules that each need the other); imports inside functions are
left out.  Packages' ``__init__`` modules are not nodes: a module imports
its package's front door by being in it.
"""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import subprocess
import sys

import pytest

import smtp_core

ROOT = pathlib.Path(smtp_core.__file__).parent


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "devserver" in parts or parts[-1] == "__init__":
            continue  # the dev server is its own code base; front doors are not nodes
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _module_level(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):  # if TYPE_CHECKING: ...
            yield from (n for n in node.body if isinstance(n, (ast.Import, ast.ImportFrom)))


def imports_of(name: str) -> set[str]:
    """The engine modules ``name`` imports at module level."""
    package = name.rsplit(".", 1)[0]
    targets = set()
    for node in _module_level(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            bases = [alias.name for alias in node.names]
        else:
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) \
                if node.level else node.module
            bases = [base + "." + alias.name for alias in node.names] + [base]
        targets.update(b for b in bases if b in MODULES)
    return targets


def cycles() -> list[list[str]]:
    graph = {name: imports_of(name) for name in MODULES}
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return found


def test_the_graph_sees_the_imports():
    assert "smtp_core.pythonic.envelope" in imports_of("smtp_core.pythonic.capabilities")
    assert "smtp_core.pythonic.capabilities" in imports_of("smtp_core.pythonic.outgoing")  # under TYPE_CHECKING


def test_no_import_cycle():
    assert cycles() == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(("smtp_core.pythonic", "smtp_core.aio"))))
def test_each_module_imports_alone(name):
    done = subprocess.run([sys.executable, "-c", "import %s" % name], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
