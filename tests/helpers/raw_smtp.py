"""A raw SMTP client for tests of the dev server: a plain socket, one line at
a time, exactly the bytes it is given (hostile ones too, where ``smtplib``
would refuse them); ``raw_sessions`` opens them and closes them after the
test."""

from __future__ import annotations

import base64
import socket

import pytest

TIMEOUT = 10


class Raw:
    """A line-at-a-time SMTP client on a plain socket: sends exactly what it is given."""

    def __init__(self, server, port=None, context=None):
        self.sock = socket.create_connection((server.host, port or server.port), timeout=TIMEOUT)
        if context is not None:
            self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        self.file = self.sock.makefile("rb")
        self.greeting = self.reply()

    def reply(self) -> tuple[int, list[bytes]]:
        lines = []
        while True:
            line = self.file.readline(10_000)
            assert line.endswith(b"\r\n"), line
            lines.append(line[4:-2])
            if line[3:4] == b" ":
                return int(line[:3]), lines

    def cmd(self, line: bytes | str) -> tuple[int, list[bytes]]:
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogateescape")
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def raw_sessions():
    opened: list[Raw] = []

    def open_(server, **options) -> Raw:
        opened.append(Raw(server, **options))
        return opened[-1]

    yield open_
    for session in opened:
        session.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
