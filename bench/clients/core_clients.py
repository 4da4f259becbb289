"""Our core from Python: the Go-semantics Client (smtp_core.client).

Every function takes ``(addr, n, msg)`` (``(addr, path)`` for ``stream``),
sends and returns ``(messages, message bytes)``.  Any failure raises, so a
row in the table always means every message was accepted by the sink.
Imports happen here, at module level, outside the timed loop.

Example::

    >>> one_conn("127.0.0.1:2525", 10, b"Subject: x\\r\\n\\r\\nhi\\r\\n")  # doctest: +SKIP
    (10, 200)
"""

from __future__ import annotations

from smtp_core import dial, send_mail

from bench.clients import RECIPIENT, SENDER, STREAM_CHUNK


def send_n(client, n: int, msg: bytes) -> None:
    """n messages on ``client``: the loop the Hy client runs, without the Hy layer."""
    for _ in range(n):
        client.mail(SENDER)
        client.rcpt(RECIPIENT)
        writer = client.data()
        writer.write(msg)
        writer.close()


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    """smtp_core.Client over one connection (send_n), then QUIT."""
    client = dial(addr)
    try:
        send_n(client, n, msg)
        client.quit()
    finally:
        if not client.closed:
            client.close()
    return n, n * len(msg)


def per_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    """smtp_core.send_mail (Go's SendMail) once per message."""
    for _ in range(n):
        send_mail(addr, None, SENDER, [RECIPIENT], msg)
    return n, n * len(msg)


def stream(addr: str, path: str) -> tuple[int, int]:
    """One message from a file, written in 64 KiB chunks."""
    size = 0
    with open(path, "rb") as f:
        client = dial(addr)
        try:
            client.mail(SENDER)
            client.rcpt(RECIPIENT)
            writer = client.data()
            while True:
                chunk = f.read(STREAM_CHUNK)
                if not chunk:
                    break
                size += writer.write(chunk)
            writer.close()
            client.quit()
        finally:
            if not client.closed:
                client.close()
    return 1, size
