"""Bare CR and bare LF in the Pythonic layer (issue 10, item 6): SMTP
smuggling (CVE-2023-51764 and its family).

``send`` and ``send_many`` make every bare CR and bare LF a CRLF, in bytes
and in streamed files whatever the chunking; ``normalize_line_ends=False``
and the Go-named DATA writer keep Go's bytes (a bare CR goes as it is).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smtp_core
from smtp_core import send, send_many
from smtp_core.protocol.dotstuff import CRLFDotEncoder, unstuff
from smtp_core.protocol.lineends import LineEnds, crlf
from smtp_core.pythonic.message import CHUNK, encode_whole

T = 10
EHLO = "250-test.example\n250-PIPELINING\n250 8BITMIME"
ONE_MESSAGE = ["250 ok", "250 ok", "354 go", "250 queued"]
# The message: a bare-CR end of data, then a smuggled transaction.
SMUGGLING = (b"Subject: hi\r\n\r\nA\r.\rMAIL FROM:<x@evil.example>\r\nRCPT TO:<y@victim.example>\r\n"
             b"DATA\r\n\r\nforged\r\n")
LF_SMUGGLING = b"Subject: hi\r\n\r\nA\n.\nMAIL FROM:<x@evil.example>\r\n"


def data_payload(transcript: bytes) -> bytes:
    """What followed ``DATA\\r\\n`` up to and including the first end mark."""
    start = transcript.index(b"DATA\r\n") + 6
    end = transcript.index(b"\r\n.\r\n", start) + 5
    return transcript[start:end]


def assert_clean(payload: bytes) -> None:
    """Only CRLF line ends, and the one end mark at the very end."""
    assert payload.count(b"\r") == payload.count(b"\n") == payload.count(b"\r\n")
    assert payload.endswith(b"\r\n.\r\n") and payload.count(b"\r\n.\r\n") == 1


@pytest.mark.parametrize("message", [SMUGGLING, LF_SMUGGLING])
def test_send_makes_bare_line_ends_crlf(scripted, message):
    srv = scripted(["220 hi", EHLO] + ONE_MESSAGE + ["221 bye"])
    result = send(srv.address, "a@example.com", ["b@example.com"], message, tls="none", timeout=T)
    srv.wait_done()
    payload = data_payload(srv.transcript(0))
    assert_clean(payload)
    assert b"A\r\n..\r\nMAIL FROM:<x@evil.example>\r\n" in payload  # the lone dot was stuffed
    assert result.size == len(unstuff(payload))


def test_the_option_keeps_gos_bytes(scripted):
    srv = scripted(["220 hi", EHLO] + ONE_MESSAGE + ["221 bye"])
    send(srv.address, "a@example.com", ["b@example.com"], SMUGGLING, tls="none", timeout=T,
         normalize_line_ends=False)
    srv.wait_done()
    assert b"A\r.\rMAIL FROM:<x@evil.example>\r\n" in srv.transcript(0)


def test_the_go_named_writer_keeps_gos_bytes(scripted):
    srv = scripted(["220 hi", EHLO] + ONE_MESSAGE + ["221 bye"])
    client = smtp_core.dial(srv.address)
    client.mail("a@example.com")
    client.rcpt("b@example.com")
    writer = client.data()
    writer.write(SMUGGLING)
    writer.close()
    client.quit()
    srv.wait_done()
    assert b"A\r.\rMAIL FROM:<x@evil.example>\r\n" in srv.transcript(0)


def test_a_real_server_gets_one_message_with_the_smuggled_text_as_body(pipelining_server):
    handler, address = pipelining_server
    results = send_many(address, [("a@example.com", ["b@example.com"], SMUGGLING),
                                  ("a@example.com", ["c@example.com"], io.BytesIO(LF_SMUGGLING))], tls="none",
                        timeout=T)
    assert all(isinstance(r, smtp_core.SendResult) for r in results)
    assert [m[1] for m in handler.messages] == [("b@example.com",), ("c@example.com",)]
    first, second = (m[2] for m in handler.messages)
    assert b"A\r\n.\r\nMAIL FROM:<x@evil.example>\r\n" in first and b"forged" in first
    assert b"A\r\n.\r\nMAIL FROM:<x@evil.example>\r\n" in second


# --------------------------------------------------------------------------
# Streamed files: a CR and its LF in different chunks are one CRLF
# --------------------------------------------------------------------------


class Chunked:
    """A binary file whose reads return the given pieces, whatever was asked."""

    def __init__(self, pieces: list) -> None:
        self.pieces = list(pieces)

    def read(self, size=-1):
        return self.pieces.pop(0) if self.pieces else b""


def test_a_crlf_split_by_the_chunking_is_one_line_end(scripted):
    first = b"Subject: split\r\n\r\n" + b"x" * (CHUNK - 19) + b"\r"  # a whole chunk ending in CR
    message = first + b"\n.second line\r\r\n.\rend"
    srv = scripted(["220 hi", EHLO] + ONE_MESSAGE + ["221 bye"])
    result = send(srv.address, "a@example.com", ["b@example.com"], io.BytesIO(message), tls="none", timeout=T)
    srv.wait_done()
    payload = data_payload(srv.transcript(0))
    assert_clean(payload)
    assert payload.endswith(b"x\r\n..second line\r\n\r\n..\r\nend\r\n.\r\n")
    assert (payload, result.size) == encode_whole(message)
    assert result.size == len(crlf(message)) + 2


def test_lone_cr_chunks_are_held_back(scripted):
    pieces = [b"Subject: cr\r\n\r\na", b"\r", b"\r", b"\n", b".", b"\r", b"", b"tail\r"]
    srv = scripted(["220 hi", EHLO] + ONE_MESSAGE + ["221 bye"])
    send(srv.address, "a@example.com", ["b@example.com"], Chunked(pieces), tls="none", timeout=T)
    srv.wait_done()
    # The empty piece is the file's end: "tail\r" is never read.
    assert data_payload(srv.transcript(0)) == b"Subject: cr\r\n\r\na\r\n\r\n..\r\n.\r\n"


def stream_wire(pieces: list) -> bytes:
    """What the send layer's stream path sends for a file read in ``pieces``."""
    encoder = CRLFDotEncoder()
    return b"".join(encoder.encode(p) for p in pieces) + encoder.finish()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from([b".", b"\r", b"\n", b"\r\n", b"x", b"\r.", b"\n."]), min_size=1,
                         max_size=6).map(b"".join), max_size=12))
def test_any_chunking_gives_the_whole_message_encoding(pieces):
    data = b"".join(pieces)
    assert stream_wire(pieces) == encode_whole(data)[0]
    ends = LineEnds()
    assert b"".join(ends.feed(p) for p in pieces) + ends.finish() == crlf(data)
