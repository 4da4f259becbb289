"""Real peers of the mail catcher's tests: npm's ``mailpit-api`` client
run with node (``node/``, as a Mailpit test suite would call it) and
Debian's ``spamd``.  Each fixture skips without its tool, except under CI
(``CI=true``), where it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: npm's mailpit-api client, pinned by package-lock.json, and call.mjs, which runs it.
NODE_DIR = Path(__file__).resolve().parent / "node"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def mailpit_client():
    """``client(server, method, *args, auth=None)``: one call of npm's
    mailpit-api against the catcher; ``{"result": ...}`` or ``{"error": text}``.
    The pinned client is installed on first use (``npm ci``, from the lock
    file); without node and npm this skips, except under CI."""
    node, npm = shutil.which("node"), shutil.which("npm")
    missing = None
    installed = NODE_DIR / "node_modules" / "mailpit-api"
    if not installed.is_dir() and npm is not None:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                       capture_output=True, timeout=300)
    if node is None:
        missing = "node is missing (apt-get install -y nodejs npm)"
    elif not installed.is_dir():
        missing = "mailpit-api is not installed and npm could not install it (cd tests/helpers/node && npm ci)"
    if missing:
        if in_ci():
            pytest.fail(f"CI needs the mailpit-api tests: {missing}")
        pytest.skip(missing)

    def client(server, method: str, *args, auth: str | None = None):
        """``auth``: ``"user:password"`` for the client's basic auth."""
        environment = {key: value for key, value in os.environ.items() if key != "MAILPIT_AUTH"}
        if auth is not None:
            environment["MAILPIT_AUTH"] = auth
        done = subprocess.run([node, str(NODE_DIR / "call.mjs"), server.url.rstrip("/"), method,
                               json.dumps(list(args))], capture_output=True, text=True, timeout=60,
                              cwd=NODE_DIR, check=True, env=environment)
        return json.loads(done.stdout)

    return client


SPAMD = "/usr/sbin/spamd"
SPAMMY = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: VIAGRA FREE MONEY!!!\r\n\r\n"
          b"Buy VIAGRA now, 100% free, click here\r\n")


def _spamd_answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"PING SPAMC/1.5\r\n\r\n")
            return b"PONG" in sock.recv(100)
    except OSError:
        return False


@pytest.fixture(scope="session")
def spamd(tmp_path_factory):
    """``"127.0.0.1:port"`` of Debian's spamd, started here on loopback with
    the packaged rules only (no network tests, no user configuration).
    Without spamd this skips, except under CI."""
    import signal
    import socket
    import time

    if not os.access(SPAMD, os.X_OK):
        if in_ci():
            pytest.fail(f"CI needs {SPAMD} (apt-get install -y spamd)")
        pytest.skip(f"{SPAMD} is missing (apt-get install -y spamd)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("spamd")
    command = [SPAMD, "-i", "127.0.0.1", "-p", str(port), "-A", "127.0.0.1", "--local", "--nouser-config",
               "--max-children", "1", "--min-children", "1", "--syslog", "stderr",
               "--pidfile", str(folder / "spamd.pid")]
    if os.geteuid() == 0:
        command += ["--username", "nobody"]  # spamd will not run its children as root
    log = open(folder / "spamd.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(240):  # loading the rules takes a few seconds
            if _spamd_answers(port) or process.poll() is not None:
                break
            time.sleep(0.5)
        if not _spamd_answers(port):
            pytest.fail(f"spamd did not start: {(folder / 'spamd.log').read_text()[-2000:]}")
        yield f"127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        log.close()
