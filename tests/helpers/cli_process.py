"""``smtp-devserver`` as a child process, for the tests that need the real
program: its banner, its signals, what ``ps`` shows of it, its usage errors.

One owner of starting it (the package from this checkout, unbuffered
output read on a thread), of reading its banner within bounds, and of
stopping it with every pipe closed (pytest turns an unclosed one into an
error); :func:`refusal` runs it on arguments it must refuse::

    with DevServerProcess("--port", "0", "--no-http", cwd=tmp_path) as server:
        port = server.smtp_port()
        ...
    assert server.returncode == 0 and "Traceback" not in server.stderr
    assert "--max-messages must be >= 0" in refusal("--max-messages", "-1")
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10.0  # seconds for one line, and for the program to stop
_BANNER_LINES = 50  # bounded: the banner is a handful of lines


def _command(arguments: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "smtp_core.devserver", *arguments]


def _environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, **(environ or {}), "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}


def refusal(*arguments: str, cwd: str | os.PathLike[str] | None = None) -> str:
    """What the program prints (stderr) refusing ``arguments``: it must exit
    2, argparse's usage error, before serving anything."""
    result = subprocess.run(_command(arguments), capture_output=True, text=True, timeout=60,
                            env=_environment(), cwd=cwd)
    assert result.returncode == 2, (result.returncode, result.stderr)
    return result.stderr


class DevServerProcess:
    """``python -m smtp_core.devserver *arguments``, stopped on leaving ``with``."""

    def __init__(self, *arguments: str, cwd: str | os.PathLike[str] | None = None,
                 environ: dict[str, str] | None = None):
        self.process = subprocess.Popen(_command(arguments), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=_environment(environ), cwd=cwd)
        #: Every line printed so far (read by :meth:`line_containing`).
        self.lines: list[str] = []
        self.returncode: int | None = None
        self.stderr = ""
        self._printed: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self._printed.put(line.rstrip("\n"))
        self._printed.put(None)  # the program closed its output

    @property
    def pid(self) -> int:
        return self.process.pid

    def line_containing(self, fragment: str) -> str:
        """The next printed line holding ``fragment`` (lines before it are
        kept in :attr:`lines`); ``AssertionError`` if none comes."""
        for _ in range(_BANNER_LINES):
            line = self._printed.get(timeout=TIMEOUT)
            if line is None:
                break
            self.lines.append(line)
            if fragment in line:
                return line
        raise AssertionError(f"{fragment!r} never printed; printed: {self.lines}")

    def banner(self) -> list[str]:
        """The start-up banner, up to its last line (``press Ctrl-C``)."""
        self.line_containing("press Ctrl-C")
        return list(self.lines)

    def smtp_port(self) -> int:
        """The plain SMTP port of the banner's first listening line."""
        return int(re.search(r"listening on \S+:(\d+) \(plain", self.line_containing("(plain, STARTTLS)")).group(1))

    def web_url(self) -> str:
        """The banner's ``web page and API: URL``."""
        return self.line_containing("web page and API: ").split(": ", 1)[1].strip()

    def stop(self, how: signal.Signals = signal.SIGINT) -> int:
        """Send ``how``, wait for the exit (killed after :data:`TIMEOUT`),
        close the pipes; the exit status (also :attr:`returncode`)."""
        if self.returncode is not None:
            return self.returncode
        try:
            if self.process.poll() is None:
                self.process.send_signal(how)
            self.returncode = self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(TIMEOUT)
            self._reader.join(TIMEOUT)
            self.stderr = self.process.stderr.read()  # type: ignore[union-attr]
            self.process.stdout.close()  # type: ignore[union-attr]
            self.process.stderr.close()  # type: ignore[union-attr]
        return self.returncode

    def __enter__(self) -> DevServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
