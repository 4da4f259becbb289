"""``send_many``: many messages over one connection, pipelined across messages.

With PIPELINING the write that carries a message's body and end of data
also carries the next message's MAIL, RCPT and DATA, so N messages cost
N + 1 waits of the client (the first envelope, then one per body).  Byte
order and read counts are checked on the scripted server; behaviour against
real servers on aiosmtpd (with PIPELINING advertised) and the dev server.
Also here: the kernel timeouts that the Pythonic layer's own sockets use.
"""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from email_messages import email_message
from scripted import Close, Silent

import smtp_core
from smtp_core import (
    BatchAborted,
    EnvelopeError,
    LineError,
    MessageNotSent,
    MessageRefused,
    MessageTooLarge,
    RecipientsRefused,
    SendResult,
    ServerClosed,
    StageTimeout,
    TLSConfig,
    connect,
    send,
    send_many,
)
from smtp_core.protocol.dotstuff import DotEncoder
from smtp_core.protocol.lineends import crlf
from smtp_core.pythonic.message import encode_whole as _encode_whole
from smtp_core.transport import Transport

T = 10  # seconds: the bound of any single wait in these tests
SHORT = 0.4  # for waits that are meant to time out

EHLO_PIPE = "250-test.example\n250-PIPELINING\n250-8BITMIME\n250 SIZE 100000"
EHLO_PLAIN = "250-test.example\n250 8BITMIME"
ENVELOPE_OK = ["250 ok", "250 ok", "354 go"]


def body(n: int) -> bytes:
    return b"Subject: %d\r\n\r\nmessage %d\r\n" % (n, n)


def envelope(n: int, to: str = "b@example.com") -> bytes:
    return (b"MAIL FROM:<a@example.com> BODY=8BITMIME SIZE=%d\r\nRCPT TO:<%s>\r\nDATA\r\n"
            % (len(body(n)), to.encode()))


def item(n: int, to: str = "b@example.com") -> tuple:
    return ("a@example.com", [to], body(n))


# --------------------------------------------------------------------------
# Pipelining across messages: byte order and waits
# --------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3, 8])
def test_n_messages_take_n_plus_one_waits(scripted, count):
    script = ["220 hi", EHLO_PIPE] + ENVELOPE_OK
    for n in range(count - 1):
        script += ["250 queued %d" % n] + ENVELOPE_OK
    srv = scripted(script + ["250 queued %d" % (count - 1), "221 bye"])
    results = send_many(srv.address, [item(n) for n in range(count)], tls="none", timeout=T)
    assert [r.reply for r in results] == [(250, "queued %d" % n) for n in range(count)]
    assert all(type(r) is SendResult and r.accepted == ["b@example.com"] for r in results)
    expected = b"EHLO localhost\r\n" + envelope(0)
    for n in range(count):
        expected += body(n) + b".\r\n" + (envelope(n + 1) if n + 1 < count else b"")
    assert srv.transcript(0) == expected + b"QUIT\r\n"
    # Units: EHLO, then per message MAIL, RCPT, DATA and the body, then QUIT.
    # The first envelope is one read; each body arrives in one read with the
    # next message's MAIL, RCPT and DATA already behind it (0: buffered).
    waits = srv.connections[0].waits
    assert waits[0] == 1 and waits[-1] == 1
    assert waits[1:-1] == [1, 0, 0] + [1, 0, 0, 0] * (count - 1) + [1]
    assert sum(waits[1:-1]) == count + 1


def test_without_pipelining_messages_go_in_lockstep(scripted):
    srv = scripted(["220 hi", EHLO_PLAIN] + ENVELOPE_OK + ["250 queued 0"] + ENVELOPE_OK
                   + ["250 queued 1", "221 bye"])
    results = send_many(srv.address, [item(0), item(1)], tls="none", timeout=T)
    assert [r.reply[1] for r in results] == ["queued 0", "queued 1"]
    srv.wait_done()
    assert srv.connections[0].waits == [1] * 10
    plain = b"MAIL FROM:<a@example.com> BODY=8BITMIME\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
    assert srv.transcript(0) == (b"EHLO localhost\r\n" + plain + body(0) + b".\r\n" + plain + body(1)
                                 + b".\r\nQUIT\r\n")


