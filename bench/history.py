"""A results file as a history of runs, the newest first.

``bench/catcher-results.md`` and ``bench/async-results.md`` keep every run
that was read and discussed, so that figures taken on different days (this
machine's speed moves by several times) are never mistaken for one run.  A
benchmark therefore adds its report as a new section, never replaces the
file:

- the report's own ``#`` title is dropped and every other heading moves one
  level down, under a ``##`` heading naming when and how the run was made;
- the section goes after the file's title and preamble (everything before
  its first ``##`` heading), above the runs already there;
- a file that does not exist yet gets the report's title, then the run.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.md"
>>> record_run(path, "# Bench\\n\\nfirst\\n\\n## Table\\n\\n| a |\\n", "python -m bench.x", "2026-12-07 08:00")
>>> record_run(path, "# Bench\\n\\nsecond\\n\\n## Table\\n\\n| b |\\n", "python -m bench.x -n 5", "2026-12-07 09:00")
>>> print(path.read_text())
# Bench
<BLANKLINE>
## Run of 2026-12-07 09:00 UTC: `python -m bench.x -n 5`
<BLANKLINE>
second
<BLANKLINE>
### Table
<BLANKLINE>
| b |
<BLANKLINE>
## Run of 2026-12-07 08:00 UTC: `python -m bench.x`
<BLANKLINE>
first
<BLANKLINE>
### Table
<BLANKLINE>
| a |
<BLANKLINE>
<BLANKLINE>
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

_FIRST_SECTION = re.compile(r"^## ", re.MULTILINE)


def record_run(path: Path, report: str, command: str, when: str | None = None) -> None:
    """Add ``report`` (a Markdown document with a ``#`` title) to ``path``
    as its newest run, made by ``command`` at ``when`` (UTC; now if not given)."""
    when = when or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    title, body = report.split("\n", 1) if report.startswith("# ") else ("# Benchmark runs", report)
    body = re.sub(r"^(#+ )", r"#\1", body, flags=re.MULTILINE).strip("\n")
    section = "## Run of %s UTC: `%s`\n\n%s\n\n" % (when, command, body)
    old = path.read_text() if path.exists() else title + "\n\n"
    first = _FIRST_SECTION.search(old)
    at = first.start() if first else len(old)
    path.write_text(old[:at] + section + old[at:])
