"""Reference models for the property tests: Go's rules, written the slow, obvious way.

``go_dot_writer`` is Go's textproto dotWriter applied one byte at a time;
the engine's chunked :class:`~smtp_core.protocol.dotstuff.DotEncoder` must produce
exactly its bytes.  ``cut`` splits a byte string at arbitrary positions, to
feed the same input in different chunkings.
"""

from __future__ import annotations

BEGIN, BEGIN_LINE, CR, DATA = range(4)


def go_dot_writer(data: bytes, stuff: bool = True) -> bytes:
    """Go's dotWriter, byte by byte, then Close (``stuff=False``: no dots added or ended)."""
    out = bytearray()
    state = BEGIN
    for c in data:
        if state in (BEGIN, BEGIN_LINE):
            state = DATA
            if c == 0x2E and stuff:
                out.append(0x2E)
        if state == DATA:
            if c == 0x0D:
                state = CR
            elif c == 0x0A:
                out.append(0x0D)
                state = BEGIN_LINE
        elif state == CR:
            state = BEGIN_LINE if c == 0x0A else DATA
        out.append(c)
    if state in (BEGIN, DATA):
        out += b"\r\n"
    elif state == CR:
        out += b"\n"
    if stuff:
        out += b".\r\n"
    return bytes(out)


def cut(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` split at the given positions (sorted, clipped, duplicates allowed)."""
    points = sorted(min(max(c, 0), len(data)) for c in cuts)
    pieces, prev = [], 0
    for p in points + [len(data)]:
        pieces.append(data[prev:p])
        prev = p
    return pieces