def test_pipelining_false_keeps_lockstep(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + ["250 queued 0"] + ENVELOPE_OK + ["250 queued 1", "221 bye"])
    send_many(srv.address, [item(0), item(1)], tls="none", timeout=T, pipelining=False)
    srv.wait_done()
    assert srv.connections[0].waits == [1] * 10


def test_to_a_client_no_quit_and_to_an_address_quit(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + ["250 queued", "250 ok (NOOP)", "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        [result] = send_many(c, iter([item(0)]))
        assert result.reply == (250, "queued") and not c.closed
        c.noop()
        c.quit()
    assert srv.transcript(0).endswith(b".\r\nNOOP\r\nQUIT\r\n")


def test_nothing_to_send_costs_no_connection(free_port):
    # Nothing listens there: connecting would fail.
    assert send_many("127.0.0.1:%d" % free_port, [], tls="none", timeout=T) == []
    assert send_many("127.0.0.1:%d" % free_port, (m for m in ()), tls="none", timeout=T) == []


# --------------------------------------------------------------------------
# Refusals: one message never stops or corrupts the next
# --------------------------------------------------------------------------


def test_refused_message_between_two_good_ones(scripted):
    # Message 1's recipients are all refused while message 0's end of data
    # is still in flight: message 0 is delivered, 1 is reset, 2 goes on.
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK
                   + ["250 queued 0", "250 ok", "550 5.1.1 no such user", "554 5.5.1 no valid recipients"]
                   + ["250 reset"] + ENVELOPE_OK + ["250 queued 2", "221 bye"])
    results = send_many(srv.address, [item(0), item(1, "nobody@example.com"), item(2)], tls="none", timeout=T)
    first, refused, last = results
    assert first.reply == (250, "queued 0") and last.reply == (250, "queued 2")
    assert isinstance(refused, RecipientsRefused)
    assert refused.refused["nobody@example.com"].code == 550
    assert srv.transcript(0) == (b"EHLO localhost\r\n" + envelope(0) + body(0) + b".\r\n"
                                 + envelope(1, "nobody@example.com") + b"RSET\r\n" + envelope(2)
                                 + body(2) + b".\r\nQUIT\r\n")
    srv.wait_done()
    assert srv.connections[0].waits == [1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1]


def test_data_accepted_without_recipients_is_ended_empty_then_reset(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK
                   + ["250 queued 0", "250 ok", "550 no", "354 go on anyway", "554 no recipients", "250 reset"]
                   + ENVELOPE_OK + ["250 queued 2", "221 bye"])
    results = send_many(srv.address, [item(0), item(1, "nobody@example.com"), item(2)], tls="none", timeout=T)
    assert [type(r) for r in results] == [SendResult, RecipientsRefused, SendResult]
    assert (envelope(1, "nobody@example.com") + b".\r\nRSET\r\n" + envelope(2)) in srv.transcript(0)
    assert body(1) not in srv.transcript(0)


def test_refused_message_with_the_next_envelope_already_sent_needs_no_reset(scripted):
    # RFC 5321 4.1.1.4: the reply to the end of data ends the transaction,
    # whatever it says, so the MAIL already behind it starts a clean one.
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + ["554 5.7.1 spam"] + ENVELOPE_OK
                   + ["250 queued 1", "221 bye"])
    spam, good = send_many(srv.address, [item(0), item(1)], tls="none", timeout=T)
    assert isinstance(spam, MessageRefused) and (spam.stage, spam.code) == ("DATA end", 554)
    assert spam.result.accepted == ["b@example.com"] and spam.result.reply == (554, "5.7.1 spam")
    assert good.reply == (250, "queued 1")
    transcript = srv.transcript(0)
    assert b"RSET" not in transcript
    assert body(0) + b".\r\n" + envelope(1) + body(1) + b".\r\nQUIT\r\n" in transcript


def test_the_last_message_refused_is_reset_like_send(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + ["250 queued 0"] + ENVELOPE_OK
                   + ["554 no", "250 reset", "221 bye"])
    good, refused = send_many(srv.address, [item(0), item(1)], tls="none", timeout=T)
    assert good.reply[0] == 250 and refused.stage == "DATA end"
    assert srv.transcript(0).endswith(body(1) + b".\r\nRSET\r\nQUIT\r\n")


