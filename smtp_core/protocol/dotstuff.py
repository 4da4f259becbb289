"""DATA encoding ("dot-stuffing"), without I/O.

:class:`DotEncoder` turns message bytes into the bytes sent after ``DATA``
exactly as Go's ``textproto`` DotWriter does, whatever the chunking:

* a LF that does not end a CRLF becomes CRLF;
* a line that starts with ``.`` gets a second ``.``;
* a CR that is not followed by LF is passed through unchanged;
* the state (start of line, after a CR, mid-line) carries from one
  :meth:`~DotEncoder.encode` call to the next;
* :meth:`~DotEncoder.finish` ends the last line if needed and appends
  ``.\\r\\n``, so the end-of-data mark appears exactly once.

Go's per-byte rules have one odd corner, kept for byte equality: within a
run of CRs only every other one counts as "a CR was just seen", so
``\\r\\r\\n`` goes out as ``\\r\\r\\r\\n``.

The work runs over whole chunks with ``bytes`` methods (a regular
expression only for runs of CRs before a LF), never a Python loop per byte.

Example::

    >>> enc = DotEncoder()
    >>> enc.encode(b"Subject: x\\n\\n.hidden\\r\\nend") + enc.finish()
    b'Subject: x\\r\\n\\r\\n..hidden\\r\\nend\\r\\n.\\r\\n'
"""

from __future__ import annotations

import re

from .lineends import LineEnds

__all__ = ["DotEncoder", "CRLFDotEncoder", "BEGIN", "BEGIN_LINE", "AFTER_CR", "MID_LINE",
           "input_before_wire_offset", "unstuff"]

# The four states of Go's writer.  BEGIN differs from BEGIN_LINE only in how
# an empty message ends: Go still writes a CRLF before the dot.
BEGIN, BEGIN_LINE, AFTER_CR, MID_LINE = 0, 1, 2, 3

_CR_RUN_THEN_LF = re.compile(rb"\r+\n")


def _fix_cr_runs(match: re.Match) -> bytes:
    run = match.group()
    # An odd number of CRs leaves Go in the after-CR state: the LF is taken
    # as ending that CRLF.  An even number does not: a CR is added before it.
    return run if (len(run) - 1) % 2 else run[:-1] + b"\r\n"


def _encode_from_mid_line(data: bytes) -> bytes:
    """Encode ``data`` as if it followed an ordinary character mid-line."""
    lf = data.count(b"\n")
    if not lf:
        return data
    # Counting is cheaper than a rewriting pass, and most messages are
    # uniform: only bare LFs (no CR at all), or only CRLFs (every CR and
    # every LF belong to one CRLF, so none is bare and no CR run ends at
    # a LF).  Both skip the general line-end passes below.
    cr = data.count(b"\r")
    if not cr:
        out = data.replace(b"\n", b"\r\n")
    elif cr == lf and data.count(b"\r\n") == lf:
        out = data
    elif b"\r\r\n" in data:
        data = _CR_RUN_THEN_LF.sub(_fix_cr_runs, data)
        # Every LF now follows an odd run of CRs, or none at all.
        out = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    else:
        out = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return out.replace(b"\n.", b"\n..")


def _state_after(data: bytes, state: int) -> int:
    if not data:
        return state
    last = data[-1]
    if last == 0x0A:
        return BEGIN_LINE
    if last != 0x0D:
        return MID_LINE
    run = len(data) - len(data.rstrip(b"\r"))
    if run == len(data) and state == AFTER_CR:
        run += 1
    return AFTER_CR if run % 2 else MID_LINE


