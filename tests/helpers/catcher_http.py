"""The mail catcher's tests talk to it: HTTP requests and JSON answers,
mail sent over SMTP, the messages they send (tests/devserver).  The dev
server's command line in a process of its own is cli_process's."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from smtp_core import send_many
from smtp_core.devserver import DevServer
from smtp_core.devserver.features import Features
from smtp_core.devserver.mailbox.store import INDEX_NAME

T = 10.0


def call(server: DevServer, method: str, path: str, body=None, headers=None):
    """``(status, headers, body bytes)`` of one HTTP request to the catcher
    (``body``: bytes as they are, anything else as JSON)."""
    return fetch(server.url.rstrip("/") + path, method, body, headers)


def fetch(url: str, method: str = "GET", body=None, headers=None):
    """:func:`call` by URL: ``(status, headers, body bytes)``; an HTTP error is an answer too."""
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=T) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def get_json(server: DevServer, path: str):
    status, headers, body = call(server, "GET", path)
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)


def smtp(server: DevServer, *messages) -> None:
    """Send ``(sender, recipients, message)`` items over one connection."""
    results = send_many(f"{server.host}:{server.port}", messages, tls="none", timeout=T)
    assert all(not isinstance(result, BaseException) for result in results), results


def plain(subject: str, body: str = "hello", sender: str = "sender@example.com",
          to: str = "rcpt@example.com") -> tuple:
    return (sender, [to], f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode())


def mixed(*parts: tuple[str, str, bytes]) -> bytes:
    """A multipart/mixed message of attachments ``(content type header, file name, body)``."""
    lines = [b"From: a@example.com", b"Subject: parts", b"MIME-Version: 1.0",
             b'Content-Type: multipart/mixed; boundary="b"', b"", b"--b", b"Content-Type: text/plain", b"", b"hi"]
    for content_type, name, body in parts:
        lines += [b"--b", b"Content-Type: " + content_type.encode(),
                  b'Content-Disposition: attachment; filename="' + name.encode() + b'"', b"", body]
    return b"\r\n".join(lines + [b"--b--", b""])


def tagged(subject: str, tags: str | None) -> tuple:
    header = f"X-Tags: {tags}\r\n" if tags is not None else ""
    return ("a@example.com", ["b@example.com"],
            f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n{header}\r\nbody\r\n".encode())


def relay_features(relay, **options):
    from smtp_core.devserver.features import RelaySettings

    return Features(relay=RelaySettings("127.0.0.1", relay.port, **{"starttls": "none", **options}))


def forget_index(maildir: Path) -> None:
    """Delete the catcher's index and its ``-wal``/``-shm`` files, as a user
    who lost them would: the next start indexes every file in ``maildir`` again."""
    for index in maildir.glob(INDEX_NAME + "*"):
        index.unlink()
