"""Go's standard base64 encoding (``encoding/base64.StdEncoding``).

SMTP AUTH challenges arrive base64-encoded, and when one is malformed Go's
``net/smtp`` reports the decoder's own error, for example
``illegal base64 data at input byte 3``.  :func:`decode_std` accepts and
rejects exactly what Go's ``StdEncoding.DecodeString`` does and raises
:class:`~smtp_core.errors.Base64Error` with Go's text, offset included:

* the alphabet is ``A-Z a-z 0-9 + /`` and padding with ``=`` is required;
* bits left over in the last character are ignored (Go's StdEncoding is
  not in strict mode), so ``"QR=="`` decodes like ``"QQ=="``;
* ``\\r`` and ``\\n`` are skipped wherever they appear, even between or
  after the padding characters;
* the offset in an error is a byte index into the input, counting the
  skipped line breaks.  Text input is measured in the bytes it stands for
  (UTF-8, with ``surrogateescape`` surrogates as single bytes; see
  :func:`smtp_core.gocompat.goformat.go_bytes`).

Examples (each rule above has its own in :func:`decode_std`)::

    >>> decode_std("AHVzZXIAcGFzcw==")
    b'\\x00user\\x00pass'
    >>> encode_std(b"\\x00user\\x00pass")
    b'AHVzZXIAcGFzcw=='
"""

from __future__ import annotations

import binascii
import re

from ..errors import Base64Error
from .goformat import go_bytes

__all__ = ["decode_std", "encode_std"]

# Well-formed input once line breaks are gone: alphabet characters, then at
# most two '=' (the caller also checks that the length is a multiple of 4,
# which forces the padding into the last quantum).
_WELL_FORMED = re.compile(rb"[A-Za-z0-9+/]*={0,2}")

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DECODE_MAP = [0xFF] * 256
for _i, _c in enumerate(_ALPHABET):
    _DECODE_MAP[_c] = _i
del _i, _c

_CR, _LF, _PAD = 0x0D, 0x0A, 0x3D


def encode_std(b: bytes | bytearray | memoryview) -> bytes:
    """Encode ``b`` like Go's ``base64.StdEncoding.EncodeToString``.

    The result is padded with ``=`` and contains no line breaks.

    >>> encode_std(b"ab")
    b'YWI='
    """
    return binascii.b2a_base64(b, newline=False)


def _is_well_formed(b: bytes) -> bool:
    return len(b) % 4 == 0 and _WELL_FORMED.fullmatch(b) is not None


def decode_std(s: str | bytes | bytearray | memoryview) -> bytes:
    """Decode ``s`` like Go's ``base64.StdEncoding.DecodeString``.

    Raises :class:`~smtp_core.errors.Base64Error` whose text is Go's
    ``illegal base64 data at input byte N`` when Go would fail.

    >>> decode_std("")
    b''
    >>> decode_std("QR==")  # the last character's spare bits are ignored
    b'A'
    >>> decode_std("QUJD\\r\\nREVG")  # line breaks are skipped...
    b'ABCDEF'
    >>> decode_std("QQ=\\n=")  # ...even between the padding characters
    b'A'
    >>> decode_std("QUJ")  # the offset of a short final quantum is its start
    Traceback (most recent call last):
      ...
    smtp_core.errors.Base64Error: illegal base64 data at input byte 0
    >>> decode_std("QQ==QQ==")  # nothing may follow the padding
    Traceback (most recent call last):
      ...
    smtp_core.errors.Base64Error: illegal base64 data at input byte 4
    """
    if isinstance(s, str):
        b = s.encode("ascii") if s.isascii() else go_bytes(s)
    else:
        b = bytes(s)
    if _is_well_formed(b):
        return binascii.a2b_base64(b)
    if b"\r" in b or b"\n" in b:
        stripped = b.replace(b"\r", b"").replace(b"\n", b"")
        if _is_well_formed(stripped):
            return binascii.a2b_base64(stripped)
    data, offset = _go_decode(b)
    if offset is None:  # pragma: no cover - the checks above are exhaustive
        return data
    raise Base64Error("illegal base64 data at input byte %d" % offset)


def _go_decode(src: bytes) -> tuple[bytes, int | None]:
    """Decode the way Go's ``Encoding.Decode`` walks its input.

    Returns the bytes decoded so far and the offset of the first error, or
    ``None`` when the input is valid.  Used to locate errors (and, in the
    tests, as an independent second opinion on valid input).
    """
    out = bytearray()
    n = len(src)
    si = 0
    dmap = _DECODE_MAP
    while si < n:
        # One quantum: up to four alphabet characters.
        vals = [0, 0, 0, 0]
        dlen = 4
        err: int | None = None
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return bytes(out), None
                return bytes(out), si - j
            ch = src[si]
            si += 1
            v = dmap[ch]
            if v != 0xFF:
                vals[j] = v
                j += 1
                continue
            if ch == _CR or ch == _LF:
                continue
            if ch != _PAD:
                return bytes(out), si - 1
            # Padding reached.
            if j < 2:
                return bytes(out), si - 1
            if j == 2:
                # A second '=' must follow, line breaks aside.
                while si < n and src[si] in (_CR, _LF):
                    si += 1
                if si == n:
                    return bytes(out), n
                if src[si] != _PAD:
                    return bytes(out), si - 1
                si += 1
            while si < n and src[si] in (_CR, _LF):
                si += 1
            if si < n:
                err = si  # something after the padding
            dlen = j
            break
        val = vals[0] << 18 | vals[1] << 12 | vals[2] << 6 | vals[3]
        out += val.to_bytes(3, "big")[: dlen - 1]
        if err is not None:
            return bytes(out), err
    return bytes(out), None
