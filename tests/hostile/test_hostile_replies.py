"""Hostile replies: every one ends in a clear error, in bounded time and memory.

A server the client does not control may send a reply line of 10 MiB, a
multi-line reply that never ends, one byte a second, half a reply and
then nothing, or bytes that are not SMTP at all.  Go's ``textproto`` has no
limit on any of these; the engine caps a reply line at
:data:`~smtp_core.protocol.reply.MAX_LINE` (1 MiB) and a whole reply at
:data:`~smtp_core.protocol.reply.MAX_REPLY` (4 MiB), and with ``timeout`` set it
bounds the time of each whole reply, however slowly it trickles.

Each test runs a small raw server on 127.0.0.1 whose misbehaviour is
bounded (it stops sending once the client has gone, and after a fixed
amount anyway), and checks:

* the error type (and that its text quotes the hostile bytes safely);
* peak memory growth during the call (resident set high-water mark, reset
  through ``/proc/self/clear_refs``; ``tracemalloc`` where that is missing);
* that the client's socket ends up closed and the server sees the close.

Where the engine keeps Go's behaviour (a malformed reply or an early EOF
leaves the connection to the caller's ``close()``/``with`` block, and that
``close()`` succeeds, as Go's ``Close`` returns nil), the test closes it and
checks the server saw that.
"""

from __future__ import annotations

import re
import select
import socket

import pytest

from hostile_peer import HANG_UP, MEMORY_BOUND, MiB, RawServer, memory_watch

import smtp_core
from smtp_core.errors import ProtocolError, ReplyTooLong, ServerClosed, SMTPError, StageTimeout
from smtp_core.protocol.reply import MAX_LINE, MAX_REPLY


def client_gone(sock: socket.socket, wait: float) -> bool:
    """Whether the client closed its side within ``wait`` seconds (for trickling servers)."""
    readable, _, _ = select.select([sock], [], [], wait)
    if not readable:
        return False
    try:
        return sock.recv(65536, socket.MSG_PEEK) == b""
    except ConnectionResetError:
        return True


def stream(sock: socket.socket, block: bytes, limit: int) -> None:
    """Send ``block`` again and again, ``limit`` bytes at most."""
    sent = 0
    while sent < limit:
        sock.sendall(block)
        sent += len(block)


def greet_then(behaviour):
    """A behaviour that first greets and reads the client's next command line."""
    def run(sock):
        sock.sendall(b"220 hostile.test ESMTP\r\n")
        read_line(sock)
        behaviour(sock)
    return run


def read_line(sock: socket.socket) -> bytes:
    line = bytearray()
    for _ in range(4096):  # one command line, byte by byte: a line is short
        b = sock.recv(1)
        if not b:
            break
        line += b
        if b == b"\n":
            break
    return bytes(line)


def assert_safe_text(err: BaseException) -> None:
    """The error's text carries no raw control character (it is quoted)."""
    text = str(err)
    assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", text), text
    assert len(text) < 4096, "error text of %d characters" % len(text)


# -- huge reply lines -----------------------------------------------------------------

def ten_mib_line(sock: socket.socket) -> None:
    block = b"x" * 65536
    sock.sendall(b"220 ")
    stream(sock, block, 10 * MiB)
    sock.sendall(b"\r\n")


def test_ten_mib_greeting_line_is_refused_and_the_socket_closed():
    with RawServer(ten_mib_line) as srv:
        sock = srv.connect()
        with memory_watch() as mem:
            with pytest.raises(ReplyTooLong) as info:
                smtp_core.Client(sock, "hostile.test")
        assert sock.fileno() == -1  # the failed greeting closed it
    assert srv.saw_close
    assert str(info.value) == "smtp: reply line longer than %d bytes" % MAX_LINE
    assert mem.growth < MEMORY_BOUND, (mem.method, mem.growth)


def ten_mib_line_body(sock: socket.socket) -> None:
    sock.sendall(b"250 ")
    stream(sock, b"y" * 65536, 10 * MiB)
    sock.sendall(b"\r\n")


def test_ten_mib_line_mid_session_closes_the_client():
    with RawServer(greet_then(ten_mib_line_body)) as srv:
        c = smtp_core.Client(srv.connect(), "hostile.test")
        with memory_watch() as mem:
            with pytest.raises(ReplyTooLong):
                c.noop()  # EHLO gets the 10 MiB line
        assert c.closed
    assert srv.saw_close
    assert mem.growth < MEMORY_BOUND, (mem.method, mem.growth)


# -- a multi-line reply that never ends ---------------------------------------------

@pytest.mark.parametrize("line", [b"250-x\r\n", b"250-xy\r\n", b"250-\r\n", b"250-" + b"y" * 998 + b"\r\n"],
                         ids=["one-char", "two-char", "empty", "long"])
