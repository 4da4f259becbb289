"""Go's ``mail.ReadMessage``: a header read as ``net/textproto`` reads it, then the body.

Rules, as Go 1.27.3 applies them (``net/mail``, ``net/textproto``):

* lines end at LF; a CRLF or LF is dropped, a lone CR stays;
* a first line starting with a space or tab is ``malformed initial line``;
* a line starting with a space or tab continues the one before: the two
  are joined by one space, each trimmed of spaces and tabs;
* a header line without a colon is ``malformed header line``; an empty
  key is skipped; the value loses its leading spaces and tabs;
* a key made of token characters is canonicalised (``content-type`` is
  ``Content-Type``); one with a space or another byte is kept as it is;
* the header ends at an empty line; input that ends first is a message
  with no body, unless there was no header at all (``EOF``).

    >>> header, body = read_message(b"subject: hi\\r\\nX-A: 1\\r\\n  2\\r\\n\\r\\nbody")
    >>> header, body
    ({'Subject': ['hi'], 'X-A': ['1 2']}, b'body')
    >>> get(header, "SUBJECT")
    'hi'
"""

from __future__ import annotations

from ..errors import ServerClosed
from .goformat import go_bytes, go_quote

__all__ = ["MessageError", "read_message", "canonical_key", "get"]

_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class MessageError(ValueError):
    """Go's refusal of a message header (``malformed header line: "x"``)."""


def canonical_key(key: bytes) -> bytes:
    """Go's ``textproto.CanonicalMIMEHeaderKey``."""
    if not key or any(c not in _TOKEN for c in key):
        return key
    out, upper = bytearray(), True
    for c in key:
        if upper and 0x61 <= c <= 0x7A:
            c -= 0x20
        elif not upper and 0x41 <= c <= 0x5A:
            c += 0x20
        out.append(c)
        upper = c == 0x2D
    return bytes(out)


def _trim(s: bytes) -> bytes:
    return s.strip(b" \t")


def read_message(data: bytes | str) -> tuple[dict[str, list[str]], bytes]:
    """``(header, body)`` as Go's ``mail.ReadMessage`` reads them; raises Go's error."""
    data = go_bytes(data)
    text = lambda b: b.decode("utf-8", "surrogateescape")  # noqa: E731
    header: dict[str, list[str]] = {}
    if data[:1] in (b" ", b"\t"):
        first = _next_line(data, 0)[0]
        raise MessageError("malformed initial line: " + go_quote(first))
    at = 0
    while True:
        if at >= len(data):
            if not header:
                raise ServerClosed()  # Go's io.EOF
            return header, b""
        line, at = _next_line(data, at)
        if not line:
            return header, data[at:]
        kv = _trim(line)
        # Continuation lines: a run of spaces or tabs, then the rest of the line.
        while at < len(data) and data[at:at + 1] in (b" ", b"\t"):
            spaces = len(data[at:]) - len(data[at:].lstrip(b" \t"))
            at += spaces
            kv += b" "
            if at >= len(data):
                break
            more, at = _next_line(data, at)
            kv += _trim(more)
        if not kv:
            return header, data[at:]
        key, colon, value = kv.partition(b":")
        if not colon:
            raise MessageError("malformed header line: " + go_quote(kv))
        key = canonical_key(key)
        if key:
            header.setdefault(text(key), []).append(text(value.lstrip(b" \t")))


def _next_line(data: bytes, at: int) -> tuple[bytes, int]:
    end = data.find(b"\n", at)
    if end < 0:
        return data[at:], len(data)
    line = data[at:end]
    return (line[:-1] if line.endswith(b"\r") else line), end + 1


def get(header: dict[str, list[str]], key: str) -> str:
    """Go's ``Header.Get``: the first value of the canonical ``key``, or ``""``."""
    values = header.get(text_key(key))
    return values[0] if values else ""


def text_key(key: str) -> str:
    return canonical_key(go_bytes(key)).decode("utf-8", "surrogateescape")
