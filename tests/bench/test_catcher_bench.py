"""The catcher's benchmark still runs (``python -m bench.catcher --smoke``).

Timings are never asserted: only that every row is measured and printed.
"""

from __future__ import annotations

from bench_run import ROOT, smoke_run


def test_smoke_run_prints_every_row():
    out = smoke_run("bench.catcher", "--smoke", timeout=300)
    for row in ("| smtp-devserver (stored + indexed) |", "| bench sink (stores nothing) |",
                "| list, first page of 50 |", "| search from: | 4 |", "| search has:attachment | 20 |",
                "| search free text (rare word) | 1 |", "| message (latest) |"):
        assert row in out, row
    assert not (ROOT / "bench" / "catcher-results.md").exists() or "--smoke" not in (
        ROOT / "bench" / "catcher-results.md").read_text()
