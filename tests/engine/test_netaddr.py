"""Go's address rules (smtp_core.gocompat.netaddr) against answers Go itself gave.

``tests/helpers/govectors/dial.json`` records, for each address, what Go 1.27.3's
``net.Dial("tcp", addr)`` does without connecting: ``connect <address>``
(the first address it would connect to) or ``error <text>``.
``tests/helpers/govectors/gen`` writes it and ``tests/engine/test_govectors.py`` checks
that it is still what Go says.  Names that would need DNS or the machine's
hosts file are not in it; they are checked here against a live listener.
"""

from __future__ import annotations

import socket
import threading

import pytest

import govectors
from smtp_core.gocompat import netaddr
from smtp_core.client import dial, split_host_port

VECTORS = govectors.load("dial")

# Where this engine refuses what Go accepts (docs/deviations.md): Go's port
# parser wraps a number past 2**32 round to a small port.
DEVIATIONS = {"127.0.0.1:4294967321": "error dial tcp: address 4294967321: invalid port"}


def _ours(addr: str) -> str:
    try:
        targets = netaddr.resolve(addr)
    except OSError:
        with pytest.raises(OSError) as caught:
            netaddr.dial(addr, timeout=1.0)
        return "error " + str(caught.value)
    return "connect " + targets[0].text


@pytest.mark.parametrize("addr, want", VECTORS, ids=[repr(a)[:40] for a, _ in VECTORS])
def test_address_as_go_dials_it(addr, want):
    assert _ours(addr) == DEVIATIONS.get(addr, want)


def test_vectors_cover_the_issue():
    addrs = {a for a, _ in VECTORS}
    assert {"127.0.0.1:99999", "127.0.0.1\x00.corp.example:25", "127.0.0.1:-25", "127.0.0.1:+25",
            "127.0.0.1:0025", "[::1]:25", "127.0.0.1", ":25", "127.0.0.1 :25", "127.0.0.1:4294967321"} <= addrs


@pytest.mark.parametrize("host", ["0x7f.0.0.1", "0x7f000001"])
def test_names_the_c_library_reads_as_numbers_are_not_resolved(host):
    # Go sends these to DNS (no such host); the C library would read 127.0.0.1.
    with pytest.raises(socket.gaierror) as caught:
        netaddr.resolve(host + ":25")
    assert str(caught.value) == "lookup %s: no such host" % host


def test_nul_in_host_never_connects():
    # The issue's case: a NUL once cut the name short and reached 127.0.0.1.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        for host in ("127.0.0.1\x00.corp.example", "127.0.0.1 .corp.example", "127.1", "0x7f.0.0.1",
                     "2130706433", "127.0.0.1\n"):
            with pytest.raises(socket.gaierror) as caught:
                dial("%s:%d" % (host, port), timeout=1.0)
            assert str(caught.value) == "dial tcp: lookup %s: no such host" % host
            with pytest.raises(socket.timeout):
                listener.accept()
    finally:
        listener.close()


def test_out_of_range_port_is_refused_not_wrapped():
    with pytest.raises(OSError) as caught:
        dial("127.0.0.1:99999", timeout=1.0)
    assert str(caught.value) == "dial tcp: address 99999: invalid port"
    assert caught.value.errno == 22


def test_split_host_port_text_has_no_dial_prefix():
    with pytest.raises(OSError) as caught:
        split_host_port("[::1]:25:")
    assert str(caught.value) == "address [::1]:25:: too many colons in address"


def test_refused_reads_as_go():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    try:  # bound, not listening: refused
        with pytest.raises(ConnectionRefusedError) as caught:
            dial("127.0.0.1:%d" % port, timeout=2.0)
    finally:
        probe.close()
    assert str(caught.value) == "dial tcp 127.0.0.1:%d: connect: connection refused" % port
    assert caught.value.errno == 111


def test_dial_reaches_a_listener_by_name_and_service_number():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2)
    port = listener.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
    thread.start()
    try:
        sock = netaddr.dial("localhost:+%05d" % port, timeout=2.0)
        thread.join(5)
        assert sock.getpeername() == ("127.0.0.1", port)
        sock.close()
    finally:
        for conn in accepted:
            conn.close()
        listener.close()


def test_errors_keep_their_class_and_pickle():
    import pickle

    for addr, cls in (("127.0.0.1:99999", netaddr.AddrError), ("exa mple.com:25", netaddr.DNSError)):
        with pytest.raises(cls) as caught:
            dial(addr, timeout=1.0)
        again = pickle.loads(pickle.dumps(caught.value))
        assert type(again) is cls and str(again) == str(caught.value) and again.errno == caught.value.errno


@pytest.mark.parametrize("addr, text", [
    ("127.0.0.1:99999", "dial tcp: address 99999: invalid port"),
    ("127.0.0.1\x00.corp.example:25", "dial tcp: lookup 127.0.0.1\x00.corp.example: no such host"),
    ("mx.example.com", "dial tcp: address mx.example.com: missing port in address"),
])
def test_namespace_returns_gos_dial_errors(addr, text):
    import go_std.net.smtp as ns

    c, err = ns.Dial(addr)
    assert c is None and isinstance(err, OSError) and str(err) == text
    assert isinstance(ns.SendMail(addr, None, "a@x.test", ["b@x.test"], b"hi"), OSError)
