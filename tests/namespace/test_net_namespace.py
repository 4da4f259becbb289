"""go.std.net: Dial, DialTimeout, Conn, Addr, JoinHostPort, SplitHostPort, with Go's texts.

The expected texts are what Go 1.27.3 prints for the same calls (checked
with a Go program against a loopback listener, ports written as P here).
"""

from __future__ import annotations

import datetime
import re
import socket
import time

import pytest

import go_std.net as net
import go_std.net.smtp as smtp
from go_std.joker import ArgumentError, ArityError
from smtp_core.errors import ServerClosed

from scripted import Silent

ENDS = r"127\.0\.0\.1:\d+->127\.0\.0\.1:\d+"


def ported(text: str) -> str:
    return re.sub(r":\d+", ":P", text)


@pytest.fixture
def pair():
    """A Conn from net.Dial and the server's end of it."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        conn, err = net.Dial("tcp", "127.0.0.1:%d" % listener.getsockname()[1])
        assert err is None
        server, _ = listener.accept()
    with server:
        yield conn, server
    if not conn.closed:
        conn.Close()


def test_read_fills_the_buffer_and_ends_with_eof(pair):
    conn, server = pair
    server.sendall(b"hello")
    buf = bytearray(3)
    assert conn.Read(buf) == [3, None] and buf == b"hel"
    assert conn.Read(buf) == [2, None] and buf[:2] == b"lo"
    assert conn.Read(bytearray()) == [0, None]  # an empty buffer reads nothing
    server.close()
    n, err = conn.Read(buf)
    assert n == 0 and isinstance(err, ServerClosed) and str(err) == "EOF"


def test_write_sends_everything_and_counts_it(pair):
    conn, server = pair
    assert conn.Write(b"NOOP\r\n") == [6, None]
    assert conn.Write("\u00e9") == [2, None]  # a string is its UTF-8 bytes
    assert server.recv(16) == b"NOOP\r\n\xc3\xa9"


def test_a_closed_conn_answers_as_go(pair):
    conn, _ = pair
    local, remote = conn.LocalAddr().String(), conn.RemoteAddr().String()
    assert conn.Close() is None
    ends = "%s->%s" % (local, remote)
    assert str(conn.Close()) == "close tcp %s: use of closed network connection" % ends
    n, err = conn.Read(bytearray(4))
    assert n == 0 and str(err) == "read tcp %s: use of closed network connection" % ends
    n, err = conn.Write(b"x")
    assert n == 0 and str(err) == "write tcp %s: use of closed network connection" % ends
    # Go's SetDeadline names the local end only.
    for set_deadline in (conn.SetDeadline, conn.SetReadDeadline, conn.SetWriteDeadline):
        assert str(set_deadline(0)) == "set tcp %s: use of closed network connection" % local
    # The addresses stay known after Close, as in Go.
    assert conn.RemoteAddr().String() == remote


def test_a_passed_deadline_fails_at_once_and_zero_clears_it(pair):
    conn, server = pair
    server.sendall(b"x")
    assert conn.SetReadDeadline(time.time() - 1) is None
    n, err = conn.Read(bytearray(4))
    assert n == 0 and isinstance(err, TimeoutError)
    assert re.fullmatch("read tcp %s: i/o timeout" % ENDS, str(err)), str(err)
    assert conn.SetReadDeadline(None) is None  # Go's zero time: no deadline
    assert conn.Read(bytearray(4)) == [1, None]
    assert conn.SetWriteDeadline(datetime.datetime.now() - datetime.timedelta(seconds=1)) is None
    n, err = conn.Write(b"y")
    assert n == 0 and re.fullmatch("write tcp %s: i/o timeout" % ENDS, str(err)), str(err)
    assert conn.SetDeadline(0) is None
    assert conn.Write(b"y") == [1, None]


def test_a_deadline_that_runs_out_while_waiting(pair):
    conn, _ = pair
    conn.SetDeadline(time.time() + 0.2)
    n, err = conn.Read(bytearray(4))  # the server sends nothing
    assert n == 0 and re.fullmatch("read tcp %s: i/o timeout" % ENDS, str(err)), str(err)


def test_addr_has_network_and_string(pair):
    conn, server = pair
    assert conn.LocalAddr().Network() == "tcp"
    assert conn.RemoteAddr().String() == "127.0.0.1:%d" % server.getsockname()[1]
    assert isinstance(conn.LocalAddr(), net.Addr) and isinstance(conn, net.Conn)


@pytest.mark.parametrize("network, address, text", [
    ("tcp4", "[::1]:9", "dial tcp4: address ::1: no suitable address found"),
    ("tcp6", "127.0.0.1:9", "dial tcp6: address 127.0.0.1: no suitable address found"),
    ("udpx", "127.0.0.1:9", "dial udpx: unknown network udpx"),
    ("", "127.0.0.1:9", "dial: unknown network "),
    ("TCP", "127.0.0.1:9", "dial TCP: unknown network TCP"),
    ("tcp", "", "dial tcp: missing address"),
    ("tcp", "127.0.0.1:99999", "dial tcp: address 99999: invalid port"),
])
def test_dial_refusals_read_as_go(network, address, text):
    conn, err = net.Dial(network, address)
    assert conn is None and str(err) == text


def test_dial_refused_names_the_network(free_port):
    for network in ("tcp", "tcp4"):
        conn, err = net.Dial(network, "127.0.0.1:%d" % free_port)
        assert conn is None and isinstance(err, ConnectionRefusedError)
        assert ported(str(err)) == "dial %s 127.0.0.1:P: connect: connection refused" % network


def test_dial_timeout_takes_nanoseconds():
    # A negative Duration has run out before the dial starts (Go: i/o timeout).
    conn, err = net.DialTimeout("tcp", "127.0.0.1:9", -1)
    assert conn is None and isinstance(err, TimeoutError)
    assert str(err) == "dial tcp 127.0.0.1:9: i/o timeout"
    with pytest.raises(ArgumentError, match=r"Arg\[2\] \(timeout\) of go.std.net/DialTimeout must have type go.std.time/Duration"):
        net.DialTimeout("tcp", "127.0.0.1:9", 1.5)


def test_dial_timeout_zero_is_no_timeout():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        conn, err = net.DialTimeout("tcp", "127.0.0.1:%d" % listener.getsockname()[1], 0)
        assert err is None
        assert conn.sock.gettimeout() is None
        conn.Close()


def test_networks_go_dials_but_we_do_not_raise():
    with pytest.raises(ArgumentError, match="network udp is not dialled here"):
        net.Dial("udp", "127.0.0.1:9")


def test_split_and_join_host_port():
    assert net.SplitHostPort("[::1]:25") == ["::1", "25", None]
    host, port, err = net.SplitHostPort("a:b:c")
    assert (host, port, str(err)) == ("", "", "address a:b:c: too many colons in address")
    assert str(net.SplitHostPort("example.com")[2]) == "address example.com: missing port in address"
    assert net.JoinHostPort("::1", "25") == "[::1]:25"
    assert net.JoinHostPort("[::1]", "x") == "[[::1]]:x"


def test_misuse_raises_naming_the_argument(pair):
    conn, _ = pair
    with pytest.raises(ArgumentError, match=r"Arg\[0\] \(b\) of go.std.net/\(Conn\)Read must have type arrayOfByte"):
        conn.Read(b"immutable")
    with pytest.raises(ArgumentError, match=r"\(t\) of go.std.net/\(Conn\)SetDeadline must have type go.std.time/Time"):
        conn.SetDeadline("soon")
    with pytest.raises(ArityError):
        net.Dial("tcp")
    with pytest.raises(TypeError, match="no constructor"):
        net.Conn()


def test_help_and_metadata():
    assert net.Dial.joker_args == "[^String network, ^String address]"
    assert net.Dial.joker_returns == "[^Conn, ^Error]"
    assert net.SplitHostPort.go_returns == "(host, port string, err error)"
    assert "(.Read conn b)" in net.Conn.__doc__
    assert net.__joker_ns__.index() == ["*Dialer", "Addr", "Conn", "Dial", "DialTimeout", "Dialer", "JoinHostPort",
                                        "SplitHostPort"]


def test_new_client_takes_a_net_conn_over(devserver):
    conn, err = net.Dial("tcp", "127.0.0.1:%d" % devserver.port)
    assert err is None
    c, err = smtp.NewClient(conn, "127.0.0.1")
    assert err is None and not c.tls
    assert c.Mail("me@example.com") is None
    assert c.Rcpt("you@example.com") is None
    w, err = c.Data()
    assert w.Write(b"Subject: net.Dial\r\n\r\nhi\r\n")[1] is None
    assert w.Close() is None
    assert c.Quit() is None
    assert conn.closed and "use of closed network connection" in str(conn.Close())


def test_new_client_keeps_the_conn_deadline_as_its_timeout(scripted):
    srv = scripted(["220 x", Silent()], idle=3.0)
    conn, _ = net.Dial("tcp", srv.address)
    conn.SetDeadline(time.time() + 0.3)
    c, err = smtp.NewClient(conn, "127.0.0.1")
    assert err is None
    err = c.Noop()
    assert isinstance(err, TimeoutError) and re.fullmatch("read tcp %s: i/o timeout" % ENDS, str(err)), str(err)


def test_dialer_with_a_timeout(free_port):
    d = net.Dialer({"Timeout": 2_000_000_000})
    assert isinstance(d, net.PtrDialer) and d.Timeout == 2_000_000_000
    conn, err = d.Dial("tcp", "127.0.0.1:%d" % free_port)
    assert conn is None and ported(str(err)) == "dial tcp 127.0.0.1:P: connect: connection refused"
    conn, err = net.Dialer(Timeout=-1).Dial("tcp", "127.0.0.1:9")
    assert str(err) == "dial tcp 127.0.0.1:9: i/o timeout"
    with pytest.raises(ArgumentError, match="has no field \"LocalAddr\""):
        net.Dialer({"LocalAddr": None})
    with pytest.raises(ArgumentError, match="must have type go.std.time/Duration"):
        net.Dialer(Timeout="5s")
