"""Render a namespace's page, the way Joker documents its namespaces.

The page is made from the live namespace: the registry ``__joker_ns__``
that the ``defgo``/``defgotype`` table fills when the module loads.  So the
page says exactly what the code does, and a stale page is caught by
``--check`` (and by the test suite)::

    python -m go_std.docs              # write docs/go.std.*.md, the committed pages
    python -m go_std.docs --check      # exit 1 if a committed page is stale
    python -m go_std.docs --stdout     # print the Markdown page
    python -m go_std.docs --html DIR   # write the HTML pages into DIR

The Markdown is the one committed, reviewed copy (GitHub renders it); the
HTML pages say the same from the same outline and are a build output,
written on demand and never committed, so a change to a table is reviewed
once.

Like Joker's generated page it has a summary, an index, the constants and
variables (none here), the functions, and the types each with its receivers
or methods; every var shows its kind, the version it was added in
(``v1.0``), its usage, its doc and the four signature lines (Go input
arguments, Go returns, Joker input arguments, Joker returns).  Output is
deterministic: the same namespace always renders to the same bytes.

From Python::

    >>> from go_std.docs import load_namespace, render_markdown
    >>> page = render_markdown(load_namespace("go_std.net.smtp"))
    >>> page.splitlines()[0]
    '# Namespace: go.std.net.smtp'
"""

from __future__ import annotations

import argparse
import html
import importlib
import re
import sys
from pathlib import Path
from typing import Callable, Iterator, Sequence

#: The namespace modules this project ships.
NAMESPACES = ("go_std.net.smtp", "go_std.net", "go_std.crypto.tls", "go_std.net.mail")

#: Where the committed pages live in a source checkout.
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs"

from go_std.joker.registry import SIGNATURE_LINES, kind_line  # noqa: E402  (go_std loads Hy first)

SECTIONS = (
    ("summary", "Summary"),
    ("index", "Index"),
    ("constants", "Constants"),
    ("variables", "Variables"),
    ("functions", "Functions, Macros, and Special Forms"),
    ("types", "Types"),
    ("python-names", "Python names"),
)


def load_namespace(module_name: str):
    """The ``Namespace`` registry of module ``module_name`` (importing it)."""
    import go_std  # noqa: F401  (loads Hy, so .hy modules import)

    module = importlib.import_module(module_name)
    try:
        return module.__joker_ns__
    except AttributeError:
        raise SystemExit(f"{module_name} is not a Joker-style namespace (no __joker_ns__)") from None


def anchor(key: str) -> str:
    """A stable HTML id for a var key: ``*Client`` -> ``ptr-Client``, ``(*Client)Hello`` -> ``ptr-Client-Hello``."""
    m = re.fullmatch(r"\((\*?)([^)]*)\)(.*)", key)
    if m:
        return anchor(m.group(1) + m.group(2)) + "-" + m.group(3)
    return ("ptr-" + key[1:]) if key.startswith("*") else key


# -- the page as a neutral outline ------------------------------------------------

class Entry:
    """One var as the page shows it."""

    def __init__(self, ns, key: str, level: int) -> None:
        _, meta = ns.vars[key]
        self.key = key
        self.meta = meta
        self.level = level
        self.id = anchor(key)
        self.title = meta["name"] if meta["kind"] in ("receiver", "method") else key
        self.kind = kind_line(meta)
        self.version = "v" + meta["added"]
        self.usage = meta.get("usage") or ""
        self.doc = meta["doc"]
        self.signatures = [(label, meta[k]) for label, k in SIGNATURE_LINES if meta.get(k) is not None]
        self.members: list[Entry] = []
        self.members_label = ""


def constants(ns) -> list[Entry]:
    """The namespace's constants, in index order."""
    return [Entry(ns, k, 3) for k in ns.of_kind("constant")]


def outline(ns) -> tuple[list[str], list[Entry], list[Entry]]:
    """``(index, functions, types)`` of namespace ``ns``, in page order."""
    index = list(ns.index())
    functions = [Entry(ns, k, 3) for k in ns.of_kind("function")]
    types = []
    for k in ns.of_kind("type", "abstract"):
        entry = Entry(ns, k, 3)
        members = ns.members_of(k)
        entry.members = [Entry(ns, f"({k}){m}", 4) for m in members]
        entry.members_label = ("Methods of " if entry.meta["kind"] == "abstract" else "Receivers of ") + k
        types.append(entry)
    return index, functions, types


