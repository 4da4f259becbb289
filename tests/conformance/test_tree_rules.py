"""The test tree keeps the rules tests/README.md states: every test file in a
folder (none at tests/ root), unique file names (pytest imports each by its
plain name), no test module importing another or ``conftest`` (what two
files share lives in tests/helpers), and every test file on the README's
map."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
HELPERS = TESTS / "helpers"


def all_test_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("test_*") if p.suffix in (".py", ".hy")
                  and "__pycache__" not in p.parts and "node_modules" not in p.parts)


def imported_names(path: Path) -> set[str]:
    """The top-level module names ``path`` imports (Python, or Hy's ``(import ...)`` forms)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".hy":
        found = re.findall(r"\((?:import|require)\s+([\w.-]+)", text)
        return {name.split(".")[0].replace("-", "_") for name in found}
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_test_file_is_in_a_folder():
    at_root = [p.name for p in all_test_files() if p.parent == TESTS]
    assert not at_root, "move these into the folder of the code they test (see tests/README.md): %s" % at_root


def test_test_file_names_are_unique():
    twice = [name for name, count in Counter(p.stem for p in all_test_files()).items() if count > 1]
    assert not twice, "pytest imports test files by their plain name; rename one of each: %s" % twice


def test_no_test_module_imports_another_or_conftest():
    stems = {p.stem for p in all_test_files()} | {"conftest"}
    wrong = {str(p.relative_to(TESTS)): sorted(imported_names(p) & stems)
             for p in all_test_files() + sorted(HELPERS.rglob("*.py"))}
    wrong = {path: names for path, names in wrong.items() if names}
    assert not wrong, "move what they share into tests/helpers: %s" % wrong


def test_the_readme_maps_every_test_file():
    readme = (TESTS / "README.md").read_text(encoding="utf-8")
    missing = [str(p.relative_to(TESTS)) for p in all_test_files()
               if str(p.relative_to(TESTS)) not in readme and not p.name.startswith("test_aio_twins_")]
    assert not missing, "add these to the map in tests/README.md: %s" % missing
