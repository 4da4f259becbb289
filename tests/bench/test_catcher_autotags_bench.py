"""The tagging benchmark still runs (``python -m bench.catcher_autotags --smoke``).

Timings are never asserted: only that every row is measured and printed.
"""

from __future__ import annotations

from bench_run import smoke_run


def test_smoke_run_prints_every_row():
    out = smoke_run("bench.catcher_autotags", "--smoke", timeout=300)
    for table in ("| store.add with tagging |", "| tagging alone |"):
        assert table in out, table
    for row in ("| none |", "| default |", "| 10 filters |"):
        assert out.count(row) == 2, row
