"""The floor: a bare socket loop with Go's four round trips per message.

No reply parsing beyond reading whatever arrives, no checks, no dot
stuffing (the benchmark message has no line starting with a dot): the
least work any Python client doing MAIL, RCPT, DATA and the body in
lockstep can do.  It is a yardstick for the others, not a client.
"""

from __future__ import annotations

import socket

from bench.clients import RECIPIENT, SENDER


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    host, _, port = addr.rpartition(":")
    mail = ("MAIL FROM:<%s> BODY=8BITMIME\r\n" % SENDER).encode()
    rcpt = ("RCPT TO:<%s>\r\n" % RECIPIENT).encode()
    body = msg + b".\r\n"
    with socket.create_connection((host, int(port))) as sock:
        reply = sock.makefile("rb")
        reply.readline()  # greeting
        sock.sendall(b"EHLO localhost\r\n")
        while reply.readline()[3:4] == b"-":
            pass
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
        reply.close()
    return n, n * len(msg)
