"""The floors: bare socket loops, yardsticks for the clients, not clients.

No reply parsing beyond counting reply lines, no checks, no dot stuffing
(the benchmark message has no line starting with a dot).

* :func:`one_conn`: Go's four round trips per message (MAIL, RCPT, DATA,
  body), the least work any lockstep Python client can do;
* :func:`pipelined_one_conn`: two round trips (MAIL+RCPT+DATA in one
  write, then the body), the least any client pipelining one message at a
  time can do.
* :func:`pipelined_many` and :func:`asyncio_pipelined_many`: one round
  trip per message, the next envelope in the write that ends the body
  (``send_many``'s shape), with a blocking socket and with a bare asyncio
  buffered Protocol woken by a Future per reply: the least a blocking client and
  an asyncio client awaiting each reply can do for ``send_many``
  (``python -m bench.aio``);
* :func:`asyncio_callback_many`: the same conversation written next from
  the Protocol's ``buffer_updated``, with no Future and no task between
  replies: the least any client on that event loop can do.
"""

from __future__ import annotations

import asyncio
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


def _many_writes(n: int, msg: bytes) -> tuple[bytes, list[tuple[bytes, int]]]:
    """The first envelope, then each write and the reply lines it waits for."""
    envelope = ("MAIL FROM:<%s> BODY=8BITMIME\r\nRCPT TO:<%s>\r\nDATA\r\n" % (SENDER, RECIPIENT)).encode()
    body = msg + b".\r\n"
    return envelope, [(body + envelope, 4)] * (n - 1) + [(body + b"QUIT\r\n", 2)]


def pipelined_many(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    envelope, writes = _many_writes(n, msg)
    with _greeted(addr) as sock:
        sock.sendall(envelope)
        _read_lines(sock, 3)
        for data, lines in writes:
            sock.sendall(data)
            _read_lines(sock, lines)
    return n, n * len(msg)


class _Buffered(asyncio.BufferedProtocol):
    """Reads into one buffer (a plain Protocol gets a new 256 KiB bytes per read)
    and counts the reply lines in it."""

    def __init__(self) -> None:
        self.buffer = bytearray(65536)
        self.seen = 0

    def connection_made(self, transport) -> None:
        self.transport = transport

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.seen += self.buffer.count(b"\n", 0, nbytes)
        self.counted()


class _LineCounter(_Buffered):
    """Counts reply lines; wakes the waiting coroutine with a Future."""

    def __init__(self) -> None:
        super().__init__()
        self.wanted = 0
        self.waiter: asyncio.Future | None = None

    def counted(self) -> None:
        if self.waiter is not None and self.seen >= self.wanted and not self.waiter.done():
            self.waiter.set_result(None)

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the sink closed the connection"))

    async def lines(self, count: int) -> None:
        self.wanted += count
        if self.seen < self.wanted:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
            self.waiter = None


def asyncio_pipelined_many(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    envelope, writes = _many_writes(n, msg)

    async def main() -> None:
        sock = _greeted(addr)
        sock.setblocking(False)
        transport, protocol = await asyncio.get_running_loop().create_connection(_LineCounter, sock=sock)
        try:
            transport.write(envelope)
            await protocol.lines(3)
            for data, lines in writes:
                transport.write(data)
                await protocol.lines(lines)
        finally:
            transport.close()

    asyncio.run(main())
    return n, n * len(msg)


class _Writer(_Buffered):
    """Counts reply lines and writes the next batch from ``buffer_updated``."""

    def __init__(self, writes: list[tuple[bytes, int]], done: asyncio.Future) -> None:
        super().__init__()
        self.writes = iter(writes)
        self.wanted = 3
        self.done = done

    def counted(self) -> None:
        if self.seen >= self.wanted:
            self.seen -= self.wanted
            step = next(self.writes, None)
            if step is None:
                self.done.set_result(None)
            else:
                self.transport.write(step[0])
                self.wanted = step[1]

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError("the sink closed the connection"))


def asyncio_callback_many(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    envelope, writes = _many_writes(n, msg)

    async def main() -> None:
        sock = _greeted(addr)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        transport, _ = await loop.create_connection(lambda: _Writer(writes, done), sock=sock)
        try:
            transport.write(envelope)
            await done
        finally:
            transport.close()

    asyncio.run(main())
    return n, n * len(msg)
