"""The benchmarks' smoke runs: ``python -m <module> <arguments>`` from the
repository root, as a user runs it, with Hy's byte-code cache allowed (a
machine that sets ``PYTHONDONTWRITEBYTECODE`` would recompile every ``.hy``
import in the child)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def smoke_run(module: str, *arguments: str, timeout: float) -> str:
    """Run the benchmark; its standard output, once it has exited with 0."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run([sys.executable, "-m", module, *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout
