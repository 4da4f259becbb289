"""Conformance with Go itself: the differential oracle, when it is present.

``../shared/oracle`` (beside the clone) drives Go 1.27.3's ``net/smtp`` and
our Hy namespace through the same scripted conversations and compares the
bytes on the wire and every result.  This test builds the oracle (its
``setup.sh`` is idempotent and cheap once built) and runs the public
scenarios plus ours in ``tests/oracle_scenarios``.  Without the oracle
directory it is skipped; if the oracle is there but cannot be built, it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ORACLE = Path(os.environ.get("GOSTD_ORACLE", REPO.parent / "shared" / "oracle"))
OUR_SCENARIOS = REPO / "tests" / "oracle_scenarios"

pytestmark = pytest.mark.skipif(not (ORACLE / "compare.py").exists(),
                                reason="the Go oracle (../shared/oracle) is not beside this clone")


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The candidate runner must find this checkout's hy and packages.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture(scope="module")
def oracle_built():
    done = subprocess.run(["bash", str(ORACLE / "setup.sh")], env=_env(), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, "oracle setup failed:\n" + done.stderr[-3000:]


def test_every_scenario_matches_go(oracle_built):
    hy = Path(sys.executable).parent / "hy"
    done = subprocess.run(
        [sys.executable, str(ORACLE / "compare.py"), str(ORACLE / "scenarios"), str(OUR_SCENARIOS),
         "--quiet", "--candidate", str(hy), str(ORACLE / "hyrunner.hy")],
        env=_env(), capture_output=True, text=True, timeout=1200)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0 and last.startswith("oracle:"), done.stdout[-6000:] + done.stderr[-2000:]
    matched, total = last.split()[1].split("/")
    assert matched == total and int(total) >= 36 + len(list(OUR_SCENARIOS.glob("*.json"))), last
