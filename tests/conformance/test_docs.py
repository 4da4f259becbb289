"""The namespace pages: generated from the live namespaces; the Markdown committed and never stale,
the HTML a build output that renders every var, escaped."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from go_std import docs

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "go.std.net.smtp.md"


@pytest.fixture(scope="module")
def ns():
    return docs.load_namespace("go_std.net.smtp")


def test_committed_pages_match_a_fresh_rendering():
    # If this fails, run `python -m go_std.docs` and commit docs/.
    assert docs.stale(DOCS) == []


def test_rendering_is_deterministic(ns):
    assert docs.render_markdown(ns) == docs.render_markdown(ns)
    assert docs.render_html(ns) == docs.render_html(ns)


def test_page_structure_follows_jokers(ns):
    page = docs.render_markdown(ns)
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Contents",
        "## Summary",
        "## Index",
        "## Constants",
        "## Variables",
        "## Functions, Macros, and Special Forms",
        "## Types",
        "## Python names",
    ]
    assert page.startswith("# Namespace: go.std.net.smtp\n\nv1.0\n")
    constants = page.split("## Constants")[1].split("## Variables")[0]
    assert "(None.)" in constants


def test_index_section_lists_exactly_the_index(ns):
    page = docs.render_markdown(ns)
    index = page.split("## Index")[1].split("<a id=")[0]
    names = [line[4:].split("`")[0] for line in index.splitlines() if line.startswith("- [`")]
    # Joker's index itself is pinned once, in test_namespace.hy.
    assert names == ns.index()


def test_every_function_and_member_has_kind_version_usage_and_signatures(ns):
    page = docs.render_markdown(ns)
    expected = {
        "SendMail": ("*Function* v1.0", "(SendMail addr a from to msg)"),
        "Dial": ("*Function* v1.0", "(Dial addr)"),
        "(*Client)Hello": ("*Receiver for \\*Client* v1.0", "(.Hello client localName)"),
        "(*Client)StartTLS": ("*Receiver for \\*Client* v1.0", "(.StartTLS client config)"),
        "(Auth)Next": ("*Method for Auth* v1.0", "(.Next auth fromServer more)"),
    }
    for key, (kind, usage) in expected.items():
        start = page.index(f'<a id="{docs.anchor(key)}"></a>')
        section = page[start:page.index("<a id=", start + 1)]
        _, meta = ns.vars[key]
        assert kind in section, key
        assert f"```\n{usage}\n```" in section, key
        for label, attr in docs.SIGNATURE_LINES:
            assert f"{label}: `{meta[attr]}`" in section, (key, label)


def test_types_list_their_receivers_and_methods(ns):
    page = docs.render_markdown(ns)
    client = page[page.index('<a id="ptr-Client"></a>'):page.index('<a id="ptr-ServerInfo"></a>')]
    receivers = [line.split("`")[1] for line in client.splitlines() if line.startswith("#### ")]
    assert receivers == ["Auth", "Close", "Data", "Extension", "Hello", "Mail", "Noop", "Quit",
                         "Rcpt", "Reset", "StartTLS", "TLSConnectionState", "Verify"]
    assert "*Concrete Type* v1.0" in client
    auth = page[page.index('<a id="Auth"></a>'):page.index('<a id="Client"></a>')]
    assert "*Abstract Type* v1.0" in auth
    assert [line.split("`")[1] for line in auth.splitlines() if line.startswith("#### ")] == ["Next", "Start"]
    # The DATA writer is Go's io.WriteCloser, not a type of this namespace.
    assert "io.WriteCloser)Write" not in page
    assert "#### `Write`" not in page


def test_python_names_are_documented(ns):
    page = docs.render_markdown(ns)
    assert "| `PtrClient` | [`*Client`](#ptr-Client) |" in page
    assert "| `PtrServerInfo` | [`*ServerInfo`](#ptr-ServerInfo) |" in page


def test_doc_text_is_escaped_for_markdown():
    assert docs.md_text("a *Client and go_args <x>") == "a \\*Client and go\\_args \\<x>"


def test_anchors():
    assert docs.anchor("*Client") == "ptr-Client"
    assert docs.anchor("(*Client)Hello") == "ptr-Client-Hello"
    assert docs.anchor("(Auth)Start") == "Auth-Start"
    assert docs.anchor("Dial") == "Dial"


def test_check_mode_reports_a_stale_page(tmp_path):
    assert docs.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(name for name, _ in docs.pages())
    assert {"go.std.net.smtp.md", "go.std.net.md"} <= {p.name for p in tmp_path.iterdir()}
    assert docs.main(["--check", "--out", str(tmp_path)]) == 0
    page = tmp_path / "go.std.net.smtp.md"
    page.write_text(page.read_text(encoding="utf-8").replace("v1.0", "v0.9", 1), encoding="utf-8")
    assert docs.main(["--check", "--out", str(tmp_path)]) == 1
    (tmp_path / "go.std.net.md").unlink()
    assert docs.stale(tmp_path) == ["go.std.net.smtp.md", "go.std.net.md"]


def test_the_html_pages_are_a_build_output(tmp_path):
    # The Markdown is the one reviewed copy; HTML is written on demand, only where asked,
    # and git ignores it where a contributor writes it into docs/.
    assert docs.main(["--html", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(name.replace(".md", ".html") for name, _ in docs.pages())
    assert docs.main(["--check", "--out", str(tmp_path)]) == 1  # --check judges the Markdown only
    ignored = (DOCS.parent / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert all(any(fnmatch.fnmatch(f"docs/{name}", rule) for rule in ignored) for name in written), written


class _PageText(HTMLParser):
    """The ids and the text of an HTML page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set = set()
        self.text: list = []

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name == "id")

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("module", docs.NAMESPACES)
def test_the_html_page_renders_every_var_escaped(module):
    ns = docs.load_namespace(module)
    parser = _PageText()
    parser.feed(docs.render_html(ns))
    parser.close()
    text = "".join(parser.text)
    assert f"Namespace: {ns.name}" in text
    for key, (_, meta) in ns.vars.items():
        if meta.get("type") and meta["type"] not in ns.vars:
            continue  # a member of an interface the namespace does not export, as on the Markdown page
        assert docs.anchor(key) in parser.ids, key
        # Doc text such as "Joe <joe@example.com>" reads back whole: escaped, not taken for a tag.
        assert meta["doc"] in text, key
        if meta.get("usage"):
            assert meta["usage"] in text, key


