"""Flow control of the asyncio driver: a message bigger than every buffer
between us and the server makes asyncio pause our writes; the send waits
for room (``pause_writing``/``resume_writing``) within its deadline.

Every wait is bounded; nothing asserts on elapsed time.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from smtp_core import StageTimeout, aio
from smtp_core.aio import transport as aio_transport

BIG = 8 << 20  # bytes of body: more than the loopback socket buffers hold


def big_message() -> bytes:
    line = b"x" * 998 + b"\r\n"
    return b"Subject: big\r\n\r\n" + line * (BIG // len(line))


@pytest.fixture
def pauses(monkeypatch):
    """How many times asyncio paused the driver's writes."""
    seen = []
    original = aio_transport.Receiver.pause_writing

    def pause_writing(self):
        seen.append(1)
        original(self)

    monkeypatch.setattr(aio_transport.Receiver, "pause_writing", pause_writing)
    return seen


def test_a_message_bigger_than_the_buffers_waits_for_room_and_arrives_whole(pipelining_server, pauses):
    handler, address = pipelining_server
    body = big_message()
    result = asyncio.run(asyncio.wait_for(
        aio.send(address, "a@example.com", ["b@example.com"], body, tls="none"), 60))
    assert result.accepted == ["b@example.com"]
    assert pauses, "asyncio never paused the writes: the test did not reach flow control"
    [(sender, rcpts, received)] = handler.messages
    assert (sender, rcpts) == ("a@example.com", ("b@example.com",))
    assert received.rstrip(b"\r\n") == body.rstrip(b"\r\n")


class StallingServer:
    """Accepts one connection, answers up to DATA's 354, then stops reading
    (until the client goes or ``limit`` seconds pass)."""

    def __init__(self, limit: float = 20.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.limit = limit
        self.client_gone = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        self.listener.settimeout(self.limit)
        try:
            sock, _ = self.listener.accept()
        except OSError:
            return
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(self.limit)
            sock.sendall(b"220 stall\r\n")
            data = b""
            for reply in (b"250-stall\r\n250 PIPELINING\r\n", b"250 ok\r\n250 ok\r\n354 go\r\n"):
                while b"\r\n" not in data:
                    data += sock.recv(4096)
                data = b""
                sock.sendall(reply)
            # No more reading: the client's writes fill the buffers.
            self.client_gone.wait(self.limit)

    def close(self) -> None:
        self.client_gone.set()
        self.thread.join(self.limit)
        self.listener.close()


def test_a_send_the_server_stops_reading_times_out_naming_the_stage_and_closes(pauses):
    server = StallingServer()
    try:
        async def main():
            c = await aio.connect(server.address, tls="none", timeout=0.5)
            try:
                with pytest.raises(StageTimeout) as info:
                    await aio.send(c, "a@example.com", ["b@example.com"], big_message())
                assert info.value.stage.startswith("sending DATA")
                assert c.closed
            finally:
                if not c.closed:
                    c.close()

        asyncio.run(asyncio.wait_for(main(), 30))
        assert pauses
    finally:
        server.close()