def test_refused_mail_and_refused_data_command(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "451 4.3.0 later", "503 need MAIL", "503 need MAIL", "250 reset",
                    "250 ok", "250 ok", "452 4.3.1 no space", "250 reset"] + ENVELOPE_OK
                   + ["250 queued", "221 bye"])
    mail, data, good = send_many(srv.address, [item(0), item(1), item(2)], tls="none", timeout=T)
    assert (mail.stage, mail.code, mail.temporary) == ("MAIL", 451, True)
    assert (data.stage, data.code) == ("DATA", 452)
    assert good.reply == (250, "queued")


def test_messages_that_cannot_be_sent_are_reported_and_skipped(scripted):
    no_from = email_message({"To": "b@example.com"})
    srv = scripted(["220 hi", "250-test\n250-PIPELINING\n250 SIZE 1000"] + ENVELOPE_OK + ["250 queued", "221 bye"])
    results = send_many(srv.address, [
        ("a@example.com", ["b@example.com"], "text, not bytes"),
        ("a@example.com", ["b@example.com>\r\nRCPT TO:<evil@example.com"], b"x"),
        ("a@example.com", [], b"x"),
        ("a@example.com", ["b@example.com"], b"x" * 2000),
        42,
        no_from,
        ("a@example.com", ["b@example.com"], b"fine\r\n"),
    ], tls="none", timeout=T)
    assert [type(r) for r in results] == [TypeError, LineError, EnvelopeError, MessageTooLarge, TypeError,
                                          EnvelopeError, SendResult]
    transcript = srv.transcript(0)
    assert transcript.count(b"MAIL FROM") == 1 and b"evil" not in transcript


def test_partial_refusals_are_kept_per_message(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "451 4.2.0 later", "354 go", "250 queued 0",
                    "250 ok", "550 no", "250 ok", "354 go", "250 queued 1", "221 bye"])
    two = ["b@example.com", "c@example.com"]
    first, second = send_many(srv.address, [("a@example.com", two, body(0)), ("a@example.com", two, body(1))],
                              tls="none", timeout=T)
    assert first.accepted == ["b@example.com"] and first.refused["c@example.com"].temporary
    assert second.accepted == ["c@example.com"] and second.refused["b@example.com"].code == 550


# --------------------------------------------------------------------------
# I/O errors and timeouts stop the batch
# --------------------------------------------------------------------------


