"""The async benchmark still runs: ``python -m bench.aio`` on a tiny load,
both event loops, the Python sink.  No timing is asserted; only that every
row delivered and the targets are printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.aio import ROWS, TARGETS  # noqa: E402


def test_bench_aio_smoke_run_prints_every_row_on_both_loops():
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run([sys.executable, "-m", "bench.aio", "-n", "5", "--pool-n", "8", "--reps", "1",
                           "--sink", "python", "--loop", "both", "--no-write"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert out.count("## Event loop:") == 2 and "uvloop" in out
    for row in ROWS:
        assert out.count("| %s |" % row) == 2
    for name, _, _, _ in TARGETS:
        assert out.count(name) == 2
