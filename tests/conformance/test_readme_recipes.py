"""The README's Go recipes (port 465, port 587, net.Dial) run as shown against the dev server.

Each ```hy block after a `<!-- recipe: NAME -->` marker is read from the
README and evaluated form by form; only the dev server's address and CA
path are replaced by the test server's. Every form's value that the README
marks `; => None` must be None, and the server must have caught the 465
recipe's message with its From header formatted as Go formats it.
"""

from __future__ import annotations

import re
from pathlib import Path

import hy
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def recipe(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- recipe: %s -->\n```hy\n(.*?)```" % re.escape(name), text, re.S)
    assert m, "README has no recipe %r" % name
    return m.group(1)


def run(code: str, srv, ca: str) -> None:
    code = (code.replace("127.0.0.1:2465", "127.0.0.1:%d" % srv.tls_port)
                .replace("127.0.0.1:2525", "127.0.0.1:%d" % srv.port)
                .replace('(os.path.expanduser "~/.cache/gostd-smtp/devserver/ca.pem")', hy.repr(ca)))
    env: dict = {"__name__": "readme_recipe"}
    lines = code.splitlines()
    for form in hy.read_many(code):
        value = hy.eval(form, env)
        line = lines[form.start_line - 1] if form.start_line else ""
        if "; => None" in line:
            assert value is None, (line, value)
    assert env.get("err") is None, env.get("err")


@pytest.fixture
def server(make_devserver):
    return make_devserver(users={"alice": "wonderland"}, tls_port=None)


@pytest.mark.parametrize("name", ["465", "587", "net"])
def test_readme_recipe_runs_as_shown(server, pki, name):
    run(recipe(name), server, pki.ca_path)
    if name == "465":
        caught = server.wait_for(1, timeout=10)
        assert b"From: =?utf-8?q?=C3=85sa?= <alice@example.com>\r\n" in caught[0].raw