# -- Markdown ---------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\*_<`])")


def md_text(text: str) -> str:
    """Doc text as literal Markdown (``*Client`` must not start emphasis)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_entry(entry: Entry) -> Iterator[str]:
    yield f'<a id="{entry.id}"></a>'
    yield ""
    yield "#" * entry.level + " " + md_code(entry.title)
    yield ""
    yield f"*{md_text(entry.kind)}* {entry.version}"
    yield ""
    if entry.usage:
        yield "```"
        yield entry.usage
        yield "```"
        yield ""
    yield md_text(entry.doc)
    yield ""
    if entry.signatures:
        for i, (label, value) in enumerate(entry.signatures):
            end = "  " if i < len(entry.signatures) - 1 else ""
            yield f"{label}: {md_code(value)}{end}"
        yield ""
    if entry.members:
        yield f"{md_text(entry.members_label)}: " + ", ".join(
            f"[{md_code(m.title)}](#{m.id})" for m in entry.members)
        yield ""
        for member in entry.members:
            yield from _md_entry(member)


def render_markdown(ns) -> str:
    """The namespace page as GitHub-flavoured Markdown."""
    index, functions, types = outline(ns)
    out: list[str] = [
        f"# Namespace: {ns.name}",
        "",
        "v1.0",
        "",
        f"<!-- Generated by `python -m go_std.docs` from the table in {ns.module}; "
        "edit the table, not this page. -->",
        "",
        "## Contents",
        "",
    ]
    out += [f"- [{title}](#{sid})" for sid, title in SECTIONS]
    out += ["", '<a id="summary"></a>', "", "## Summary", "", md_text(ns.doc), ""]
    for note in ns.notes:
        out += [note, ""]  # notes are written as Markdown already
    out += ['<a id="index"></a>', "", "## Index", ""]
    out += [f"- [{md_code(k)}](#{anchor(k)})" for k in index]
    out += ["", '<a id="constants"></a>', "", "## Constants", ""]
    for entry in constants(ns):
        out += list(_md_entry(entry))
    if not constants(ns):
        out += ["(None.)", ""]
    out += ['<a id="variables"></a>', "", "## Variables", "", "(None.)", ""]
    out += ['<a id="functions"></a>', "", "## Functions, Macros, and Special Forms", ""]
    for entry in functions:
        out += list(_md_entry(entry))
    out += ['<a id="types"></a>', "", "## Types", ""]
    for entry in types:
        out += list(_md_entry(entry))
    out += ['<a id="python-names"></a>', "", "## Python names", ""]
    out += ["Names a Python program uses where the Hy name is not a Python identifier:", ""]
    out += ["| Python | Hy |", "| --- | --- |"]
    out += [f"| {md_code(py)} | [{md_code(key)}](#{anchor(key)}) |" for py, key in sorted(ns.aliases.items())]
    out.append("")
    return "\n".join(out)


# -- HTML -------------------------------------------------------------------------

_CSS = """body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
code,pre{font-family:ui-monospace,monospace}pre{background:#f4f4f4;padding:.4rem .6rem}
.var{border-top:1px solid #ddd;padding-top:.3rem}.member{margin-left:1.5rem}
.kind{font-style:italic;color:#555}.sig{color:#333;margin:.1rem 0}"""


def _html_notes(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _html_entry(entry: Entry) -> Iterator[str]:
    e = html.escape
    css = "var member" if entry.level > 3 else "var"
    yield f'<section class="{css}" id="{e(entry.id)}">'
    yield f"<h{entry.level}><code>{e(entry.title)}</code></h{entry.level}>"
    yield f'<p><span class="kind">{e(entry.kind)}</span> {e(entry.version)}</p>'
    if entry.usage:
        yield f"<pre>{e(entry.usage)}</pre>"
    yield f"<p>{e(entry.doc)}</p>"
    for label, value in entry.signatures:
        yield f'<p class="sig">{e(label)}: <code>{e(value)}</code></p>'
    if entry.members:
        links = ", ".join(f'<a href="#{e(m.id)}"><code>{e(m.title)}</code></a>' for m in entry.members)
        yield f"<p>{e(entry.members_label)}: {links}</p>"
        for member in entry.members:
            yield from _html_entry(member)
    yield "</section>"


def render_html(ns) -> str:
    """The namespace page as one standalone HTML file."""
    e = html.escape
    index, functions, types = outline(ns)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>Namespace: {e(ns.name)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<!-- Generated by python -m go_std.docs from the table in {e(ns.module)}; edit the table, not this page. -->",
        f"<h1>Namespace: {e(ns.name)}</h1>",
        "<p>v1.0</p>",
        "<h2>Contents</h2>",
        "<ul>" + "".join(f'<li><a href="#{sid}">{e(title)}</a></li>' for sid, title in SECTIONS) + "</ul>",
        '<h2 id="summary">Summary</h2>',
        f"<p>{e(ns.doc)}</p>",
    ]
    out += [f"<p>{_html_notes(note)}</p>" for note in ns.notes]
    out += ['<h2 id="index">Index</h2>', "<ul>"]
    out += [f'<li><a href="#{e(anchor(k))}"><code>{e(k)}</code></a></li>' for k in index]
    out += ["</ul>", '<h2 id="constants">Constants</h2>']
    for entry in constants(ns):
        out += list(_html_entry(entry))
    if not constants(ns):
        out.append("<p>(None.)</p>")
    out += ['<h2 id="variables">Variables</h2>', "<p>(None.)</p>",
            '<h2 id="functions">Functions, Macros, and Special Forms</h2>']
    for entry in functions:
        out += list(_html_entry(entry))
    out.append('<h2 id="types">Types</h2>')
    for entry in types:
        out += list(_html_entry(entry))
    out += ['<h2 id="python-names">Python names</h2>',
            "<p>Names a Python program uses where the Hy name is not a Python identifier:</p>",
            "<table><tr><th>Python</th><th>Hy</th></tr>"]
    out += [f'<tr><td><code>{e(py)}</code></td><td><a href="#{e(anchor(key))}"><code>{e(key)}</code></a></td></tr>'
            for py, key in sorted(ns.aliases.items())]
    out += ["</table>", "</body>", "</html>", ""]
    return "\n".join(out)


# -- command line -----------------------------------------------------------------

#: The suffix and renderer of each kind of page: the committed Markdown, the built HTML.
MARKDOWN: tuple[str, Callable] = (".md", render_markdown)
HTML: tuple[str, Callable] = (".html", render_html)


def pages(module_names: Sequence[str] = NAMESPACES,
          renderer: tuple[str, Callable] = MARKDOWN) -> list[tuple[str, str]]:
    """``[(file name, text)]`` for every page of the given namespace modules, in one renderer."""
    suffix, render = renderer
    result = []
    for module_name in module_names:
        ns = load_namespace(module_name)
        result.append((ns.name + suffix, render(ns)))
    return result


def write_pages(out: Path, written: list[tuple[str, str]]) -> None:
    """Write each ``(file name, text)`` page under ``out``, saying so."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in written:
        path = out / name
        # newline="" keeps the bytes identical on every platform.
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(f"wrote {path}")


def stale(out: Path, module_names: Sequence[str] = NAMESPACES) -> list[str]:
    """Names of the committed (Markdown) pages under ``out`` that are missing or differ from a fresh rendering."""
    found = []
    for name, text in pages(module_names):
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            found.append(name)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m go_std.docs",
        description="Render the namespace pages from the live namespaces: the committed Markdown, "
                    "or with --html the HTML pages.")
    parser.add_argument("namespaces", nargs="*", default=list(NAMESPACES), metavar="MODULE",
                        help="namespace modules (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="directory of the Markdown pages (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a Markdown page is missing or stale")
    parser.add_argument("--stdout", action="store_true", help="print the Markdown page(s) instead of writing files")
    parser.add_argument("--html", type=Path, metavar="DIR",
                        help="write the HTML pages into DIR instead (a build output: not committed)")
    options = parser.parse_args(argv)

    if options.stdout:
        for _, text in pages(options.namespaces):
            sys.stdout.write(text)
        return 0
    if options.check:
        outdated = stale(options.out, options.namespaces)
        for name in outdated:
            print(f"stale: {options.out / name} (run: python -m go_std.docs)", file=sys.stderr)
        return 1 if outdated else 0
    if options.html is not None:
        write_pages(options.html, pages(options.namespaces, HTML))
    else:
        write_pages(options.out, pages(options.namespaces))
    return 0


if __name__ == "__main__":
    sys.exit(main())
