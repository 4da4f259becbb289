"""The dev server's reading of a DATA payload: whole chunks, not lines.

aiosmtpd reads a message one ``readuntil(b"\\r\\n")`` at a time; for a
1 MiB message that is about 14,000 awaits and joins, which cost the catcher
four times what parsing the message does.  :class:`DataReader` takes the
bytes as they arrive, in whatever chunks, and finds the end with C-speed
searches, keeping aiosmtpd's rules (RFC 5321 sections 4.5.2 and 4.5.3.1):

* The payload ends at the first line that is a lone ``.``: the bytes
  ``CRLF . CRLF``, or ``. CRLF`` as the very first line.  Lines end with
  CRLF only; a bare CR or LF is part of its line.
* What follows the end mark is not the message's (a pipelining client's
  next command): :attr:`DataReader.rest` after :meth:`feed` says done.
* A line of more than ``line_length_limit`` bytes with its CRLF makes the
  reply ``500 Line too long (see RFC5321 4.5.3.1.6)``; more than
  ``size_limit`` bytes in all (counted as received, dots still doubled)
  ``552 Error: Too much mail data``; whichever limit aiosmtpd would see
  passed first decides (a line longer than its reader's limit, two bytes
  more, is refused before it is counted), and either way the rest of the
  payload is read and dropped as it comes (never held), so the session
  stays in step.
* The content is the payload with each line's leading dot removed
  (transparency), every CRLF kept.

>>> reader = DataReader(size_limit=100, line_length_limit=1001)
>>> reader.feed(b"Subject: hi\\r\\n\\r\\n..dot\\r\\n.")
False
>>> reader.feed(b"\\r\\nMAIL FROM:<a@b>\\r\\n")
True
>>> reader.content, reader.rest, reader.error
(b'Subject: hi\\r\\n\\r\\n.dot\\r\\n', b'MAIL FROM:<a@b>\\r\\n', None)
>>> reader = DataReader(size_limit=10, line_length_limit=1001)
>>> reader.feed(b"0123456789abc\\r\\n.\\r\\n"), reader.error, reader.content
(True, '552 Error: Too much mail data', b'')
"""

from __future__ import annotations

__all__ = ["DataReader", "TOO_LONG", "TOO_MUCH"]

TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
TOO_MUCH = "552 Error: Too much mail data"
_END = b"\r\n.\r\n"


class DataReader:
    """One DATA payload, fed chunk by chunk (sans I/O)."""

    def __init__(self, *, size_limit: int | None, line_length_limit: int):
        self.size_limit = size_limit
        self.line_length_limit = line_length_limit
        #: The message (dots unstuffed), once done without an error.
        self.content = b""
        #: Bytes after the end mark, once done.
        self.rest = b""
        #: The reply for a refused payload (None: none refused).
        self.error: str | None = None
        # A CRLF stands before the first line, so that a lone "." there is
        # found like any other; offsets below count it.
        self._buffer = bytearray(b"\r\n")
        self._checked = 2      # lines before this offset are within the limits
        self._received = 0     # their bytes
        self._scanned = 0      # no end mark starts before this offset
        self._stuffed = False  # a line before the end mark starts with a dot

    def feed(self, chunk: bytes) -> bool:
        """Take the next bytes received; True once the end mark was seen."""
        buffer = self._buffer
        buffer += chunk
        end = self._find_end()
        complete = end + 2 if end >= 0 else buffer.rfind(b"\r\n") + 2
        if self.error is None:
            self._check(complete, finished=end >= 0)
        if end < 0:
            if self.error is not None:  # keep nothing but what may start the end mark
                del buffer[:-len(_END)]
                self._scanned = 0
            return False
        self.rest = bytes(buffer[end + len(_END):])
        if self.error is None:
            self.content = self._unstuffed(end + 2)
        buffer.clear()
        return True

    def _find_end(self) -> int:
        """The offset of the end mark in the buffer, or -1; each byte is
        searched once.  Until a line starting with a dot turns up, one
        search for ``CRLF .`` finds both that line and the end mark (a
        line that is a lone dot), so a payload without such lines is read
        in one pass; after one, the end mark itself is searched for."""
        buffer = self._buffer
        position = self._scanned
        while not self._stuffed:
            found = buffer.find(b"\r\n.", position)
            if found < 0:  # its CRLF may be the buffer's last two bytes
                self._scanned = max(position, len(buffer) - 2)
                return -1
            if found + len(_END) > len(buffer):  # the line's end has not arrived
                self._scanned = found
                return -1
            if buffer[found + 3:found + len(_END)] == b"\r\n":
                return found
            self._stuffed = True
            position = found
        end = buffer.find(_END, position)
        self._scanned = end if end >= 0 else max(position, len(buffer) - len(_END) + 1)
        return end

    def _unstuffed(self, stop: int) -> bytes:
        """The content: the buffer up to ``stop`` without the CRLF put
        before it, each line's leading dot removed.  Most messages have no
        line starting with a dot: one copy, no replace pass."""
        buffer = self._buffer
        if not self._stuffed:
            with memoryview(buffer) as view:
                return bytes(view[2:stop])
        return bytes(buffer[:stop]).replace(b"\r\n.", b"\r\n")[2:]

    def _check(self, complete: int, *, finished: bool) -> None:
        """Apply the two limits to the lines up to ``complete`` (a line
        start) and to the unfinished line after it.  Within limits, the
        count is a subtraction and the lengths a few C-speed searches
        (:meth:`_lines_fit`); past one, the lines are walked in aiosmtpd's
        order to name the limit it would name."""
        buffer = self._buffer
        stop = max(complete, self._checked)
        # The lines with their CRLFs are exactly the bytes between.
        received = self._received + stop - self._checked
        unfinished = 0 if finished else len(buffer) - stop
        if (not (self.size_limit and received > self.size_limit)
                and unfinished <= self.line_length_limit + 1
                and self._lines_fit(self._checked, stop)):
            self._checked, self._received = stop, received
            return
        lines = bytes(buffer[self._checked:complete - 2]).split(b"\r\n") if complete > self._checked else []
        received = self._received
        for line in lines:
            length = len(line) + 2
            if length > self.line_length_limit + 2:  # aiosmtpd's reader overruns: before the count
                self.error = TOO_LONG
                return
            received += length
            if self.size_limit and received > self.size_limit:
                self.error = TOO_MUCH
                return
            if length > self.line_length_limit:
                self.error = TOO_LONG
                return
        self.error = TOO_LONG  # the unfinished line overran the reader already

    def _lines_fit(self, start: int, stop: int) -> bool:
        """Whether every line in ``buffer[start:stop]`` (whole lines, CRLFs
        included) is within ``line_length_limit``.

        A line too long holds ``2 * step`` bytes without a CRLF, so it
        holds one of the windows ``[start + k * step, + step)`` whole: a
        CRLF found starting in each window (one ``find`` per ``step``
        bytes, not a split into every line) proves every line short.  A
        window without one may still be a line just within the limit:
        those bytes are then split and measured."""
        buffer = self._buffer
        step = max(1, (self.line_length_limit - 1) // 2)
        find = buffer.find
        for window in range(start, stop - 2, step):
            if find(b"\r\n", window, window + step + 1) < 0:
                lines = bytes(buffer[start:stop - 2]).split(b"\r\n")
                return max(map(len, lines)) + 2 <= self.line_length_limit
        return True
