"""The floors: bare socket loops, yardsticks for the clients, not clients.

No reply parsing beyond counting reply lines, no checks, no dot stuffing
(the benchmark message has no line starting with a dot).

* :func:`one_conn`: Go's four round trips per message (MAIL, RCPT, DATA,
  body), the least work any lockstep Python client can do;
* :func:`pipelined_one_conn`: two round trips (MAIL+RCPT+DATA in one
  write, then the body), the least any client pipelining one message at a
  time can do.
"""

from __future__ import annotations

import socket

from bench.clients import RECIPIENT, SENDER, host_port


def _greeted(addr: str) -> socket.socket:
    """A connection past the greeting and EHLO."""
    sock = socket.create_connection(host_port(addr))
    with sock.makefile("rb") as reply:
        reply.readline()  # greeting
        sock.sendall(b"EHLO localhost\r\n")
        while reply.readline()[3:4] == b"-":
            pass
    return sock


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    mail = ("MAIL FROM:<%s> BODY=8BITMIME\r\n" % SENDER).encode()
    rcpt = ("RCPT TO:<%s>\r\n" % RECIPIENT).encode()
    body = msg + b".\r\n"
    with _greeted(addr) as sock:
        for _ in range(n):
            # One reply line each; recv is enough as replies are single lines.
            sock.sendall(mail)
            sock.recv(4096)
            sock.sendall(rcpt)
            sock.recv(4096)
            sock.sendall(b"DATA\r\n")
            sock.recv(4096)
            sock.sendall(body)
            sock.recv(4096)
        sock.sendall(b"QUIT\r\n")
        sock.recv(4096)
    return n, n * len(msg)


def _read_lines(sock: socket.socket, count: int) -> None:
    """Read until ``count`` reply lines (single-line replies) have arrived."""
    seen = 0
    while seen < count:
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("the sink closed the connection")
        seen += data.count(b"\n")


def pipelined_one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    envelope = ("MAIL FROM:<%s> BODY=8BITMIME\r\nRCPT TO:<%s>\r\nDATA\r\n" % (SENDER, RECIPIENT)).encode()
    body = msg + b".\r\n"
    with _greeted(addr) as sock:
        for _ in range(n):
            sock.sendall(envelope)
            _read_lines(sock, 3)
            sock.sendall(body)
            _read_lines(sock, 1)
        sock.sendall(b"QUIT\r\n")
        sock.recv(4096)
    return n, n * len(msg)