class DotEncoder:
    """Go's DotWriter as a pure function of its input and state."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = BEGIN

    def encode(self, data: bytes) -> bytes:
        """The wire bytes for ``data``, given everything encoded before."""
        state = self.state
        if not data:
            return b""
        if state == MID_LINE:
            out = _encode_from_mid_line(data)
        elif state == AFTER_CR:
            # Replay the CR that put us here; it was already sent.
            out = _encode_from_mid_line(b"\r" + data)[1:]
        else:
            # At a line start only a leading dot differs from mid-line (the
            # other rules look back at no more than the line's own bytes):
            # doubled here, not by a replayed LF, which would make every
            # message look like one with a bare LF and take the slow passes.
            out = _encode_from_mid_line(data)
            if data[0] == 0x2E:
                out = b"." + out
        self.state = _state_after(data, state)
        return out

    def finish(self) -> bytes:
        """The bytes that end the message: a line end if needed, then ``.\\r\\n``."""
        state = self.state
        self.state = BEGIN_LINE
        if state == BEGIN_LINE:
            return b".\r\n"
        if state == AFTER_CR:
            return b"\n.\r\n"
        return b"\r\n.\r\n"


class CRLFDotEncoder:
    """The Pythonic layer's DATA encoder: every bare CR and bare LF made
    CRLF first (:class:`~smtp_core.protocol.lineends.LineEnds`, so a CR and its LF
    in different chunks are one CRLF), then dots stuffed.  Its text has
    no bare CR, so the stuffing is one ``replace``; ``encode``, ``finish``
    and ``state`` are :class:`DotEncoder`'s.

    >>> enc = CRLFDotEncoder()
    >>> enc.encode(b".a\\r.\\r") + enc.encode(b"\\nb") + enc.finish()
    b'..a\\r\\n..\\r\\nb\\r\\n.\\r\\n'
    """

    __slots__ = ("state", "ends")

    def __init__(self) -> None:
        self.state = BEGIN
        self.ends = LineEnds()

    def encode(self, data: bytes) -> bytes:
        """The wire bytes for ``data`` (less a final CR, held for the next call)."""
        text = self.ends.feed(data)
        if not text:
            return b""
        out = text.replace(b"\n.", b"\n..") if b"\n." in text else text
        if self.state <= BEGIN_LINE and text[0] == 0x2E:
            out = b"." + out
        self.state = BEGIN_LINE if text[-1] == 0x0A else MID_LINE
        return out

    def finish(self) -> bytes:
        """A held CR as CRLF, a line end if needed, then ``.\\r\\n``."""
        held = self.ends.finish()
        state = BEGIN_LINE if held else self.state
        self.state = BEGIN_LINE
        return held + (b".\r\n" if state == BEGIN_LINE else b"\r\n.\r\n")


def input_before_wire_offset(data: bytes, state: int, wire_limit: int) -> int:
    """How many bytes of ``data`` Go would have accepted before ``wire_limit``.

    Go reports, after a failed write, the count of input bytes whose own
    output byte lies before the first byte that could not be buffered.
    Stuffed dots and added CRs belong to the input byte that follows them.
    Only used on the error path, so a plain loop is fine here.
    """
    wire = 0
    for count, c in enumerate(data):
        if state in (BEGIN, BEGIN_LINE):
            state = MID_LINE
            if c == 0x2E:
                wire += 1
            if c == 0x0D:
                state = AFTER_CR
            elif c == 0x0A:
                wire += 1
                state = BEGIN_LINE
        elif state == MID_LINE:
            if c == 0x0D:
                state = AFTER_CR
            elif c == 0x0A:
                wire += 1
                state = BEGIN_LINE
        else:
            state = BEGIN_LINE if c == 0x0A else MID_LINE
        if wire >= wire_limit:
            return count
        wire += 1
    return len(data)


def unstuff(wire: bytes) -> bytes:
    """Undo dot-stuffing of a complete DATA payload (for tests and servers).

    Takes the bytes up to and including the final ``.\\r\\n`` line and
    returns the message with CRLF line ends and single leading dots.
    """
    if not wire.endswith(b".\r\n"):
        raise ValueError("payload does not end with the end-of-data line")
    body = wire[:-3]
    if body.startswith(b"."):
        body = body[1:]
    return body.replace(b"\r\n.", b"\r\n")