def test_endless_multi_line_reply_stops_at_the_cap(line):
    block = line * (65536 // len(line))

    def behaviour(sock):
        sock.sendall(b"220 ok\r\n")
        read_line(sock)  # EHLO
        stream(sock, block, 64 * MiB)  # "forever", bounded: 16 times the cap

    with RawServer(behaviour) as srv:
        c = smtp_core.Client(srv.connect(), "hostile.test")
        with memory_watch() as mem:
            with pytest.raises(ReplyTooLong) as info:
                c.noop()
        assert c.closed
    assert srv.saw_close
    # The cause, not a "closed connection" from the HELO fallback.
    assert str(info.value) == "smtp: reply longer than %d bytes" % MAX_REPLY
    assert mem.growth < MEMORY_BOUND, (mem.method, mem.growth)


# -- trickling servers ----------------------------------------------------------------

def trickle(data: bytes, interval: float):
    """Send ``data`` a byte at a time, ``interval`` seconds apart, until the client leaves."""
    def run(sock):
        for i in range(len(data)):
            sock.sendall(data[i:i + 1])
            if client_gone(sock, interval):
                return
    return run


# One byte a second: every single wait is shorter than the timeout, so only a
# deadline on the whole reply stops it (the reply would complete after 16 s).
SLOW_GREETING = b"220 trickle.test\r\n"


def test_trickled_greeting_times_out_as_a_whole():
    with RawServer(trickle(SLOW_GREETING, 1.0)) as srv:
        with pytest.raises(StageTimeout) as info:
            smtp_core.dial(srv.address, timeout=1.5)
    assert srv.saw_close
    assert info.value.stage == "greeting"
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, OSError)


def test_trickled_reply_mid_session_times_out_and_closes():
    def behaviour(sock):
        sock.sendall(b"220 ok\r\n")
        read_line(sock)  # EHLO
        trickle(b"250-trickle.test\r\n250 8BITMIME\r\n", 1.0)(sock)

    with RawServer(behaviour) as srv:
        c = smtp_core.Client(srv.connect(), "hostile.test", timeout=1.5)
        with pytest.raises(StageTimeout) as info:
            c.hello("client.test")
        assert c.closed
    assert srv.saw_close
    # The timeout itself, not the closed-connection error of a HELO fallback.
    assert info.value.stage == "EHLO"


# -- a server that closes early --------------------------------------------------------

def test_close_mid_reply_is_eof_and_close_still_works():
    def behaviour(sock):
        sock.sendall(b"220 ok\r\n")
        read_line(sock)  # EHLO
        sock.sendall(b"250-half.test\r\n250-SIZE")
        sock.shutdown(socket.SHUT_WR)

    with RawServer(behaviour) as srv:
        with smtp_core.Client(srv.connect(), "hostile.test") as c:
            with pytest.raises(ServerClosed) as info:
                c.hello("client.test")
            assert str(info.value) == "EOF"
            # Like Go: the connection is the caller's to close, and closing succeeds.
            c.close()
            assert c.closed
    assert srv.saw_close


def test_close_mid_greeting_closes_the_socket():
    def behaviour(sock):
        sock.sendall(b"220-half")
        sock.shutdown(socket.SHUT_WR)

    with RawServer(behaviour) as srv:
        sock = srv.connect()
        with pytest.raises(ServerClosed):
            smtp_core.Client(sock, "hostile.test")
        assert sock.fileno() == -1
    assert srv.saw_close


def test_close_mid_data_fails_the_message_in_bounded_time():
    def behaviour(sock):
        sock.sendall(b"220 ok\r\n")
        for reply in (b"250 ok\r\n", b"250 ok\r\n", b"250 ok\r\n", b"354 go ahead\r\n"):
            read_line(sock)  # EHLO, MAIL, RCPT, DATA
            sock.sendall(reply)
        sock.recv(65536)  # a little of the message, then hang up
        return HANG_UP

    body = b"x" * 998 + b"\r\n"
    with RawServer(behaviour) as srv:
        with smtp_core.Client(srv.connect(), "hostile.test") as c:
            c.mail("a@example.com")
            c.rcpt("b@example.com")
            w = c.data()
            with pytest.raises(OSError) as info:
                # 64 MiB at most, far more than the socket buffers hold.
                for _ in range(64 * 1024):
                    w.write(body)
                w.close()
            # A reset or broken pipe while sending, or EOF for the verdict.
            assert isinstance(info.value, ConnectionError), repr(info.value)
            c.close()
            assert c.closed


# -- bytes that are not SMTP -----------------------------------------------------------