class Counted:
    """An iterable of messages that counts how many were taken."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.taken = 0

    def __iter__(self):
        for n in range(self.count):
            self.taken += 1
            yield item(n)


def test_a_timeout_mid_batch_reports_what_was_not_sent(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + ["250 queued 0"] + ENVELOPE_OK + [Silent()])
    messages = Counted(5)
    client = connect(srv.address, tls="none", timeout=SHORT)
    with pytest.raises(BatchAborted) as caught:
        send_many(client, messages)
    err = caught.value
    assert isinstance(err.error, StageTimeout) and err.error.stage == "DATA end"
    assert err.__cause__ is err.error and client.closed
    delivered, unknown, unsent = err.results
    assert delivered.reply == (250, "queued 0")
    # Message 1 went out whole: the server may have it.  Message 2's envelope
    # rode along with it, but its body never left.
    assert isinstance(unknown, MessageNotSent) and unknown.uncertain and unknown.error is err.error
    assert isinstance(unsent, MessageNotSent) and not unsent.uncertain
    assert err.not_sent == [1, 2]
    assert messages.taken == 3  # at most one message ahead of the one in flight
    assert "1 of 3 messages were accepted" in str(err)


def test_a_server_that_closes_mid_batch(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + ["250 queued 0"] + ENVELOPE_OK
                   + [Close(b"421 4.3.2 shutting down\r\n")])
    with pytest.raises(BatchAborted) as caught:
        send_many(srv.address, Counted(4), tls="none", timeout=T)
    err = caught.value
    delivered, refused, unsent = err.results
    # The 421 ends the session at once: message 2's replies are not waited for.
    assert err.error is refused
    assert delivered.reply[0] == 250
    assert isinstance(refused, MessageRefused) and (refused.stage, refused.code) == ("DATA end", 421)
    assert isinstance(unsent, MessageNotSent) and not unsent.uncertain and unsent.error is refused


def test_a_failure_on_the_first_envelope(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", Close()])
    with pytest.raises(BatchAborted) as caught:
        send_many(srv.address, [item(0), item(1)], tls="none", timeout=T)
    [unsent] = caught.value.results
    assert isinstance(unsent, MessageNotSent) and not unsent.uncertain
    assert isinstance(caught.value.error, ServerClosed)


def test_send_of_one_still_raises_the_io_error_itself(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + [Silent()])
    client = connect(srv.address, tls="none", timeout=SHORT)
    with pytest.raises(StageTimeout) as caught:
        send(client, *item(0))
    assert caught.value.stage == "DATA end" and client.closed


def test_an_iterable_that_fails_finishes_the_message_in_flight(scripted):
    def messages():
        yield item(0)
        yield item(1)
        raise ValueError("the outbox is corrupt")

    srv = scripted(["220 hi", EHLO_PIPE] + ENVELOPE_OK + ["250 queued 0"] + ENVELOPE_OK
                   + ["250 queued 1"] + ENVELOPE_OK + ["250 queued 2", "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(BatchAborted) as caught:
            send_many(c, messages())
        assert isinstance(caught.value.error, ValueError) and not c.closed
        assert [r.reply[1] for r in caught.value.results] == ["queued 0", "queued 1"]
        assert send(c, *item(2)).reply == (250, "queued 2")  # the connection is still good
        c.quit()


# --------------------------------------------------------------------------
# A real server with PIPELINING: aiosmtpd
# --------------------------------------------------------------------------


def test_a_batch_on_aiosmtpd_with_failures_mid_stream(pipelining_server):
    handler, address = pipelining_server

    def messages():
        for n in range(40):
            if n == 10:
                yield ("a@example.com", ["no1@example.com", "no2@example.com"], body(n))  # all refused
            elif n == 20:
                yield ("a@example.com", ["x@example.com"], b"Subject: REJECT\r\n\r\nspam\r\n")
            elif n == 30:
                yield ("a@example.com", ["x@example.com", "nobody@example.com"], b".dot first\n" + body(n))
            else:
                yield ("a@example.com", ["r%d@example.com" % n], body(n))

    with connect(address, tls="none", timeout=T) as c:
        assert c.extension("PIPELINING")[0]
        results = send_many(c, messages())
        c.quit()
    assert isinstance(results[10], RecipientsRefused)
    assert isinstance(results[20], MessageRefused) and results[20].stage == "DATA end"
    assert results[30].accepted == ["x@example.com"] and list(results[30].refused) == ["nobody@example.com"]
    good = [n for n in range(40) if n not in (10, 20)]
    assert all(type(results[n]) is SendResult for n in good)
    assert len(handler.messages) == 38
    assert [m[2] for m in handler.messages if m[1] != ("x@example.com",)] == [body(n) for n in good if n != 30]
    assert (b".dot first\r\n" + body(30)) in [m[2] for m in handler.messages]


def test_messages_are_taken_at_most_one_ahead(pipelining_server):
    handler, address = pipelining_server
    seen_when_taken = []

    def messages():
        for n in range(30):
            seen_when_taken.append(len(handler.messages))
            yield item(n)

    send_many(address, messages(), tls="none", timeout=T)
    assert len(handler.messages) == 30
    # When message n is taken, message n - 2 has been acknowledged: the
    # server stored it before its reply, read before message n - 1's body went.
    assert all(seen >= n - 1 for n, seen in enumerate(seen_when_taken))


def test_a_huge_envelope_in_a_batch_goes_in_windows(pipelining_server):
    handler, address = pipelining_server
    many = ["r%04d@example.com" % i for i in range(2000)]  # about 50 KiB of RCPT lines
    results = send_many(address, [item(0), ("a@example.com", many, body(1)), item(2)], tls="none", timeout=T)
    assert [type(r) for r in results] == [SendResult] * 3 and len(results[1].accepted) == 2000
    assert [len(m[1]) for m in handler.messages] == [1, 2000, 1]


def test_email_messages_as_items(pipelining_server):
    handler, address = pipelining_server
    batch = [email_message({"From": "alice@example.com", "To": "bob%d@example.com" % n, "Bcc": "hidden@example.com",
                            "Subject": "n%d" % n}, "hello %d\n" % n) for n in range(3)]
    results = send_many(address, batch, tls="none", timeout=T)
    assert [r.accepted for r in results] == [["bob%d@example.com" % n, "hidden@example.com"] for n in range(3)]
    assert all(b"hidden" not in m[2] for m in handler.messages)


# --------------------------------------------------------------------------
# The dev server: files, TLS
# --------------------------------------------------------------------------


def test_files_and_bytes_in_one_batch(devserver, tmp_path):
    path = tmp_path / "big.eml"
    content = b"Subject: big\r\n\r\n" + b".dotted line\n" * 20000
    path.write_bytes(content)
    with open(path, "rb") as f:
        results = send_many("127.0.0.1:%d" % devserver.port, [item(0), ("a@example.com", ["b@example.com"], f),
                                                             item(2)], tls="none", timeout=T)
    got = devserver.wait_for(3)
    assert [m.raw for m in got] == [body(0), content.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"), body(2)]
    assert results[1].size == got[1].size


def test_after_starttls_python_timeouts_and_a_batch_still_works(devserver, pki):
    with connect("127.0.0.1:%d" % devserver.port, tls="required", tls_config=TLSConfig(root_cas=pki.ca_path),
                 timeout=T) as c:
        assert c.tls and not c.transport.kernel_timeouts and c.transport.sock.gettimeout() == T
        results = send_many(c, [item(n) for n in range(5)])
        c.quit()
    assert all(type(r) is SendResult for r in results)
    assert [m.raw for m in devserver.wait_for(5)] == [body(n) for n in range(5)]


# --------------------------------------------------------------------------
# Kernel timeouts (the Pythonic layer's own plain sockets)
# --------------------------------------------------------------------------

needs_kernel_timeouts = pytest.mark.skipif(not smtp_core.transport._KERNEL_TIMEOUTS,
                                           reason="kernel timeouts are used on Linux only")


@needs_kernel_timeouts
def test_connect_uses_kernel_timeouts_and_dial_does_not(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "221 bye"], ["220 hi", EHLO_PIPE, "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        assert c.transport.kernel_timeouts and c.transport.sock.gettimeout() is None
        c.quit()
    with smtp_core.dial(srv.address, timeout=T) as c:  # the Go-named path: Python's timeouts, as before
        assert not c.transport.kernel_timeouts and c.transport.sock.gettimeout() == T
        c.quit()


@needs_kernel_timeouts
def test_a_caller_who_removes_the_bound_gets_python_timeouts_back(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        c.noop()  # under kernel timeouts
        c.timeout = None  # the Client's own setter: no bound at all from now on
        c.noop()
        assert not c.transport.kernel_timeouts and c.transport.sock.gettimeout() is None
        assert c.transport.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16) == bytes(16)
        c.quit()


def serve_slowly(listener: socket.socket, reply_pieces: list, pause: float, stop: threading.Event) -> None:
    """Greet, answer EHLO, then answer the next command in pieces, ``pause`` apart."""
    try:
        sock, _ = listener.accept()
    except OSError:
        return
    with sock:
        try:
            sock.settimeout(T)
            sock.sendall(b"220 slow\r\n")
            received = b""
            for expected_lines in (1, 2):  # EHLO, then the command to answer slowly
                while received.count(b"\n") < expected_lines:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return
                    received += chunk
                if expected_lines == 1:
                    sock.sendall(b"250-slow\r\n250 PIPELINING\r\n")
            for piece in reply_pieces:
                if stop.wait(pause):
                    return
                sock.sendall(piece)
        except OSError:
            return


@contextlib.contextmanager
def slow_server(reply_pieces: list, pause: float):
    """The address of a server that answers the command after EHLO in pieces, ``pause`` apart."""
    stop = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        server = threading.Thread(target=serve_slowly, args=(listener, reply_pieces, pause, stop))
        server.start()
        try:
            yield "127.0.0.1:%d" % listener.getsockname()[1]
        finally:
            stop.set()
            server.join(T)


@needs_kernel_timeouts
def test_a_trickled_reply_cannot_outlast_its_timeout_with_kernel_timeouts():
    # Each piece comes sooner than the timeout, the whole reply later.
    with slow_server([b"2", b"5", b"0", b" ", b"o", b"k", b"\r\n"], 0.3) as address:
        client = connect(address, tls="none", timeout=1.0)
        assert client.transport.kernel_timeouts
        with pytest.raises(StageTimeout) as caught:
            client.noop()
        assert caught.value.stage == "NOOP" and client.closed


@needs_kernel_timeouts
def test_a_number_set_on_the_client_keeps_the_kernel_deadline():
    # client.timeout = n on a kernel-timeout connection once also gave the
    # socket a Python timeout, which restarts at every recv: a reply in two
    # pieces 0.7 s apart then came back whole after 1.4 s under a 1 s bound.
    with slow_server([b"250 o", b"k\r\n"], 0.7) as address:
        client = connect(address, tls="none", timeout=T)
        client.timeout = 1.0
        assert client.timeout == 1.0
        assert client.transport.kernel_timeouts and client.transport.sock.gettimeout() is None
        with pytest.raises(StageTimeout) as caught:
            client.noop()
        assert caught.value.stage == "NOOP" and caught.value.seconds == 1.0 and client.closed


@needs_kernel_timeouts
def test_a_kernel_tick_shorter_than_the_wait_only_wakes_the_client():
    # The kernel's timeout ran out (EAGAIN) well before the reply's deadline:
    # the transport waits again instead of failing.
    left, right = socket.socketpair()
    with left, right:
        t = Transport(left, timeout=3.0)
        assert t.use_kernel_timeouts()
        t._tick(socket.SO_RCVTIMEO, None, 0.4)  # wakes every 0.4 s; 8 x 0.4 >= 3 keeps it
        late = threading.Timer(1.0, right.sendall, (b"250 late but in time\r\n",))
        late.start()
        try:
            assert t.read_reply(250, "NOOP") == (250, "late but in time")
        finally:
            late.join(T)
        assert t._rcvtimeo == 0.4 and not t.closed


@needs_kernel_timeouts
def test_kernel_timeouts_bound_a_silent_server(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, Silent()])
    client = connect(srv.address, tls="none", timeout=SHORT)
    with pytest.raises(BatchAborted) as caught:
        send_many(client, [item(0)])
    timeout = caught.value.error
    assert isinstance(timeout, StageTimeout) and (timeout.stage, timeout.seconds) == ("MAIL", SHORT)
    assert client.closed


# --------------------------------------------------------------------------
# The whole-message encoder's fast path is the DotEncoder's output
# --------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b".", b"\r", b"\n", b"\r\n", b"x", b"..", b"\r\n.", b"ab\r\n"]),
                max_size=30).map(b"".join))
def test_whole_message_encoding_matches_the_dot_encoder(data):
    # Kept as they are, the bytes are Go's DotWriter's ...
    encoder = DotEncoder()
    wire = encoder.encode(data) + encoder.finish()
    assert _encode_whole(data, normalize_line_ends=False) == (wire, len(smtp_core.protocol.dotstuff.unstuff(wire)))
    # ... normalised (the default), the DotWriter's of the CRLF text, which has no bare CR.
    encoder = DotEncoder()
    wire = encoder.encode(crlf(data)) + encoder.finish()
    assert _encode_whole(data) == (wire, len(smtp_core.protocol.dotstuff.unstuff(wire)))
    assert wire.count(b"\r") == wire.count(b"\n") == wire.count(b"\r\n")


def test_whole_message_fast_path_cases():
    assert _encode_whole(b"a\r\nb\r\n") == (b"a\r\nb\r\n.\r\n", 6)
    assert _encode_whole(b"a\r\nb") == (b"a\r\nb\r\n.\r\n", 6)
    assert _encode_whole(b"") == (b"\r\n.\r\n", 2)
    assert _encode_whole(b".a\r\n") == (b"..a\r\n.\r\n", 4)
