"""Fuzzing the two parsers that meet untrusted bytes: replies and message bodies.

Property-based (hypothesis), over arbitrary bytes cut into arbitrary chunks:

* :class:`~smtp_core.protocol.reply.ReplyReader` raises nothing but its documented
  errors (``ReplyError``, ``ProtocolError``, ``ReplyTooLong``,
  ``ServerClosed``), always stops once the stream has ended, and gives the
  same replies and the same error however the stream was cut.  Run with
  the real caps and with tiny ones, so the cap paths are reached too.
* :class:`~smtp_core.protocol.dotstuff.DotEncoder` gives the same wire bytes for
  any chunking, equal to a byte-at-a-time transcription of Go's
  ``dotWriter``; the wire has every LF in a CRLF and exactly one
  end-of-data mark; and ``unstuff`` gives back the input with its line
  ends repaired as Go repairs them.

Two profiles: the normal suite runs a few hundred examples per property;
``--runslow`` runs the ``slow`` copies with ``SMTP_FUZZ_EXAMPLES`` examples
each (default 25,000).  Each run prints how many cases it tried.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtp_core.protocol.dotstuff import DotEncoder, unstuff
from smtp_core.errors import ProtocolError, ReplyError, ReplyTooLong, ServerClosed
from smtp_core.protocol.reply import ReplyReader
from reference import cut, go_dot_writer

FAST = settings(max_examples=300, deadline=None)
LONG = settings(max_examples=int(os.environ.get("SMTP_FUZZ_EXAMPLES", "25000")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

DOCUMENTED = (ReplyError, ProtocolError, ReplyTooLong, ServerClosed)
#: Errors after which the stream position is lost: reading stops there.
TERMINAL = (ReplyTooLong, ServerClosed)

CASES: dict[str, int] = {}


def count(name: str) -> None:
    CASES[name] = CASES.get(name, 0) + 1


# -- strategies -----------------------------------------------------------------------------

# Pieces that make reply-shaped streams likely, mixed with raw bytes.
_REPLY_PIECES = st.one_of(
    st.sampled_from([b"250", b"250-", b"250 ", b"220 ", b"354 ", b"550-", b"550 ", b"421 ", b"099 ", b"2",
                     b"25", b"-", b" ", b"\r\n", b"\n", b"\r", b"\r\r\n", b"ok", b"\x00", b"\xff", b"+25 "]),
    st.binary(max_size=12),
)
# Whole lines whose first four bytes are nearly a code and a separator.
_CODE_CHARS = st.sampled_from([b"0", b"1", b"2", b"4", b"5", b"9", b" ", b"+", b"-", b"x", b"\xff", b"\x00"])
_REPLY_LINES = st.tuples(
    st.one_of(st.lists(_CODE_CHARS, min_size=3, max_size=3), st.lists(_CODE_CHARS, max_size=4)).map(b"".join),
    st.sampled_from([b" ", b"-", b"", b"x"]),
    st.binary(max_size=10),
    st.sampled_from([b"\r\n", b"\n", b"\r", b""]),
).map(b"".join)
reply_streams = st.one_of(st.lists(_REPLY_LINES, max_size=20).map(b"".join),
                          st.lists(st.one_of(_REPLY_PIECES, _REPLY_LINES), max_size=40).map(b"".join),
                          st.binary(max_size=200))

_BODY_PIECES = st.one_of(
    st.sampled_from([b".", b"..", b"\r", b"\n", b"\r\n", b"\r\r", b"\r\r\n", b"\n.", b"\r\n.\r\n", b"\r.\r",
                     b"a", b"\x00", b"\xff"]),
    st.binary(max_size=8),
)
bodies = st.one_of(st.lists(_BODY_PIECES, max_size=40).map(b"".join), st.binary(max_size=200))


# -- the reply reader -----------------------------------------------------------------------

def read_all(chunks: list[bytes], expect: int, caps: tuple[int, int]) -> list:
    """Every reply and error the reader gives for ``chunks`` then EOF.

    Reading goes on after a ReplyError or ProtocolError (the reply was
    consumed, as a client would go on) and stops at a terminal error.
    Anything else raised fails the test.
    """
    reader = ReplyReader(*caps)
    outcome: list = []
    total = sum(len(c) for c in chunks)

    def drain() -> bool:
        for _ in range(total + 3):  # each reply consumes a line; EOF ends it
            try:
                reply = reader.next_reply(expect)
            except DOCUMENTED as err:
                outcome.append((type(err).__name__, str(err)))
                if isinstance(err, TERMINAL):
                    return False
                continue
            if reply is None:
                return True
            outcome.append(reply)
        raise AssertionError("reader did not stop")

    for chunk in chunks:
        reader.feed(chunk)
        if not drain():
            return outcome
    reader.feed_eof()
    assert not drain(), "needs more data after EOF"
    return outcome


def check_reader(data: bytes, cuts: list[int], expect: int, caps: tuple[int, int]) -> None:
    whole = read_all([data], expect, caps)
    assert read_all(cut(data, cuts), expect, caps) == whole
    assert read_all([data[i:i + 1] for i in range(len(data))], expect, caps) == whole
    # A stream always ends in a terminal error (the EOF at the latest).
    assert whole and whole[-1][0] in ("ReplyTooLong", "ServerClosed")


REAL_CAPS = (1 << 20, 4 << 20)
TINY_CAPS = (16, 48)
reader_args = dict(data=reply_streams, cuts=st.lists(st.integers(0, 200), max_size=8),
                   expect=st.sampled_from([0, 2, 25, 250, 354, 5, 421]), tiny=st.booleans())


@given(**reader_args)
@FAST
def test_reply_reader(data, cuts, expect, tiny):
    count("reply reader")
    check_reader(data, cuts, expect, TINY_CAPS if tiny else REAL_CAPS)


@pytest.mark.slow
@given(**reader_args)
@LONG
def test_reply_reader_long(data, cuts, expect, tiny):
    count("reply reader (long)")
    check_reader(data, cuts, expect, TINY_CAPS if tiny else REAL_CAPS)


# -- the dot-stuffing writer ----------------------------------------------------------------------

def check_encoder(body: bytes, cuts: list[int]) -> None:
    expected = go_dot_writer(body)
    for chunks in (cut(body, cuts), [body], [body[i:i + 1] for i in range(len(body))]):
        enc = DotEncoder()
        wire = b"".join(enc.encode(c) for c in chunks) + enc.finish()
        assert wire == expected
    assert b"\n" not in wire.replace(b"\r\n", b"")  # every LF is in a CRLF
    assert wire.count(b"\r\n.\r\n") + wire.startswith(b".\r\n") == 1
    assert wire.endswith(b".\r\n")
    assert unstuff(wire) == go_dot_writer(body, stuff=False)


encoder_args = dict(body=bodies, cuts=st.lists(st.integers(0, 200), max_size=8))


@given(**encoder_args)
@FAST
def test_dot_encoder(body, cuts):
    count("dot encoder")
    check_encoder(body, cuts)


@pytest.mark.slow
@given(**encoder_args)
@LONG
def test_dot_encoder_long(body, cuts):
    count("dot encoder (long)")
    check_encoder(body, cuts)


def test_model_examples():
    # The transcription itself, on Go's documented behaviour.
    assert go_dot_writer(b"a\nb") == b"a\r\nb\r\n.\r\n"
    assert go_dot_writer(b".x\r\n") == b"..x\r\n.\r\n"
    assert go_dot_writer(b"x\r.\r") == b"x\r.\r\n.\r\n"
    assert go_dot_writer(b"a\r\r\n") == b"a\r\r\r\n.\r\n"
    assert go_dot_writer(b"") == b"\r\n.\r\n"


def test_cases_run():
    """Last in the module: how many cases each property tried."""
    print("\nfuzz cases: " + ", ".join("%s %d" % kv for kv in sorted(CASES.items())))