def test_written_pages_equal_the_committed_ones(tmp_path):
    docs.main(["--out", str(tmp_path)])
    for name, _ in docs.pages():
        assert (tmp_path / name).read_bytes() == (DOCS / name).read_bytes()


def test_command_line_check_on_the_committed_pages():
    # The command a contributor runs, in a fresh interpreter.
    done = subprocess.run([sys.executable, "-m", "go_std.docs", "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_page_says_the_go_named_paths_keep_a_bare_cr(ns):
    # Issue 21, finding 21: Go puts "\r.\r" on the wire through SendMail and
    # Data's writer; we keep that, and the namespace page says so.
    page = docs.render_markdown(ns)
    summary = page.split("## Summary", 1)[1].split("## Index", 1)[0]
    assert "`\\r.\\r` on the wire" in summary and "smtp-core.lineends.crlf" in summary
    for var in ("SendMail", "(*Client)Data"):
        assert "a bare CR goes out as it is" in ns.vars[var][1]["doc"], var


@pytest.mark.parametrize("module", [m for m in docs.NAMESPACES if m != "go_std.net.smtp"])
def test_every_var_of_the_companion_namespaces_is_documented(module):
    ns = docs.load_namespace(module)
    page = docs.render_markdown(ns)
    assert page.startswith("# Namespace: %s\n" % ns.name)
    for key, (var, meta) in ns.vars.items():
        assert meta["doc"] and var.__doc__, key  # `help` has something to show
        if meta.get("type") and meta["type"] not in ns.vars:
            continue  # a member of a Go interface the namespace does not export (io.Reader), as smtp's writer
        assert f'<a id="{docs.anchor(key)}"></a>' in page, key
        if meta["kind"] in ("function", "receiver", "method"):
            assert meta["usage"].startswith("(") and meta["joker_args"] and meta["joker_returns"], key
        if meta["kind"] == "constant":
            assert meta["const"] is True and int(var) == var, key
    if ns.of_kind("constant"):
        constants = page.split("## Constants")[1].split("## Variables")[0]
        assert "(None.)" not in constants and all(f"`{k}`" in constants for k in ns.of_kind("constant"))
