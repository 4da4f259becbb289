"""smtplib, the standard library's client: one connection, or one per message.

Same shape as :mod:`bench.clients.core_clients`.
"""

from __future__ import annotations

import smtplib

from bench.clients import RECIPIENT, SENDER, host_port


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    host, port = host_port(addr)
    server = smtplib.SMTP(host, port)
    try:
        for _ in range(n):
            server.sendmail(SENDER, [RECIPIENT], msg)
        server.quit()
    finally:
        server.close()
    return n, n * len(msg)


def per_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    host, port = host_port(addr)
    for _ in range(n):
        with smtplib.SMTP(host, port) as server:  # QUIT on leaving, as SendMail does
            server.sendmail(SENDER, [RECIPIENT], msg)
    return n, n * len(msg)


def stream(addr: str, path: str) -> tuple[int, int]:
    host, port = host_port(addr)
    with open(path, "rb") as f:
        msg = f.read()  # smtplib takes the message whole
    with smtplib.SMTP(host, port) as server:
        server.sendmail(SENDER, [RECIPIENT], msg)
    return 1, len(msg)
