"""Tests for :mod:`smtp_core.gocompat.gobase64` (Go's base64.StdEncoding).

The vector tables are data files in ``tests/helpers/govectors``, written by a Go
program beside them (``gen/main.go``) that runs Go 1.27.3's
``base64.StdEncoding.DecodeString`` / ``EncodeToString`` on each input, so
no Go toolchain is needed to run these tests; ``test_govectors.py`` checks
the files against Go when it is there.  An ``int`` expectation is
the offset in Go's ``illegal base64 data at input byte N`` error.
"""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import govectors
from smtp_core.errors import Base64Error, SMTPError
from smtp_core.gocompat.gobase64 import _go_decode, decode_std, encode_std
from smtp_core.gocompat.goformat import go_bytes

# (input, Go's answer) pairs from tests/helpers/govectors/*.json, written by Go itself
# (tests/helpers/govectors/gen).  The answer is the decoded bytes or the error offset.
_DECODE = govectors.load("base64_decode")
DECODE_VECTORS = [(value, expected) for value, expected in _DECODE if isinstance(value, bytes)]
# Text inputs: offsets count the UTF-8 (surrogateescape) bytes.
DECODE_TEXT_VECTORS = [(value, expected) for value, expected in _DECODE if isinstance(value, str)]
ENCODE_VECTORS = govectors.load("base64_encode")  # StdEncoding.EncodeToString output


def _go_result(value):
    try:
        return decode_std(value)
    except Base64Error as exc:
        text = str(exc)
        prefix = "illegal base64 data at input byte "
        assert text.startswith(prefix), text
        return int(text[len(prefix):])


@pytest.mark.parametrize("value, expected", DECODE_VECTORS)
def test_decode_vectors(value, expected):
    assert _go_result(value) == expected
    # The same data as text gives the same answer.
    assert _go_result(value.decode("utf-8", "surrogateescape")) == expected
    if value.isascii():
        assert _go_result(value.decode("ascii")) == expected
    # The Go-style scanner agrees on its own, valid input included.
    data, offset = _go_decode(value)
    assert (data if offset is None else offset) == expected


@pytest.mark.parametrize("value, expected", DECODE_TEXT_VECTORS)
def test_decode_text_vectors(value, expected):
    assert _go_result(value) == expected
    assert _go_result(go_bytes(value)) == expected


@pytest.mark.parametrize("value, expected", ENCODE_VECTORS)
def test_encode_vectors(value, expected):
    assert encode_std(value) == expected
    assert decode_std(expected) == value


def test_vector_tables_are_substantial():
    assert len(DECODE_VECTORS) > 300
    assert sum(isinstance(e, int) for _, e in DECODE_VECTORS) > 200


def test_error_type_and_text():
    with pytest.raises(Base64Error) as info:
        decode_std("QUJ!")
    assert str(info.value) == "illegal base64 data at input byte 3"
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, SMTPError)


def test_documented_examples():
    assert decode_std("") == b""
    assert decode_std("QR==") == b"A"  # leftover bits are ignored
    assert decode_std("Q\r\nQ\n=\r=\n") == b"A"
    assert _go_result("QQ") == 0
    assert _go_result("QQ=") == 3  # second '=' missing at the end
    assert _go_result("QQ=A") == 2
    assert _go_result("QQ==QQ==") == 4  # data after the padding
    assert _go_result("QQ==\r\nx") == 6
    assert _go_result("QUJD\n") == b"ABC"
    # A short final quantum is reported at (end - characters read in it),
    # an offset that does not account for skipped line breaks: it can land
    # on a line break or in the middle of the quantum.
    assert _go_result("QUJD\nQ") == 5
    assert _go_result("QU\nJDQ\n") == 6
    assert _go_result("Q\nQ") == 1
    assert _go_result("Q\nQ\nQ") == 2
    assert _go_result("\xe9QQ==") == 0
    assert _go_result("QQ==\xe9") == 4
    assert _go_result("QUJD\U0001f600") == 4


# ---------------------------------------------------------------------------
# Properties.

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
b64ish = st.lists(
    st.one_of(
        st.sampled_from([bytes([c]) for c in _ALPHABET]),
        st.sampled_from([b"=", b"==", b"\r", b"\n", b"\r\n", b" ", b"!", b"\x00", b"\xff", b"\xc3\xa9"]),
    ),
    max_size=24,
).map(b"".join)


@given(st.binary())
def test_encode_matches_python(b):
    assert encode_std(b) == base64.b64encode(b)
    assert decode_std(encode_std(b)) == b
    assert decode_std(encode_std(b).decode("ascii")) == b


@given(st.binary(), st.data())
def test_line_breaks_are_ignored(b, data):
    enc = bytearray(encode_std(b))
    for _ in range(data.draw(st.integers(0, 4))):
        pos = data.draw(st.integers(0, len(enc)))
        enc[pos:pos] = data.draw(st.sampled_from([b"\r", b"\n", b"\r\n"]))
    assert decode_std(bytes(enc)) == b


@settings(max_examples=500)
@given(st.one_of(b64ish, st.binary(max_size=12)))
def test_decode_agrees_with_scanner_and_binascii(b):
    data, offset = _go_decode(b)
    result = _go_result(b)
    if offset is None:
        assert result == data
        stripped = b.replace(b"\r", b"").replace(b"\n", b"")
        assert len(stripped) % 4 == 0
        assert binascii.a2b_base64(stripped) == data
    else:
        assert result == offset
        assert 0 <= offset <= len(b)


@given(st.binary().map(encode_std))
def test_valid_padded_input_agrees_with_binascii(enc):
    assert decode_std(enc) == binascii.a2b_base64(enc)
