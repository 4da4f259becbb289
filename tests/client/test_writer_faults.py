"""The DATA writer when the connection fails under it: errors come back, nothing else.

Every fault point (the server closes or resets at once after its 354, or
after reading part of the message) crossed with every writer call sequence
(large 64 KiB writes, small then large, Close twice, Write after Close, a
small write that only leaves at Close, the caller closing the client
mid-message), through the Go-named namespace (every call returns ``[n err]``
or ``err``, never raises) and through the engine's ``DataWriter`` (every
call raises an ``OSError``, never ``BufferError`` or anything else).  The
errors read as Go's: ``EOF``, ``write tcp A->B: write: broken pipe``,
``read tcp A->B: read: connection reset by peer``, ...

The issue this pins down: a failed 64 KiB write kept a view of the
writer's buffer alive in the stored error's traceback, so the next
``Close`` raised ``BufferError: Existing exports of data``.
"""

from __future__ import annotations

import re

import pytest

import smtp_core
from scripted import Drop

BIG = (b"x" * 1023 + b"\n") * 64  # 64 KiB of lines
PROLOGUE = ["220 w.test", "250 w.test", "250 sender ok", "250 rcpt ok", "354 go"]

FAULTS = {
    "close": Drop(0),
    "reset": Drop(0, reset=True),
    "close-mid": Drop(10_000),
    "reset-mid": Drop(10_000, reset=True),
    "caller-closes": None,  # the server waits; the caller closes the client mid-message
}

# Each step: ("W", size) or ("C",) or ("X",) (the caller closes the whole client).
SEQUENCES = {
    "W64k*4,C": [("W", len(BIG))] * 4 + [("C",)],
    "W,W64k,C": [("W", 100), ("W", len(BIG)), ("C",)],
    "C,C": [("C",), ("C",)],
    "W64k,C,W,C": [("W", len(BIG)), ("C",), ("W", 10), ("C",)],
    "Wsmall,C": [("W", 10), ("C",)],
}

ADDR = r"127\.0\.0\.1:\d+->127\.0\.0\.1:\d+"
GO_TEXT = re.compile(
    r"^(EOF|unexpected EOF"
    r"|(write|read) tcp %s: (write|read): (broken pipe|connection reset by peer)"
    r"|((write|read) tcp %s: )?use of closed network connection"
    r"|smtp: (write to a closed DATA writer|DATA writer already closed))$" % (ADDR, ADDR))


def script_for(fault):
    if fault is None:
        return PROLOGUE  # then the server drains what comes until the client closes
    return PROLOGUE + [fault]


def chunk(size: int) -> bytes:
    return (BIG * (size // len(BIG) + 1))[:size]


def run_go(address: str, steps, fault_name: str) -> list:
    import go_std.net.smtp as ns

    c, err = ns.Dial(address)
    assert err is None
    assert c.Mail("a@w.test") is None and c.Rcpt("b@w.test") is None
    w, err = c.Data()
    assert err is None
    outcomes = []
    if fault_name == "caller-closes":
        assert c.Close() is None
    for step in steps:
        if step[0] == "W":
            n, err = w.Write(chunk(step[1]))
            assert isinstance(n, int) and 0 <= n <= step[1]
            outcomes.append(("W", n, err))
        else:
            outcomes.append(("C", None, w.Close()))
    if not c.closed:
        c.Close()
    return outcomes


def run_core(address: str, steps, fault_name: str) -> list:
    client = smtp_core.dial(address)
    client.mail("a@w.test")
    client.rcpt("b@w.test")
    writer = client.data()
    outcomes = []
    if fault_name == "caller-closes":
        client.close()
    for step in steps:
        try:
            if step[0] == "W":
                n = writer.write(chunk(step[1]))
                outcomes.append(("W", n, None))
            else:
                writer.close()
                outcomes.append(("C", None, None))
        except OSError as err:  # the contract: an OSError (EOF is ServerClosed, one too)
            outcomes.append((step[0], getattr(err, "bytes_accepted", None), err))
    if not client.closed:
        client.close()
    return outcomes


def check(outcomes: list, steps) -> None:
    errors = [err for _, _, err in outcomes if err is not None]
    # The server never answered the final dot: something must have failed.
    assert errors, outcomes
    for kind, n, err in outcomes:
        if err is None:
            continue
        assert isinstance(err, OSError), repr(err)
        assert GO_TEXT.match(str(err)), str(err)
    # Once a write failed, later writes give the same error and take nothing (Go's sticky error).
    first_failed = next((i for i, (k, _, e) in enumerate(outcomes) if k == "W" and e is not None), None)
    if first_failed is not None:
        closed_after = any(k == "C" for k, _, _ in outcomes[:first_failed])
        for kind, n, err in outcomes[first_failed + 1:]:
            if kind == "W" and not closed_after and not any(k == "C" for k, _, _ in outcomes[first_failed:]):
                assert err is outcomes[first_failed][2] and n == 0


@pytest.mark.parametrize("api", ["go", "core"])
@pytest.mark.parametrize("sequence", list(SEQUENCES))
@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_fault_and_sequence_returns_an_io_error(scripted, fault, sequence, api):
    # A "mid" fault waits for bytes a short message never sends: a short read timeout.
    srv = scripted(script_for(FAULTS[fault]), idle=0.3, read_timeout=0.5)
    steps = SEQUENCES[sequence]
    outcomes = (run_go if api == "go" else run_core)(srv.address, steps, fault)
    check(outcomes, steps)


def test_issue_case_close_after_failed_big_write_returns_the_error(scripted):
    # The reproduction of the issue: 64 KiB writes into a reset connection.
    import go_std.net.smtp as ns

    srv = scripted(PROLOGUE + [Drop(0, reset=True)])
    c, _ = ns.Dial(srv.address)
    c.Mail("a@w.test")
    c.Rcpt("b@w.test")
    w, _ = c.Data()
    failed = None
    for _ in range(64):  # the kernel's buffers take a few before the reset shows
        n, failed = w.Write(BIG)
        if failed is not None:
            break
    assert isinstance(failed, ConnectionError), failed
    err = w.Close()
    assert isinstance(err, OSError) and not isinstance(err, BufferError), repr(err)
    assert GO_TEXT.match(str(err)), str(err)
    c.Close()


def test_failed_write_keeps_no_view_of_the_buffer(scripted):
    # The root of the issue: after a failed write nothing may pin the pending
    # buffer (a view in a traceback forbids resizing it), even while the
    # caller holds the error, traceback and all, and writes again.
    srv = scripted(PROLOGUE + [Drop(0, reset=True)])
    client = smtp_core.dial(srv.address)
    client.mail("a@w.test")
    client.rcpt("b@w.test")
    writer = client.data()
    kept = []
    for _ in range(64):
        try:
            writer.write(BIG)
        except OSError as err:
            kept.append(err)
            if len(kept) == 3:
                break
    assert len(kept) == 3 and kept[0] is kept[1] is kept[2]
    frames = []
    tb = kept[0].__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    # A re-raised kept error does not pile up tracebacks: only the last raise's frames.
    assert len(frames) <= 3, [f.f_code.co_name for f in frames]
    with pytest.raises(OSError) as closing:
        writer.close()
    assert not isinstance(closing.value, BufferError)
    client.close()
