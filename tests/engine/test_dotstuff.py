"""DATA encoding: Go's DotWriter rules, any chunking, and the round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import cut, go_dot_writer
from smtp_core.protocol.dotstuff import BEGIN, MID_LINE, DotEncoder, input_before_wire_offset, unstuff


def encode(*chunks: bytes) -> bytes:
    enc = DotEncoder()
    return b"".join(enc.encode(c) for c in chunks) + enc.finish()


@pytest.mark.parametrize("body, wire", [
    (b"", b"\r\n.\r\n"),  # even an empty message gets a line end before the dot
    (b"x", b"x\r\n.\r\n"),
    (b"x\r\n", b"x\r\n.\r\n"),
    (b"x\n", b"x\r\n.\r\n"),
    (b"x\r", b"x\r\n.\r\n"),  # a trailing CR gets its LF
    (b".", b"..\r\n.\r\n"),
    (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"dotlines\r\n.foo\r\n..bar\n...baz\n.\n\n.\n",
     b"dotlines\r\n..foo\r\n...bar\r\n....baz\r\n..\r\n\r\n..\r\n.\r\n"),
    (b"a\rb", b"a\rb\r\n.\r\n"),  # a bare CR mid-line stays bare
    (b"a\r.b", b"a\r.b\r\n.\r\n"),  # ... and does not start a line
    (b"a\r\r\nb", b"a\r\r\r\nb\r\n.\r\n"),  # Go's CR-run parity
    (b"a\r\r\r\nb", b"a\r\r\r\nb\r\n.\r\n"),
    (b"\r\n.\r\n", b"\r\n..\r\n.\r\n"),  # an embedded end-of-data is stuffed
])
def test_examples(body, wire):
    assert encode(body) == wire
    assert go_dot_writer(body) == wire


def test_state_carries_across_writes():
    # CR and LF split over two writes, then a dot at the start of the next.
    assert encode(b"a\r", b"\n", b".b") == b"a\r\n..b\r\n.\r\n"
    assert encode(b"a\r", b"\r\n") == b"a\r\r\r\n.\r\n"
    assert encode(b"a\n", b"", b".") == b"a\r\n..\r\n.\r\n"


_bodies = st.lists(st.sampled_from([b"\r", b"\n", b".", b"a", b"\r\n", b"\n.", b"\r\r"]), max_size=40).map(b"".join)


@given(body=st.one_of(_bodies, st.binary(max_size=300)), cuts=st.lists(st.integers(0, 300), max_size=8))
@settings(max_examples=400, deadline=None)
def test_any_chunking_gives_go_bytes(body, cuts):
    assert encode(*cut(body, cuts)) == go_dot_writer(body)


def repaired(body: bytes) -> bytes:
    """What the receiver should get back: Go's line-end repairs, no stuffing."""
    return unstuff(go_dot_writer(body))


@given(body=st.one_of(_bodies, st.binary(max_size=300)))
@settings(max_examples=300, deadline=None)
def test_round_trip(body):
    wire = encode(body)
    assert wire.endswith(b".\r\n")
    # Exactly one end-of-data mark, at the very end.
    assert (b"\r\n" + wire).count(b"\r\n.\r\n") == 1
    back = unstuff(wire)
    assert back == repaired(body)
    if b"\r" not in body:
        # Without CRs, the message comes back with each LF as CRLF.
        expected = body.replace(b"\n", b"\r\n")
        if not expected.endswith(b"\r\n"):
            expected += b"\r\n"
        assert back == expected


@pytest.mark.parametrize("state, body, limit, accepted", [
    (BEGIN, b"abc", 2, 2),
    (BEGIN, b".bc", 1, 0),  # the stuffed dot takes the first wire byte
    (BEGIN, b".bc", 2, 1),
    (MID_LINE, b"a\nb", 2, 1),  # the added CR comes before the LF
    (MID_LINE, b"a\nb", 3, 2),
    (BEGIN, b"abc", 10, 3),
])
def test_input_before_wire_offset(state, body, limit, accepted):
    assert input_before_wire_offset(body, state, limit) == accepted


def test_large_body_is_linear():
    body = (b".line of text\n" * 200_000)
    enc = DotEncoder()
    wire = b"".join(enc.encode(body[i:i + 65536]) for i in range(0, len(body), 65536)) + enc.finish()
    assert wire.count(b"\r\n..line") == 200_000 - 1
    assert wire.startswith(b"..line")
