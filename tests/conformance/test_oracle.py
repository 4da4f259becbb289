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

REPO = Path(__file__).resolve().parents[2]
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


# A defect of the shared candidate runner, not of ours: where go.std.crypto.tls
# exists, its NewClientTLS calls (tls.Dial "tcp" addr cfg) with a config that
# lacks the ServerName the Go runner gives (`&tls.Config{RootCAs: caPool,
# ServerName: host}`).  Go's tls.Dial then takes the name from the address, an
# IP, and sends no SNI, so public/implicit_tls_client reads server_name ""
# where Go's runner read "testserver".  Until the shared runner is fixed (the
# two lines are in the closing note of issue 17), the scenarios run through a
# copy with that one line added, and the test below shows the defect is still
# the only difference.
RUNNER_DEFECT = '(setv cfg (dict opts))\n    (setv (get cfg "RootCAs") CA)\n'
RUNNER_FIX = '    (when (is (.get opts "ServerName") None) (setv (get cfg "ServerName") host))\n'


def _has_runner_defect() -> bool:
    return RUNNER_DEFECT in (ORACLE / "hyrunner.hy").read_text()


@pytest.fixture(scope="module")
def runner(oracle_built, tmp_path_factory) -> Path:
    if not _has_runner_defect():
        return ORACLE / "hyrunner.hy"
    fixed = tmp_path_factory.mktemp("oracle") / "hyrunner.hy"
    fixed.write_text((ORACLE / "hyrunner.hy").read_text().replace(RUNNER_DEFECT, RUNNER_DEFECT + RUNNER_FIX))
    return fixed


def _compare(runner_path: Path, *flags: str) -> subprocess.CompletedProcess:
    hy = Path(sys.executable).parent / "hy"
    return subprocess.run(
        [sys.executable, str(ORACLE / "compare.py"), str(ORACLE / "scenarios"), str(OUR_SCENARIOS),
         *flags, "--candidate", str(hy), str(runner_path)],
        env=_env(), capture_output=True, text=True, timeout=1200)


def test_the_shared_runners_defect_is_the_only_difference(oracle_built):
    if not _has_runner_defect():
        pytest.skip("the shared runner passes ServerName to tls.Dial now: nothing to check")
    done = _compare(ORACLE / "hyrunner.hy")
    failed = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("FAIL ")]
    assert failed == ["public/implicit_tls_client"], done.stdout[-6000:]
    assert '-{"handshake_complete": true, "ok": true, "op": "TLSConnectionState", "server_name": "testserver"' \
        in done.stdout and '"server_name": "", "version_nonzero": true}' in done.stdout, done.stdout[-6000:]


@pytest.mark.parametrize("strict_io", [False, True], ids=["io-kinds", "strict-io"])
def test_every_scenario_matches_go(runner, strict_io):
    done = _compare(runner, "--quiet", *(["--strict-io"] if strict_io else []))
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
