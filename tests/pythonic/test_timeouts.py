"""Timeouts of the Pythonic API: every wait is bounded, and a timeout names its stage.

Servers that never answer are scripted with ``Silent()``; the client's
bound is short (``SHORT``) so the suite stays quick, and no assertion
depends on how long anything took.
"""

from __future__ import annotations

import socket
import struct

import pytest
from scripted import Silent

import smtp_core
from smtp_core import RFC5321_TIMEOUTS, StageTimeout, Timeouts, connect, dial_tls, send

SHORT = 0.4
EHLO_PIPE = "250-test.example\n250-PIPELINING\n250 8BITMIME"
EHLO_PLAIN = "250-test.example\n250 8BITMIME"
BODY = b"Subject: x\r\n\r\nhi\r\n"


def stage_of(excinfo) -> str:
    err = excinfo.value
    assert isinstance(err, StageTimeout) and isinstance(err, TimeoutError) and isinstance(err, OSError)
    assert err.stage in str(err) and err.seconds == SHORT
    return err.stage


@pytest.mark.parametrize("script, stage", [
    ([Silent()], "greeting"),
    (["220 hi", Silent()], "EHLO"),
])
def test_connect_stages(scripted, script, stage):
    srv = scripted(script)
    with pytest.raises(StageTimeout) as caught:
        connect(srv.address, tls="none", timeout=SHORT)
    assert stage_of(caught) == stage


@pytest.mark.parametrize("ehlo", [EHLO_PIPE, EHLO_PLAIN], ids=["pipelined", "lockstep"])
@pytest.mark.parametrize("replies, stage", [
    ([Silent()], "MAIL"),
    (["250 ok", Silent()], "RCPT"),
    (["250 ok", "250 ok", Silent()], "DATA"),
    (["250 ok", "250 ok", "354 go", Silent()], "DATA end"),
])
def test_send_stages(scripted, ehlo, replies, stage):
    srv = scripted(["220 hi", ehlo] + replies)
    client = connect(srv.address, tls="none", timeout=SHORT)
    with pytest.raises(StageTimeout) as caught:
        send(client, "a@example.com", ["b@example.com"], BODY)
    assert stage_of(caught) == stage
    assert client.closed  # a timed-out conversation cannot be trusted further


def test_timeouts_of_send_to_an_address(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", Silent()])
    with pytest.raises(StageTimeout) as caught:
        send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=SHORT)
    assert stage_of(caught) == "RCPT"


def test_reset_after_a_refusal_is_bounded_too(scripted):
    srv = scripted(["220 hi", EHLO_PLAIN, "550 no", Silent()])
    client = connect(srv.address, tls="none", timeout=SHORT)
    with pytest.raises(smtp_core.MessageRefused):
        send(client, "a@example.com", ["b@example.com"], BODY)
    assert client.closed  # RSET timed out: the client is closed rather than left unsure


def test_starttls_stage(scripted):
    srv = scripted(["220 hi", "250-test\n250 STARTTLS", Silent()])
    with pytest.raises(StageTimeout) as caught:
        connect(srv.address, tls="required", timeout=SHORT)
    assert stage_of(caught) == "STARTTLS"


def test_auth_stage(scripted):
    srv = scripted(["220 hi", "250-test\n250 AUTH PLAIN", Silent()])
    with pytest.raises(StageTimeout) as caught:
        connect(srv.address, tls="none", timeout=SHORT, auth=smtp_core.PlainAuth("", "u", "p", "127.0.0.1"))
    assert stage_of(caught) == "AUTH"


def test_implicit_tls_handshake_is_bounded():
    # The kernel completes the TCP handshake for a listener that never
    # accepts; the TLS handshake then waits for a server that never speaks.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        with pytest.raises(StageTimeout) as caught:
            dial_tls("127.0.0.1:%d" % listener.getsockname()[1], timeout=SHORT)
    assert stage_of(caught) == "TLS handshake"


def test_connect_is_bounded():
    # A listener whose backlog is full drops new SYNs, so connect() hangs:
    # the closest loopback gets to an unreachable host.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                probe = socket.socket()
                fillers.append(probe)
                probe.settimeout(SHORT)
                try:
                    probe.connect(("127.0.0.1", port))
                except socket.timeout:
                    break
            else:
                pytest.skip("this system does not drop connections beyond the backlog")
            with pytest.raises(StageTimeout) as caught:
                connect("127.0.0.1:%d" % port, tls="none", connect_timeout=SHORT)
            assert stage_of(caught) == "connect"
        finally:
            for probe in fillers:
                probe.close()


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------


def test_rfc_5321_defaults():
    t = RFC5321_TIMEOUTS
    assert (t.greeting, t.mail, t.rcpt, t.data, t.block, t.data_end) == (300, 300, 300, 120, 180, 600)
    assert t.command == 300 and t.connect == 30


def test_nothing_blocks_forever_by_default(scripted):
    srv = scripted(["220 hi", EHLO_PLAIN, "250 ok", "250 ok", "354 go", "250 queued", "221 bye"])
    client = connect(srv.address, tls="none")
    assert client.timeout == RFC5321_TIMEOUTS.command
    seen = []
    sock = client.transport.sock
    real_settimeout, real_setsockopt = sock.settimeout, sock.setsockopt

    def watch(seconds):
        seen.append(seconds)
        real_settimeout(seconds)

    def watch_option(level, option, value):
        # The Pythonic layer's own sockets carry kernel timeouts (SO_RCVTIMEO/SO_SNDTIMEO).
        if option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
            whole, micro = struct.unpack("ll", value)
            seen.append(whole + micro / 1e6)
        real_setsockopt(level, option, value)

    client.transport.sock = _Watched(sock, watch, watch_option)
    send(client, "a@example.com", ["b@example.com"], BODY, quit=True)
    assert seen and None not in seen
    assert set(seen) <= {300.0, 120.0, 180.0, 600.0}


class _Watched:
    """A socket whose timeout settings are observed (the rest passes through)."""

    def __init__(self, sock, on_settimeout, on_setsockopt) -> None:
        self._sock = sock
        self.settimeout = on_settimeout
        self.setsockopt = on_setsockopt

    def __getattr__(self, name):
        return getattr(self._sock, name)


def test_one_number_bounds_every_step_and_connect_separately():
    t = smtp_core.pythonic.timeouts.resolve(5, None)
    assert t == Timeouts.uniform(5) and t.connect == 5
    t = smtp_core.pythonic.timeouts.resolve(5, 2)
    assert t.connect == 2 and t.data_end == 5
    t = smtp_core.pythonic.timeouts.resolve(None, 2)
    assert t.connect == 2 and t.data_end == 600
    custom = Timeouts(data_end=30)
    assert smtp_core.pythonic.timeouts.resolve(custom, None) is custom


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_bounds_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError):
        Timeouts.uniform(bad)


@pytest.mark.parametrize("bad", [True, "5", None])
def test_bounds_must_be_numbers(bad):
    with pytest.raises(TypeError):
        Timeouts(mail=bad)


def test_a_remembered_table_applies_to_later_sends(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", Silent()])
    client = connect(srv.address, tls="none", timeout=Timeouts.uniform(SHORT))
    with pytest.raises(StageTimeout) as caught:
        send(client, "a@example.com", ["b@example.com"], BODY)  # no timeout= here
    assert stage_of(caught) == "RCPT"
