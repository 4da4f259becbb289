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

    def feed(self, chunk: bytes) -> bool:
        """Take the next bytes received; True once the end mark was seen."""
        buffer = self._buffer
        search_from = max(0, len(buffer) - len(_END) + 1)
        buffer += chunk
        end = buffer.find(_END, search_from)
        complete = end + 2 if end >= 0 else buffer.rfind(b"\r\n") + 2
        if self.error is None:
            self._check(complete, finished=end >= 0)
        if end < 0:
            if self.error is not None:  # keep nothing but what may start the end mark
                del buffer[:-len(_END)]
            return False
        self.rest = bytes(buffer[end + len(_END):])
        if self.error is None:
            self.content = self._unstuffed(end + 2)
        buffer.clear()
        return True

    def _unstuffed(self, stop: int) -> bytes:
        """The content: the buffer up to ``stop`` without the CRLF put
        before it, each line's leading dot removed.  Most messages have no
        line starting with a dot: one copy, no replace pass."""
        buffer = self._buffer
        if buffer.find(b"\r\n.", 0, stop) < 0:
            with memoryview(buffer) as view:
                return bytes(view[2:stop])
        return bytes(buffer[:stop]).replace(b"\r\n.", b"\r\n")[2:]

    def _check(self, complete: int, *, finished: bool) -> None:
        """Apply the two limits to the lines up to ``complete`` (a line
        start) and to the unfinished line after it.  Within limits, one
        split and one sum; past one, the lines are walked in aiosmtpd's
        order to name the limit it would name."""
        buffer = self._buffer
        lines = bytes(buffer[self._checked:complete - 2]).split(b"\r\n") if complete > self._checked else []
        received = self._received + sum(map(len, lines)) + 2 * len(lines)
        unfinished = 0 if finished else len(buffer) - max(complete, self._checked)
        if (max(map(len, lines), default=0) + 2 <= self.line_length_limit
                and not (self.size_limit and received > self.size_limit)
                and unfinished <= self.line_length_limit + 1):
            self._checked, self._received = max(complete, self._checked), received
            return
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