GARBAGE = [
    pytest.param(b"250garbage\r\n", ProtocolError, id="no-separator"),
    pytest.param(b"2x0 ok\r\n", ProtocolError, id="bad-code"),
    pytest.param(b"HTTP/1.1 400 Bad Request\r\n\r\n", ProtocolError, id="http"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x1b[2J\r\n", ProtocolError, id="binary"),
    pytest.param(b"\x00" * (2 * MiB), ReplyTooLong, id="2MiB-no-LF"),
]


@pytest.mark.parametrize("garbage, error", GARBAGE)
def test_garbage_greeting_is_a_clear_error(garbage, error):
    with RawServer(lambda sock: sock.sendall(garbage)) as srv:
        sock = srv.connect()
        with memory_watch() as mem:
            with pytest.raises(error) as info:
                smtp_core.Client(sock, "hostile.test")
        assert sock.fileno() == -1
    assert srv.saw_close
    assert_safe_text(info.value)
    assert mem.growth < MEMORY_BOUND


@pytest.mark.parametrize("garbage, error", GARBAGE)
def test_garbage_reply_mid_session_is_a_clear_error(garbage, error):
    def behaviour(sock):
        sock.sendall(b"220 ok\r\n")
        read_line(sock)
        sock.sendall(garbage)

    with RawServer(behaviour) as srv:
        with smtp_core.Client(srv.connect(), "hostile.test") as c:
            with pytest.raises(error) as info:
                c.command("NOOP", 250)
        assert c.closed
    assert srv.saw_close
    assert_safe_text(info.value)


def test_control_bytes_in_reply_text_are_kept_but_never_logged_raw(caplog):
    hostile = b"250 ok \x1b[2J\x00\xff\rforged: C: MAIL FROM:<x>\r\n"

    def behaviour(sock):
        sock.sendall(b"220 ok\r\n")
        read_line(sock)
        sock.sendall(hostile)

    caplog.set_level("DEBUG", logger="smtp_core.wire")
    with RawServer(behaviour) as srv:
        with smtp_core.Client(srv.connect(), "hostile.test") as c:
            code, text = c.command("NOOP", 250)
    assert code == 250 and "\x1b[2J\x00" in text  # the text itself is the server's
    records = [r.getMessage() for r in caplog.records if r.name == "smtp_core.wire"]
    assert any("S: 250" in m for m in records)
    for message in records:
        assert not re.search(r"[\x00-\x1f\x7f]", message), repr(message)


def test_every_failure_here_is_a_documented_failure_type():
    # The errors raised above are SMTP errors or I/O errors: what
    # smtp_core.errors.FAILURES says a caller must be ready for.
    for err in (ReplyTooLong("x"), ProtocolError("x"), ServerClosed(), StageTimeout("EHLO", 1.0)):
        assert isinstance(err, (SMTPError, OSError))


# -- the Pythonic layer's timeouts (smtp_core.pythonic) ---------------------------------------------

MESSAGE = b"Subject: x\r\n\r\nx\r\n"


def test_send_timeout_bounds_a_trickled_greeting():
    with RawServer(trickle(SLOW_GREETING, 1.0)) as srv:
        with pytest.raises(StageTimeout) as info:
            smtp_core.send(srv.address, "a@example.com", ["b@example.com"], MESSAGE, tls="none", timeout=1.5)
    assert info.value.stage == "greeting"
    assert srv.saw_close


def test_connect_to_a_silent_server_times_out():
    with RawServer(lambda sock: None) as srv:  # accepts, then says nothing
        with pytest.raises(StageTimeout) as info:
            smtp_core.connect(srv.address, tls="none", timeout=1.0)
    assert info.value.stage == "greeting"
    assert srv.saw_close


def test_send_times_out_waiting_for_the_verdict():
    def behaviour(sock):
        sock.sendall(b"220 ok\r\n")
        read_line(sock)  # EHLO
        sock.sendall(b"250 ok\r\n")
        for reply in (b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"):
            read_line(sock)  # MAIL, RCPT, DATA (no PIPELINING: one at a time)
            sock.sendall(reply)
        # Read the message and its end, then never answer.
        data = bytearray()
        for _ in range(1000):
            if data.endswith(b"\r\n.\r\n"):
                break
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk

    with RawServer(behaviour) as srv:
        with pytest.raises(StageTimeout) as info:
            smtp_core.send(srv.address, "a@example.com", ["b@example.com"], MESSAGE, tls="none", timeout=1.0)
    assert info.value.stage == "DATA end"
    assert srv.saw_close


@pytest.mark.parametrize("garbage, error", GARBAGE[:3])
def test_send_garbage_greeting_closes(garbage, error):
    with RawServer(lambda sock: sock.sendall(garbage)) as srv:
        with pytest.raises(error):
            smtp_core.send(srv.address, "a@example.com", ["b@example.com"], MESSAGE, tls="none", timeout=5)
    assert srv.saw_close
