"""go_std/joker is the generic Joker layer: it knows no engine and no private attribute of one.

Each namespace (go.std.net.smtp, go.std.net, go.std.crypto.tls, go.std.net.mail)
says which of its engine's errors are failures (``register-failures``) and
how its engine's classes are named for Joker (``name-type``); the layer
itself imports nothing of ``smtp_core``.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import hy
import pytest

JOKER = pathlib.Path(__file__).resolve().parents[2] / "go_std" / "joker"


def _imported_modules(form) -> list[str]:
    """The module names of every `import`/`require` form anywhere inside `form`."""
    found: list[str] = []
    if isinstance(form, (list, hy.models.Sequence)):
        items = list(form)
        if isinstance(form, hy.models.Expression) and items and items[0] in (
                hy.models.Symbol("import"), hy.models.Symbol("require")):
            # The reader makes `a.b.c` the form `(. a b c)`; a bracket list is the names imported.
            for item in items[1:]:
                if isinstance(item, hy.models.Symbol):
                    found.append(str(item))
                elif isinstance(item, hy.models.Expression) and item and item[0] == hy.models.Symbol("."):
                    found.append(".".join(str(part) for part in item[1:]))
        for item in items:
            found.extend(_imported_modules(item))
    return found


def _joker_sources() -> list[pathlib.Path]:
    sources = sorted(JOKER.glob("*.hy"))
    assert [p.name for p in sources] == [
        "__init__.hy", "converters.hy", "macros.hy", "meta.hy", "registry.hy", "types.hy"]
    return sources


def test_no_joker_module_imports_the_engine():
    for path in _joker_sources():
        modules = _imported_modules(list(hy.read_many(path.read_text(encoding="utf-8"))))
        assert modules, path  # the parse found the imports at all
        engine = [m for m in modules if hy.mangle(m).split(".")[0] == "smtp_core"]
        assert engine == [], f"{path.name} imports {engine}"


def test_importing_the_layer_loads_no_engine_module():
    # The parse above misses an import built at run time; this does not.
    code = "import sys, go_std.joker; print(sorted(m for m in sys.modules if m.startswith('smtp_core')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_namespace_reads_a_private_marker():
    # `returned` used to honour a private `_go_returned` attribute set across
    # modules; the protocol is now register-failures / mark-returned.
    for path in sorted((JOKER.parent).rglob("*.hy")):
        assert "_go_returned" not in path.read_text(encoding="utf-8"), path


def test_returned_tells_failures_from_bugs():
    from go_std.joker import converters

    class Refusal(Exception):
        pass

    with pytest.raises(Refusal):
        converters.returned(Refusal("not registered: a bug, raised"))
    one = converters.mark_returned(Refusal("this one value"))
    assert converters.returned(one) is one
    err = OSError("I/O is a failure from the start")
    assert converters.returned(err) is err
    with pytest.raises(KeyError):
        converters.returned(KeyError("a bug"))


def test_each_namespace_registers_its_engine_failures():
    import go_std.net.mail as mail
    import go_std.net.smtp as smtp
    from go_std.joker import converters
    from smtp_core.errors import ReplyError

    err = ReplyError(550, "no")
    assert converters.returned(err) is err
    assert smtp.__joker_ns__.name == "go.std.net.smtp"  # imported for its registration
    [addr, perr] = mail.ParseAddress("nobody")
    assert addr is None and str(perr) == "mail: missing '@' or angle-addr"
    [when, derr] = mail.ParseDate("not a date")
    assert when is None and str(derr).startswith("mail: ")


def test_a_conn_is_named_by_its_namespace():
    import socket

    import go_std.net  # noqa: F401  (names its Conn)
    from go_std.joker import joker_type_name

    with socket.socket() as s:
        assert joker_type_name(s) == "go.std.net/Conn"


def test_every_var_has_the_metadata_schema():
    # One builder (go_std/joker/meta.hy) for every macro: the keys are META-KEYS,
    # in order, plus const and go_type for a constant.
    import importlib

    from go_std.joker.meta import META_KEYS, var_meta

    for module in ("go_std.net.smtp", "go_std.net", "go_std.crypto.tls", "go_std.net.mail"):
        for key, (var, meta) in importlib.import_module(module).__joker_ns__.vars.items():
            extra = ("const", "go_type") if meta["kind"] == "constant" else ()
            assert tuple(meta) == META_KEYS + extra, (module, key)
            assert all(getattr(var, k) == meta[k] for k in meta), (module, key)
    with pytest.raises(ValueError, match="unknown kind 'struct'"):
        var_meta("T", "struct", "doc")
