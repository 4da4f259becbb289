"""Faults during a session: the right error, no leak, and the next message goes.

The server drops the connection, or answers 421 (and closes), at every
step of a session: the greeting, EHLO, MAIL, RCPT, the DATA command, in
the middle of the message, after the final dot, at QUIT.  It answers 4xx
to one RCPT.  The dev server's own failure injection (``fail_at``,
``reject_rcpt``, ``drop_after_data``) is exercised too.  For each fault:

* the error is the right type: :class:`~smtp_core.ReplyError` with the
  server's code for a reply, a ``ConnectionError`` (``ServerClosed`` for an
  EOF, a reset or broken pipe while sending) for a drop;
* the connection is not left half-used: after a reply error that keeps the
  session (4xx to RCPT, 451 to the message) ``reset()`` and a new message
  on the same client succeed; after a drop the client closes cleanly;
* a fresh client then sends a message successfully.

Go's rules are kept: when EHLO fails, HELO is tried, so a 421 to EHLO
surfaces as the EOF that follows it; an EOF leaves the socket to the
caller's ``close()`` (which succeeds).

``test_thousand_failed_sessions_leak_no_descriptor`` runs 1,000 failing
sessions (half through ``send_mail``, half through a ``Client`` in a
``with`` block) and compares the open descriptors before and after.
"""

from __future__ import annotations

import io
import os
import socket
import time

import pytest

from servers import addr
import smtp_core
from smtp_core import ReplyError, ServerClosed
from smtp_core.devserver import DevServer
from scripted import Close, ScriptedServer

#: A whole good session, one item per step.
GOOD = ["220 fault.test", "250 fault.test", "250 sender ok", "250 rcpt ok", "354 go", "250 queued", "221 bye"]
STEPS = {"greeting": 0, "EHLO": 1, "MAIL": 2, "RCPT": 3, "DATA": 4, "dot": 5, "QUIT": 6}
MESSAGE = b"Subject: fault\r\n\r\n" + b"body line\r\n" * 2000  # ~22 KB: spans several sends
DROP, REPLY_421 = Close(), Close(b"421 4.3.2 fault.test closing\r\n")


def fault_script(step: str, fault) -> list:
    if step == "mid-DATA":  # 354, then the server hangs up while the message flows
        return GOOD[:4] + [Close(b"354 go\r\n")]
    return GOOD[:STEPS[step]] + [fault]


def expected_error(step: str, fault):
    """The error type (and code) a fault at ``step`` must surface as."""
    if fault is REPLY_421 and step not in ("EHLO", "mid-DATA"):
        return ReplyError, 421
    # A drop, or a 421 to EHLO (HELO is tried next, as Go does, and meets the EOF).
    return ConnectionError, None


def run_session(address: str) -> smtp_core.Client:
    """One message through a Client; the caller's ``with`` closes it."""
    c = smtp_core.dial(address)
    try:
        c.mail("a@example.com")
        c.rcpt("b@example.com")
        with c.data() as w:
            w.write(MESSAGE)
        c.quit()
    except BaseException:
        if not c.closed:
            c.close()
        raise
    return c


FAULT_POINTS = [(step, "drop") for step in list(STEPS) + ["mid-DATA"]]
FAULT_POINTS += [(step, "421") for step in STEPS]


@pytest.mark.parametrize("step, kind", FAULT_POINTS, ids=["%s-%s" % p for p in FAULT_POINTS])
def test_fault_point_then_a_fresh_client_succeeds(step, kind):
    fault = DROP if kind == "drop" else REPLY_421
    error, code = expected_error(step, fault)
    with ScriptedServer(fault_script(step, fault), GOOD) as srv:
        with pytest.raises(error) as info:
            run_session(srv.address)
        if code is not None:
            assert info.value.Code == code and info.value.temporary
        # The fresh client, on the next connection.
        c = run_session(srv.address)
        assert c.closed
        assert srv.transcript(1).endswith(b"\r\n.\r\nQUIT\r\n")


@pytest.mark.parametrize("code", [450, 451, 452])
def test_temporary_rcpt_failure_keeps_the_session(code):
    script = GOOD[:3] + ["%d 4.2.0 try later" % code, "250 rcpt ok", "354 go", "250 queued",
                         "250 reset", "250 sender ok", "250 rcpt ok", "354 go", "250 queued", "221 bye"]
    with ScriptedServer(script) as srv:
        with smtp_core.dial(srv.address) as c:
            c.mail("a@example.com")
            with pytest.raises(ReplyError) as info:
                c.rcpt("busy@example.com")
            assert info.value.Code == code and info.value.temporary
            c.rcpt("b@example.com")  # the transaction goes on without that recipient
            with c.data() as w:
                w.write(MESSAGE)
            c.reset()
            c.mail("a@example.com")
            c.rcpt("b@example.com")
            with c.data() as w:
                w.write(MESSAGE)
            c.quit()
    assert srv.transcript(0).count(b"\r\n.\r\n") == 2


