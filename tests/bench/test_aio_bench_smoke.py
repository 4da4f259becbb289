"""The async benchmark still runs: ``python -m bench.aio`` on a tiny load,
both event loops, the Python sink.  No timing is asserted; only that every
row delivered and the targets are printed."""

from __future__ import annotations

import os
import sys

import pytest

from bench_run import ROOT, smoke_run

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.aio import ROWS, TARGETS, installed  # noqa: E402


def test_bench_aio_smoke_run_prints_every_row_on_both_loops():
    out = smoke_run("bench.aio", "-n", "5", "--pool-n", "8", "--reps", "1", "--sink", "python", "--loop", "both",
                    "--no-write", timeout=600)
    # aiosmtplib and uvloop come with the bench extra; without them their rows are skipped, said so.
    loops = 2 if installed("uvloop") else 1
    assert out.count("## Event loop:") == loops
    rows = [row for row in ROWS if row != "aiosmtplib" or installed("aiosmtplib")]
    for row in rows:
        assert out.count("| %s |" % row) == loops
    for name, _, against, _ in TARGETS:
        assert out.count(name) == (loops if against in rows else 0)
    for missing in ("aiosmtplib", "uvloop"):
        assert (("%s is not installed" % missing) in out) == (not installed(missing))


def test_place_pins_the_sink_and_the_clients_like_for_like():
    # --place apart: one CPU for the sink, another for the clients; shared:
    # one for all; any: no pinning.  On one usable CPU, apart is refused
    # with the reason rather than silently run as shared.
    from bench.aio import placement

    usable = os.sched_getaffinity(0)
    assert placement("any") is None
    sink, clients = placement("shared")
    assert sink == clients and len(sink) == 1 and sink <= usable
    if len(usable) > 1:
        sink, clients = placement("apart")
        assert sink.isdisjoint(clients) and (sink | clients) <= usable
    try:
        os.sched_setaffinity(0, {min(usable)})
        with pytest.raises(SystemExit, match="needs two CPUs"):
            placement("apart")
    finally:
        os.sched_setaffinity(0, usable)
