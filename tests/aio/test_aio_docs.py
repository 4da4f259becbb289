"""Every example of docs/async.md, run against the dev server, its printed
output compared with the comment on its ``print`` line."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import hy
import pytest

from servers import addr

DOC = Path(__file__).resolve().parents[2] / "docs" / "async.md"
BLOCK = re.compile(r"^```(python|hy)\n(.*?)^```", re.M | re.S)
EXPECTED = re.compile(r"^\(?print.*?(?:#|;) (.+)$", re.M)
EXAMPLES = [(m.group(1), m.group(2)) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_page_has_python_and_hy_examples():
    assert {language for language, _ in EXAMPLES} == {"python", "hy"} and len(EXAMPLES) >= 5


@pytest.mark.parametrize("language, source", EXAMPLES, ids=["%s-%d" % (e[0], i) for i, e in enumerate(EXAMPLES)])
def test_the_example_prints_what_the_page_says(devserver, language, source):
    expected = EXPECTED.findall(source)
    assert len(expected) == 1, "an example ends with one print line and its output in a comment"
    source = source.replace("127.0.0.1:2525", addr(devserver))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if language == "python":
            exec(compile(source, str(DOC), "exec"), {"__name__": "__doc_example__"})
        else:
            hy.eval(hy.read_many(source), {"__name__": "__doc_example__"})
    assert out.getvalue().strip() == expected[0].strip()
