"""Reading SMTP replies, without I/O.

:class:`ReplyReader` is fed the bytes a server sent and hands back whole
replies.  It follows Go's ``net/textproto`` to the byte:

* A line ends at LF; the LF and one CR right before it are dropped.  A last
  line that the server ends by closing the connection still counts, except
  when Go's 4096-byte ``bufio`` reader would have lost it (see
  :func:`_line_survives_eof`).
* A reply line is ``DDD<sp>text`` or ``DDD-text``.  A line shorter than four
  bytes, or whose fourth byte is neither space nor hyphen, is a ``short
  response``; three characters that are not a code from 100 to 999 make an
  ``invalid response code``.  Both are :class:`~smtp_core.errors.ProtocolError`.
* ``expect`` checks the code by prefix: 1 digit checks the class (``2`` means
  2yz), 2 digits the first two (``25`` accepts 250 to 259), 3 digits the exact
  code, and 0 accepts any code.
* In a multi-line reply, a continuation line that does not carry the first
  line's code (or is not a reply line at all) is kept verbatim in the text,
  and the reply goes on.  The text joins lines with ``\\n``.

Beyond Go, every line and every reply has a size cap (1 MiB and 4 MiB by
default), so a hostile server cannot make the client buffer without bound.

Example::

    >>> r = ReplyReader()
    >>> r.feed(b"250-mx.example.com\\r\\n250 SIZE 100\\r\\n")
    >>> r.next_reply(250)
    (250, 'mx.example.com\\nSIZE 100')
    >>> r.next_reply(250) is None   # nothing buffered: needs more data
    True
"""

from __future__ import annotations

from ..errors import ProtocolError, ReplyError, ReplyTooLong, ServerClosed
from ..gocompat.goformat import go_quote

__all__ = ["ReplyReader", "parse_code_line", "code_matches", "MAX_LINE", "MAX_REPLY"]

#: Longest reply line accepted (RFC 5321 allows 512 octets; real servers stay
#: far below this).  Go has no limit.
MAX_LINE = 1 << 20
#: Longest whole reply accepted: all its lines together, as received
#: (codes and line ends included).
MAX_REPLY = 4 << 20

# Go reads through a bufio.Reader of this size; it matters only for a line
# cut short by the end of the stream.
_GO_BUFIO_SIZE = 4096

_DIGITS = frozenset(b"0123456789")


def _decode(raw: bytes) -> str:
    # Server text is bytes; keep undecodable bytes recoverable so that Go's
    # quoting (one \xNN per invalid byte) can be reproduced.
    return raw.decode("utf-8", "surrogateescape")


def code_matches(code: int, expect: int) -> bool:
    """Whether ``code`` satisfies ``expect`` under textproto's prefix rule."""
    if 1 <= expect < 10:
        return code // 100 == expect
    if 10 <= expect < 100:
        return code // 10 == expect
    if 100 <= expect < 1000:
        return code == expect
    return True


def parse_code_line(line: bytes, expect: int) -> tuple[int, bool, bytes, Exception | None]:
    """Split one reply line into ``(code, continued, text, error)``.

    ``error`` is a :class:`ProtocolError` for a malformed line (``code`` is
    then 0) or a :class:`ReplyError` when the code does not match ``expect``.
    Like Go, a malformed code still reports whether the line said ``-``.
    """
    if len(line) < 4 or line[3] not in b" -":
        return 0, False, b"", ProtocolError("short response: " + go_quote(line))
    continued = line[3] == 0x2D  # '-'
    head = line[:3]
    # strconv.Atoi accepts a sign, but a signed or zero-led number is below
    # 100 anyway: only three digits starting with 1-9 make a valid code.
    if head[0] not in b"123456789" or head[1] not in _DIGITS or head[2] not in _DIGITS:
        return 0, continued, b"", ProtocolError("invalid response code: " + go_quote(line))
    code = int(head)
    text = line[4:]
    if expect and not code_matches(code, expect):
        return code, continued, text, ReplyError(code, _decode(text))
    return code, continued, text, None


def _line_survives_eof(partial: bytes) -> bool:
    """Whether Go would still return an unterminated last line at EOF.

    Go's bufio reader hands out a long line in 4096-byte pieces (holding back
    a CR that ends a piece) and asks for more before it sees EOF; when the
    pieces use up the line exactly, the final read finds nothing and the
    whole line is lost to an EOF error.
    """
    pos, size = 0, len(partial)
    while size - pos >= _GO_BUFIO_SIZE:
        piece = _GO_BUFIO_SIZE
        if partial[pos + piece - 1] == 0x0D:  # '\r' held back for the next piece
            piece -= 1
        pos += piece
    return pos < size


