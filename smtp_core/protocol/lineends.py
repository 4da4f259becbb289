"""Line ends made CRLF, without I/O: the Pythonic layer's defence against
SMTP smuggling (CVE-2023-51764 and its family).

Go's DotWriter (:mod:`.dotstuff`) passes a bare CR through, so a message
holding ``\\r.\\r`` reaches the server as is; a server (or a relay after
it) that takes a bare CR, or a bare LF, for a line end then sees an end
of data where the client sent none, and reads the rest as commands.  The
Pythonic layer sends every message through these rules first:

* CRLF stays CRLF; a bare CR and a bare LF each become CRLF;
* :class:`LineEnds` does the same over a stream of chunks: a CR at the
  end of one chunk and a LF at the start of the next are one CRLF (the CR
  is held back until the next chunk, or :meth:`~LineEnds.finish`);
* the work is a few ``bytes`` scans per chunk, never a loop per byte;
  text already in CRLF costs three counting scans and no copy.

>>> crlf(b"a\\rb\\nc\\r\\n")
b'a\\r\\nb\\r\\nc\\r\\n'
>>> ends = LineEnds()
>>> ends.feed(b"x\\r") + ends.feed(b"\\ny\\r") + ends.feed(b".\\r") + ends.finish()
b'x\\r\\ny\\r\\n.\\r\\n'
"""

from __future__ import annotations

__all__ = ["crlf", "is_crlf", "LineEnds"]


def is_crlf(data: bytes) -> bool:
    """Whether every CR and every LF of ``data`` belong to a CRLF."""
    lf = data.count(b"\n")
    return data.count(b"\r") == lf and data.count(b"\r\n") == lf


def crlf(data: bytes) -> bytes:
    """``data`` with every bare CR and bare LF made CRLF."""
    cr = data.count(b"\r")
    if not cr:
        return data.replace(b"\n", b"\r\n")
    lf = data.count(b"\n")
    if cr == lf and data.count(b"\r\n") == lf:
        return data  # already CRLF: three scans, no copy
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


class LineEnds:
    """:func:`crlf` over a stream of chunks, whatever the chunking."""

    __slots__ = ("held_cr",)

    def __init__(self) -> None:
        self.held_cr = False

    def feed(self, chunk: bytes) -> bytes:
        """The CRLF text of ``chunk``, less a final CR kept for the next call."""
        if self.held_cr:
            chunk = b"\r" + chunk
        self.held_cr = chunk.endswith(b"\r")
        return crlf(chunk[:-1] if self.held_cr else chunk)

    def finish(self) -> bytes:
        """The end of the stream: a CR still held is a line end."""
        held, self.held_cr = self.held_cr, False
        return b"\r\n" if held else b""
