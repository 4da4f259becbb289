"""Conformance with Go itself: the differential oracle, when it is present.

``../shared/oracle`` (beside the clone) drives Go 1.27.3's ``net/smtp`` and
our Hy namespace through the same scripted conversations and compares the
bytes on the wire and every result.  This test builds the oracle (its
``setup.sh`` is idempotent and cheap once built) and runs the public
scenarios plus ours in ``tests/oracle_scenarios``, twice: comparing the
kind of every I/O error, then with ``--strict-io`` its text too (Go's
``net.OpError`` shape).  Without the oracle directory it is skipped, except
under CI (``CI=true``), where a missing oracle fails; if the oracle is there
but cannot be built, it fails.
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


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The candidate runner must find this checkout's hy and packages.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture(scope="module")
def oracle_built():
    if not (ORACLE / "compare.py").exists():
        missing = "the Go oracle (%s) is not beside this clone" % ORACLE
        if os.environ.get("CI") == "true":
            pytest.fail(missing + "; under CI it must be")
        pytest.skip(missing)
    done = subprocess.run(["bash", str(ORACLE / "setup.sh")], env=_env(), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, "oracle setup failed:\n" + done.stderr[-3000:]


@pytest.mark.parametrize("strict_io", [False, True], ids=["io-kinds", "strict-io"])
def test_every_scenario_matches_go(oracle_built, strict_io):
    hy = Path(sys.executable).parent / "hy"
    done = subprocess.run(
        [sys.executable, str(ORACLE / "compare.py"), str(ORACLE / "scenarios"), str(OUR_SCENARIOS),
         "--quiet", *(["--strict-io"] if strict_io else []),
         "--candidate", str(hy), str(ORACLE / "hyrunner.hy")],
        env=_env(), capture_output=True, text=True, timeout=1200)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0 and last.startswith("oracle:"), done.stdout[-6000:] + done.stderr[-2000:]
    matched, total = last.split()[1].split("/")
    assert matched == total and int(total) >= 36 + len(list(OUR_SCENARIOS.glob("*.json"))), last


def test_missing_oracle_fails_under_ci(tmp_path):
    # Under CI a missing oracle is a failure, not a skip; elsewhere a skip.
    def run(ci: str) -> subprocess.CompletedProcess:
        env = dict(_env(), CI=ci, GOSTD_ORACLE=str(tmp_path / "no-oracle"))
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
                               "-k", "every_scenario"], env=env, capture_output=True, text=True, timeout=300)

    under_ci, elsewhere = run("true"), run("")
    assert under_ci.returncode == 1 and "2 errors" in under_ci.stdout, under_ci.stdout[-2000:]
    assert elsewhere.returncode == 0 and "2 skipped" in elsewhere.stdout, elsewhere.stdout[-2000:]
