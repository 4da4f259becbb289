"""A message that got its 250 survives a crash of the catcher.

Real ``smtp-devserver`` processes on loopback, killed with SIGKILL (no
cleanup runs) right after the last 250, then started again on the same
Maildir: every acknowledged message is listed by ``/api/v1/messages``, with
what only its index row holds (the AUTH name).  A
process killed between writing a message file and committing its index row
finds the message at its next start.  The fsync policies do what they say
(counted ``os.fsync`` calls), and the command line takes them.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cli_process import REPO_ROOT, DevServerProcess

import smtp_core
from smtp_core.devserver import cli
from smtp_core.devserver.mailbox.store import MailStore

TIMEOUT = 30


class Catcher:
    """``smtp-devserver`` on free ports, on ``maildir``, from the CLI."""

    def __init__(self, maildir: Path, *options: str):
        self.server = DevServerProcess("--port", "0", "--http-port", "0", "--quiet", "--maildir", str(maildir),
                                       "--cert-dir", str(maildir.parent / "certs"), "--max-messages", "0", *options)
        self.smtp_port = self.server.smtp_port()
        self.http_port = int(self.server.web_url().rstrip("/").rsplit(":", 1)[1])

    def listed(self) -> list[tuple[str, str]]:
        """``(Subject, Username)`` of every listed message, sorted."""
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        try:
            connection.request("GET", "/api/v1/messages?limit=1000")
            response = connection.getresponse()
            assert response.status == 200
            return sorted((message["Subject"], message["Username"])
                          for message in json.loads(response.read())["messages"])
        finally:
            connection.close()

    def kill(self) -> None:
        self.server.stop(signal.SIGKILL)  # nothing of the server's runs any more

    def stop(self) -> None:
        assert self.server.stop() == 0, self.server.stderr


def _message(subject: str) -> bytes:
    return f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n".encode()


@pytest.mark.parametrize("fsync", ["never", "batch", "always"])
def test_every_acknowledged_message_is_listed_after_a_sigkill(tmp_path, fsync):
    maildir = tmp_path / "mail"
    catcher = Catcher(maildir, "--fsync", fsync, "--user", "alice:wonderland")
    acknowledged: list[str] = []
    try:
        def connection(number: int) -> None:
            subjects = [f"c{number}-m{n:02d}" for n in range(20)]
            results = smtp_core.send_many(f"127.0.0.1:{catcher.smtp_port}",
                                          (("a@example.com", ["b@example.com"], _message(subject))
                                           for subject in subjects), tls="none", timeout=TIMEOUT,
                                          auth=smtp_core.PlainAuth("", "alice", "wonderland", "127.0.0.1"))
            acknowledged.extend(subject for subject, result in zip(subjects, results)
                                if not isinstance(result, BaseException))

        threads = [threading.Thread(target=connection, args=(number,)) for number in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
    finally:
        catcher.kill()  # right after the last 250
    assert len(acknowledged) == 80
    again = Catcher(maildir)
    try:
        # The AUTH name is in the index row only: the rows were committed
        # (a file indexed again at startup would be listed without it).
        assert again.listed() == sorted((subject, "alice") for subject in acknowledged)
    finally:
        again.stop()


KILLED_BEFORE_THE_COMMIT = """
import os, signal, sys
from smtp_core.devserver.mailbox import indexschema
from smtp_core.devserver.mailbox.store import MailStore
store = MailStore(sys.argv[1], max_messages=0)
store.add(b"Subject: first\\r\\n\\r\\nindexed\\r\\n", envelope_from="a@example.com", envelope_to=["b@example.com"])
indexschema.insert = lambda *arguments: os.kill(os.getpid(), signal.SIGKILL)
store.add(b"Subject: second\\r\\n\\r\\non disk only\\r\\n", envelope_from="c@example.com", envelope_to=["d@example.com"])
"""


def test_a_message_written_but_not_indexed_when_killed_is_indexed_at_the_next_start(tmp_path):
    maildir = tmp_path / "mail"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_THE_COMMIT, str(maildir)], env=environment,
                            capture_output=True, timeout=TIMEOUT)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(os.listdir(maildir / "new")) == 2  # the second file was in new/ before its row
    store = MailStore(maildir, max_messages=0)
    try:
        found = {summary["Subject"]: summary for summary in store.summaries()}
        assert sorted(found) == ["first", "second"]
        assert store.envelope(found["second"]["ID"]).envelope_from == "c@example.com"
    finally:
        store.close()


@pytest.mark.parametrize("fsync, expected", [("never", 0), ("batch", 2), ("always", 2)])
def test_the_fsync_policy_says_what_is_fsynced_before_the_reply(tmp_path, monkeypatch, fsync, expected):
    store = MailStore(tmp_path / "mail", max_messages=0, fsync=fsync)
    calls: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda descriptor: (calls.append(descriptor), real_fsync(descriptor))[1])
    try:
        store.add(b"Subject: one\r\n\r\nx\r\n", envelope_from="a@example.com", envelope_to=["b@example.com"])
    finally:
        store.close()
    assert len(calls) == expected  # the file, then new/ (SQLite fsyncs its own files itself)


def test_the_fsync_policy_is_a_command_line_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--fsync", "sometimes"])
    assert "--fsync: invalid choice: 'sometimes'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="fsync must be one of never, batch, always, got 'sometimes'"):
        MailStore("unused", fsync="sometimes")
