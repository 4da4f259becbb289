"""The engine's layout keeps its promises: the protocol rules import no I/O
module, the map names every module, and the one import cycle stays gone."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import smtp_core

ENGINE = Path(smtp_core.__file__).parent
IO_MODULES = {"socket", "ssl", "asyncio", "selectors", "select"}


def imported_modules(path: Path) -> set[str]:
    """Every module name ``path`` imports (absolute, or relative with its dots)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("module", sorted(p.name for p in (ENGINE / "protocol").glob("*.py")))
def test_a_protocol_module_imports_no_io(module):
    top_levels = {name.split(".")[0] for name in imported_modules(ENGINE / "protocol" / module)}
    assert not top_levels & IO_MODULES, module


def test_the_map_names_every_engine_module():
    doc = smtp_core.__doc__
    for info in pkgutil.iter_modules([str(ENGINE)]):
        assert ":mod:`.%s`" % info.name in doc, info.name
    for package in ("protocol", "gocompat", "mail", "pythonic"):
        for info in pkgutil.iter_modules([str(ENGINE / package)]):
            assert "``  .%s``" % info.name in doc, (package, info.name)
