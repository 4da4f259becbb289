"""The catcher's benchmark still runs (``python -m bench.catcher --smoke``).

Timings are never asserted: only that every row is measured and printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_prints_every_row():
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run([sys.executable, "-m", "bench.catcher", "--smoke"], cwd=str(ROOT), env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    for row in ("| smtp-devserver (stored + indexed) |", "| bench sink (stores nothing) |",
                "| list, first page of 50 |", "| search from: | 4 |", "| search has:attachment | 20 |",
                "| search free text (rare word) | 1 |", "| message (latest) |"):
        assert row in result.stdout, row
    assert not (ROOT / "bench" / "catcher-results.md").exists() or "--smoke" not in (
        ROOT / "bench" / "catcher-results.md").read_text()