def test_send_mail_closes_on_every_fault():
    # Go's SendMail: any failure closes the connection without QUIT.
    scripts = [fault_script(step, DROP if kind == "drop" else REPLY_421) for step, kind in FAULT_POINTS]
    with ScriptedServer(*scripts) as srv:
        for step, kind in FAULT_POINTS:
            fault = DROP if kind == "drop" else REPLY_421
            error, code = expected_error(step, fault)
            if step == "QUIT":
                # The message was accepted: send_mail reports the QUIT failure.
                error, code = (ReplyError, 421) if kind == "421" else (ConnectionError, None)
            with pytest.raises(error):
                smtp_core.send_mail(srv.address, None, "a@example.com", ["b@example.com"], MESSAGE)
        srv.wait_done()
        # Every connection ended by the server's fault, or by the client's close.
        assert {conn.end for conn in srv.connections} <= {"server_closed", "client_closed"}


# -- the dev server's failure injection ------------------------------------------------------



@pytest.mark.parametrize("stage", ["connect", "ehlo", "mail", "rcpt", "data", "dot"])
def test_devserver_421_at_each_stage(make_devserver, stage):
    srv = make_devserver(fail_at="%s:421" % stage)
    expected = ConnectionError if stage == "ehlo" else ReplyError
    with pytest.raises(expected) as info:
        run_session(addr(srv))
    if expected is ReplyError:
        assert info.value.Code == 421
    assert srv.messages() == []
    good = make_devserver()
    run_session(addr(good))
    assert len(good.wait_for(1)) == 1


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data", "dot"])
def test_devserver_451_keeps_the_session(make_devserver, stage):
    # 451 keeps the connection: the same client resets and tries again (and
    # fails the same way), then NOOP and QUIT still work.
    srv = make_devserver(fail_at="%s:451" % stage)
    with smtp_core.dial(addr(srv)) as c:
        for _ in range(2):
            with pytest.raises(ReplyError) as info:
                c.mail("a@example.com")
                c.rcpt("b@example.com")
                with c.data() as w:
                    w.write(MESSAGE)
            assert info.value.Code == 451
            c.reset()
        c.noop()
        c.quit()
    assert srv.messages() == []


def test_devserver_rejected_recipient_then_the_rest_goes(make_devserver):
    srv = make_devserver(reject_rcpt=["nobody@example.com"])
    with smtp_core.dial(addr(srv)) as c:
        c.mail("a@example.com")
        with pytest.raises(ReplyError) as info:
            c.rcpt("nobody@example.com")
        assert info.value.Code == 550 and not info.value.temporary
        c.rcpt("b@example.com")
        with c.data() as w:
            w.write(MESSAGE)
        c.quit()
    [msg] = srv.wait_for(1)
    assert msg.envelope_to == ("b@example.com",)


def test_devserver_drop_after_data_then_a_fresh_client(make_devserver):
    # The classic "did my message go?": stored, but the client hears EOF.
    srv = make_devserver(drop_after_data=True)
    with pytest.raises(ServerClosed):
        run_session(addr(srv))
    assert len(srv.wait_for(1)) == 1
    with pytest.raises(ServerClosed):
        run_session(addr(srv))
    assert len(srv.wait_for(2)) == 2


# -- descriptors -----------------------------------------------------------------------------

def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settled_fds(limit: int, wait: float = 5.0) -> int:
    """The descriptor count once server threads have closed their ends (bounded wait)."""
    end = time.monotonic() + wait
    count = open_fds()
    while count > limit and time.monotonic() < end:
        time.sleep(0.02)
        count = open_fds()
    return count


SESSIONS = 1000


def test_thousand_failed_sessions_leak_no_descriptor():
    kinds = [(step, DROP if kind == "drop" else REPLY_421) for step, kind in FAULT_POINTS]
    plan = [kinds[i % len(kinds)] for i in range(SESSIONS)]
    scripts = [fault_script(step, fault) for step, fault in plan]
    refused = 0
    with ScriptedServer(*scripts, deadline=120.0) as srv:
        before = open_fds()
        for i, (step, fault) in enumerate(plan):
            try:
                if i % 2:
                    smtp_core.send_mail(srv.address, None, "a@example.com", ["b@example.com"], MESSAGE)
                else:
                    run_session(srv.address)
            except smtp_core.errors.FAILURES:
                refused += 1
        srv.wait_done()
        after = settled_fds(before)
    assert refused == SESSIONS
    assert after <= before, "descriptors: %d before, %d after %d failed sessions" % (before, after, SESSIONS)


