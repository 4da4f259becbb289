"""What a hostile EHLO reply costs the client: peak memory (tracemalloc) and time.

    python -m bench.hostile_ehlo [--runs 3]

Cases, each on a fresh loopback connection, measured around the call
only (the connection and greeting come first):

* ``keywords``: ``Client.greet()`` on an EHLO reply of 355,000 distinct
  keywords (``250-K0`` ... just under the 4 MiB reply cap), then
  ``extension()`` of the last keyword (found in the text past the cap);
* ``auth-line``: ``smtp_core.prepare(client, auth=[PLAIN, LOGIN])`` on an
  EHLO reply whose AUTH line lists 100,000 mechanisms (about 0.8 MiB, under
  the 1 MiB line cap); the server refuses the AUTH that follows.

Peak is tracemalloc's (Python allocations; the reply's bytes included),
``kept`` what the client still holds afterwards; the time is wall time
under tracemalloc, so only comparable within one run.  Prints one line per
case: the median of ``--runs`` runs, then every run.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time
import tracemalloc

import smtp_core

KEYWORDS = 355_000
MECHANISMS = 100_000


def keywords_reply(count: int = KEYWORDS, last: bytes = b"250 END") -> bytes:
    """An EHLO reply of ``count`` distinct keywords, then ``last``."""
    lines = [b"250-hostile.test"] + [b"250-K%x" % i for i in range(count)] + [last]
    return b"\r\n".join(lines) + b"\r\n"


def auth_line_reply(count: int = MECHANISMS) -> bytes:
    """An EHLO reply whose AUTH line lists ``count`` mechanisms, then PLAIN."""
    mechanisms = b" ".join(b"M%x" % i for i in range(count))
    return keywords_reply(0, b"250 AUTH " + mechanisms + b" PLAIN")


def answer(sock: socket.socket, reply: bytes) -> None:
    """Greet, answer EHLO with ``reply``, 535 to anything but QUIT (an AUTH or two), 221 to QUIT."""
    reader = sock.makefile("rb")
    sock.sendall(b"220 hostile.test\r\n")
    reader.readline(1024)
    sock.sendall(reply)
    for _ in range(8):
        line = reader.readline(1024)
        if not line or line.startswith(b"QUIT"):
            sock.sendall(b"221 bye\r\n" if line else b"")
            return
        sock.sendall(b"535 no\r\n")


def serve(listener: socket.socket, reply: bytes) -> None:
    """:func:`answer` on one connection."""
    sock, _ = listener.accept()
    with sock:
        sock.settimeout(30)
        answer(sock, reply)


def measure(reply: bytes, action) -> tuple[float, float, float]:
    """(peak MiB, kept MiB, seconds) of ``action(client)``."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = threading.Thread(target=serve, args=(listener, reply), daemon=True)
    server.start()
    client = smtp_core.dial("127.0.0.1:%d" % listener.getsockname()[1], timeout=30)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        action(client)
    except smtp_core.ReplyError:
        pass  # the refused AUTH of the auth-line case
    seconds = time.perf_counter() - started
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if not client.closed:
        client.quit()
    server.join(30)
    listener.close()
    return peak / 2**20, kept / 2**20, seconds


def greet_and_look_up(client) -> None:
    client.greet()
    assert client.extension("K%x" % (KEYWORDS - 1)) == (True, "")


def authenticate(client) -> None:
    auth = [smtp_core.PlainAuth("", "u", "p", "127.0.0.1"), smtp_core.LoginAuth("u", "p")]
    smtp_core.prepare(client, tls="none", auth=auth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for name, reply, action in (("keywords", keywords_reply(), greet_and_look_up),
                                ("auth-line", auth_line_reply(), authenticate)):
        runs = [measure(reply, action) for _ in range(args.runs)]
        peak, kept, seconds = (statistics.median(r[i] for r in runs) for i in range(3))
        print("%-10s reply %.2f MiB: peak %.1f MiB, kept %.1f MiB, %.2f s   runs: %s" % (
            name, len(reply) / 2**20, peak, kept, seconds,
            ", ".join("%.1f/%.1f MiB %.2f s" % r for r in runs)))


if __name__ == "__main__":
    main()