class ReplyReader:
    """Turns the server's byte stream into replies; performs no I/O.

    Call :meth:`feed` with received bytes (and :meth:`feed_eof` when the
    stream ends), then :meth:`next_reply`, which returns ``(code, text)``,
    raises the reply's error, or returns ``None`` when more bytes are needed.
    A reply that is cut in the middle resumes where it stopped on the next
    call, with the same ``expect``.
    """

    __slots__ = ("_buf", "_eof", "_reply", "max_line", "max_reply")

    def __init__(self, max_line: int = MAX_LINE, max_reply: int = MAX_REPLY) -> None:
        self._buf = bytearray()
        self._eof = False
        # A multi-line reply in progress: [code, first_error, parts, size, malformed_first].
        self._reply: list | None = None
        self.max_line = max_line
        self.max_reply = max_reply

    # -- input ---------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Add bytes received from the server."""
        self._buf += data

    def feed_eof(self) -> None:
        """Note that the server closed its side: no more bytes will come."""
        self._eof = True

    @property
    def at_eof(self) -> bool:
        return self._eof

    def discard_buffered(self) -> int:
        """Drop every byte not consumed yet and return how many there were.

        Used after a ``220`` to STARTTLS: plaintext that arrived together
        with it must never be taken for a reply sent under TLS.
        """
        n = len(self._buf)
        self._buf.clear()
        self._reply = None
        return n

    # -- lines ---------------------------------------------------------
    def _next_line(self) -> bytes | None:
        buf = self._buf
        end = buf.find(b"\n")
        if end < 0:
            if len(buf) > self.max_line:
                raise ReplyTooLong("smtp: reply line longer than %d bytes" % self.max_line)
            if not self._eof:
                return None
            if buf and _line_survives_eof(bytes(buf)):
                line = bytes(buf)
                buf.clear()
                return line
            buf.clear()
            raise ServerClosed()
        if end > self.max_line:
            raise ReplyTooLong("smtp: reply line longer than %d bytes" % self.max_line)
        stop = end - 1 if end and buf[end - 1] == 0x0D else end
        line = bytes(buf[:stop])
        del buf[: end + 1]
        return line

    # -- replies -------------------------------------------------------
    def next_reply(self, expect: int = 0) -> tuple[int, str] | None:
        """The next whole reply as ``(code, text)``, or ``None`` if incomplete.

        Raises :class:`ReplyError` when the code does not match ``expect``
        (with every line of a multi-line reply in its text),
        :class:`ProtocolError` for a malformed first line,
        :class:`ServerClosed` when the stream ended first, and
        :class:`ReplyTooLong` past the caps.
        """
        if self._reply is None:
            line = self._next_line()
            if line is None:
                return None
            # Fast path: a complete single-line reply, the common case.
            if len(line) >= 4 and line[3] == 0x20:
                code, _, text, err = parse_code_line(line, expect)
                if err is not None:
                    raise err
                return code, _decode(text)
            code, continued, text, err = parse_code_line(line, expect)
            if not continued:
                if err is not None:
                    raise err
                return code, _decode(text)
            # The text grows in one buffer (a list of line objects costs
            # far more than the bytes it holds), and the cap is charged
            # the whole line, so a flood of near-empty lines stops as
            # soon as a flood of long ones.
            self._reply = [code, err, bytearray(text), len(line) + 1]
        state = self._reply
        code, joined = state[0], state[2]
        while True:
            line = self._next_line()
            if line is None:
                return None
            code2, continued, more, err2 = parse_code_line(line, 0)
            if err2 is not None or code2 != code:
                # Not this reply's code: keep the line as text, minus any
                # trailing CR/LF, and keep reading.
                more = line.rstrip(b"\r\n")
                continued = True
            state[3] += len(line) + 1
            if state[3] > self.max_reply:
                self._reply = None
                raise ReplyTooLong("smtp: reply longer than %d bytes" % self.max_reply)
            joined += b"\n"
            joined += more
            if not continued:
                break
        self._reply = None
        text = _decode(bytes(joined))
        err = state[1]
        if err is not None:
            if isinstance(err, ReplyError) and text:
                err = ReplyError(code, text)
            raise err
        return code, text