# -- MessageNotSent.uncertain at the write that carries the end of data ---------------------
#
# ``uncertain`` means the whole message, end of data included, had been
# written.  The fault is the kernel's own: the client's real socket has its
# write side shut part-way through the write that carries the end of data,
# so the rest of that write fails with EPIPE.

END_OF_DATA = b"\r\n.\r\n"
EHLO_PIPE = "250-fault.test\n250-PIPELINING\n250 8BITMIME"
BODIES = {
    "small": b"Subject: s\r\n\r\n" + b"line\r\n" * 10,
    "over-a-block": b"Subject: b\r\n\r\n" + b"x" * 1000 + b"\r\n" * 1100,  # more than pipeline.BLOCK
    "file": None,  # the small body, read from a binary file
}


class _ShutAtEndOfData:
    """The client's socket, whose write side is shut once ``keep(data)``
    bytes of the write carrying the end of data have left."""

    def __init__(self, sock, keep) -> None:
        self._sock, self._keep, self._left = sock, keep, None

    def send(self, data, *flags) -> int:
        data = bytes(data)
        if self._left is None and END_OF_DATA in data:
            self._left = self._keep(data)
        if self._left is None:
            return self._sock.send(data, *flags)
        if self._left > 0:
            sent = self._sock.send(data[:self._left], *flags)
            self._left -= sent
            return sent
        if self._left == 0:
            self._sock.shutdown(socket.SHUT_WR)
            self._left = -1
        return self._sock.send(data, *flags)  # the kernel: EPIPE

    def sendall(self, data, *flags) -> None:
        view = bytes(data)
        while view:
            view = view[self.send(view, *flags):]

    def __getattr__(self, name):
        return getattr(self._sock, name)


def _message(kind: str):
    if kind == "file":
        return io.BytesIO(BODIES["small"])
    return BODIES[kind]


def _batch(srv, kinds, keep):
    client = smtp_core.connect(srv.address, tls="none", timeout=10)
    client.transport.sock = _ShutAtEndOfData(client.transport.sock, keep)
    with pytest.raises(smtp_core.BatchAborted) as caught:
        smtp_core.send_many(client, [("a@fault.test", ["b@fault.test"], _message(k)) for k in kinds])
    assert client.closed
    return caught.value


@pytest.mark.parametrize("kind", list(BODIES))
def test_failed_write_of_the_end_of_data_is_not_uncertain(kind):
    # The write carrying the end of data fails at its first byte: not delivered.
    with ScriptedServer(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go"]) as srv:
        stop = _batch(srv, [kind], keep=lambda data: 0)
        srv.wait_done()
    [entry] = stop.results
    assert isinstance(entry, smtp_core.MessageNotSent) and not entry.uncertain
    assert "broken pipe" in str(stop.error) and "not sent" in str(entry)
    assert not srv.transcript(0).endswith(END_OF_DATA)


@pytest.mark.parametrize("kind", list(BODIES))
def test_end_of_data_short_of_its_last_byte_is_not_uncertain(kind):
    with ScriptedServer(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go"]) as srv:
        stop = _batch(srv, [kind], keep=lambda data: data.rindex(END_OF_DATA) + len(END_OF_DATA) - 1)
        srv.wait_done()
    [entry] = stop.results
    assert not entry.uncertain
    assert srv.transcript(0).endswith(END_OF_DATA[:-1])


@pytest.mark.parametrize("kind", list(BODIES))
def test_failure_in_the_next_envelope_after_the_end_of_data_is_uncertain(kind):
    # Pipelined: the end of data and the next envelope share one write,
    # which fails just after the end of data left.
    with ScriptedServer(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go"]) as srv:
        stop = _batch(srv, [kind, "small"], keep=lambda data: data.index(END_OF_DATA) + len(END_OF_DATA))
        srv.wait_done()
    first, second = stop.results
    assert first.uncertain and "may have been delivered" in str(first)
    assert isinstance(second, smtp_core.MessageNotSent) and not second.uncertain
    assert srv.transcript(0).endswith(END_OF_DATA)


@pytest.mark.parametrize("kind", list(BODIES))
def test_no_reply_after_a_written_end_of_data_is_uncertain(kind):
    with ScriptedServer(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go", Close()]) as srv:
        stop = _batch(srv, [kind], keep=lambda data: len(data))
        srv.wait_done()
    [entry] = stop.results
    assert entry.uncertain and isinstance(stop.error, ServerClosed)
