"""The engine's layout keeps its promises: the protocol rules import no I/O
module, the map names every module, and the one import cycle stays gone;
and so does the dev server's: every front door lists its modules, and its
mailbox imports neither the SMTP side nor the web side."""

from __future__ import annotations

import ast
import importlib
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


def _private_names_defined(tree: ast.Module) -> set[str]:
    """The ``_names`` a module defines: functions, classes, variables, its
    classes' ``__slots__`` and what they assign on ``self``/``cls``.  (An
    attribute set on another object is no definition: that is a reach too.)"""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _is_own_object(node.value):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets):
            names.update(c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return {name for name in names if name.startswith("_")}


def _is_own_object(value: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: a class's own (or inherited) members."""
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"


def private_reaches(path: Path) -> list[str]:
    """``obj._name`` in ``path`` where ``_name`` is no name of its own module:
    a reach into another module's (or library's) private attribute."""
    tree = ast.parse(path.read_text())
    own = _private_names_defined(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            target, name = node.value, node.attr
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) >= 2
              and node.func.id in ("getattr", "hasattr", "setattr", "delattr")
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            target, name = node.args[0], node.args[1].value  # getattr(obj, "_name") reaches too
        else:
            continue
        if name.startswith("_") and not name.startswith("__") and name not in own and not _is_own_object(target):
            found.append("%s:%d %s" % (path.name, node.lineno, name))
    return found


# Reaches that stay, each with its reason: (file, attribute).
ALLOWED_REACHES = {
    # email keeps the undecoded payload only there: get_payload() would turn
    # undecodable bytes into U+FFFD (the comment at the line says more).
    ("mimetree.py", "_payload"),
    # The DER format constant of ssl.Certificate.public_bytes has no public
    # name in the ssl module (3.13's get_verified_chain).
    ("tls.py", "_ssl"),
    # SSLContext's handshake-message hook: the only way to learn the version
    # negotiated and the certificate sent when a handshake fails (Go's error
    # texts name both).  Used only if the hook exists, and only on contexts
    # the engine made (a test checks a caller's context keeps its own hook).
    ("tls.py", "_msg_callback"),
}


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=lambda p: str(p.relative_to(ENGINE)))
def test_no_module_reaches_into_another_modules_private_attributes(path):
    reaches = [reach for reach in private_reaches(path)
               if (path.name, reach.rsplit(" ", 1)[1]) not in ALLOWED_REACHES]
    assert not reaches


DEVSERVER = ENGINE / "devserver"


def test_every_dev_server_package_lists_its_modules():
    # The front doors are the dev server's map: a module they leave out is
    # one a reader never finds (issue 16 found half of them missing).
    import smtp_core.devserver as devserver

    packages = [devserver] + [importlib.import_module(info.name) for info in
                              pkgutil.iter_modules(devserver.__path__, devserver.__name__ + ".") if info.ispkg]
    for package in packages:
        for info in pkgutil.iter_modules(package.__path__):
            if info.name != "__main__":
                assert f":mod:`.{info.name}`" in package.__doc__, f"{package.__name__}'s docstring omits .{info.name}"


@pytest.mark.parametrize("module", sorted(p.name for p in (DEVSERVER / "mailbox").glob("*.py")))
def test_the_dev_servers_mailbox_imports_neither_side(module):
    # The SMTP side and the web side write and read through the mailbox;
    # a mailbox module importing either would tie the two sides together.
    names = imported_modules(DEVSERVER / "mailbox" / module)
    leaving = {name for name in names if name.startswith("..") or name.startswith("smtp_core.devserver")}
    assert not leaving, (module, leaving)


ROOT = ENGINE.parent
OLD_TYPING = {"Optional", "Union", "List", "Dict", "Tuple"}
PYTHON_FILES = sorted(path for folder in ("smtp_core", "go_std", "bench", "tests")
                      for path in (ROOT / folder).rglob("*.py") if "node_modules" not in path.parts)


def dialect_faults(path: Path) -> list[str]:
    """Where ``path`` leaves the tree's one dialect: ``X | None`` and builtin
    generics, not typing's ``Optional``/``Union``/``List``/``Dict``/``Tuple``;
    inside the engine, its own modules imported relatively."""
    faults = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "typing":
            faults += ["%d: typing.%s" % (node.lineno, alias.name) for alias in node.names
                       if alias.name in OLD_TYPING]
        elif isinstance(node, ast.Attribute) and node.attr in OLD_TYPING and \
                isinstance(node.value, ast.Name) and node.value.id == "typing":
            faults.append("%d: typing.%s" % (node.lineno, node.attr))
        elif ENGINE in path.parents and isinstance(node, ast.ImportFrom) and node.level == 0 and \
                (node.module or "").split(".")[0] == "smtp_core":
            faults.append("%d: from %s (an absolute import inside the package)" % (node.lineno, node.module))
    return faults


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_one_python_dialect(path):
    assert not dialect_faults(path)
