"""Attachments that stay in their files until they are sent.

A composed message's file attachment (``:path``) is a :class:`FilePart`:
its headers are set when the message is composed, its base64 body is read
from the file, encoded and handed out in chunks only while the message
goes on the wire (:func:`wire_stream`), so a message with a 100 MiB
attachment never holds the attachment.  No sockets here: the Pythonic
layer's DATA writer reads the stream like any message file.  Rules:

* **Same bytes.**  What the stream gives is byte for byte what
  :func:`~smtp_core.mail.wireform.wire_bytes` gives for the same message: the
  base64 lines are those of the ``email`` package's content manager
  (``max_line_length // 4 * 3`` bytes a line, 76 characters under the SMTP
  policy), and everything around them is ``wire_bytes`` of the message
  with each file body stood in for by one marker line.
* **Whole when asked.**  Anything else that reads the part
  (``as_bytes``, ``get_content``, DKIM, S/MIME) gets the whole body, read
  from the file then, exactly as if it had been read when composing.
* **The file is checked twice.**  When composing (:meth:`FileSource.check`:
  it opens, it is a regular file, its size) and again when the stream is
  opened, before MAIL: a file that is gone, another file in its place
  (another inode), or one whose size or modification time changed, is a
  :class:`~smtp_core.errors.ComposeError` naming the key (never the path:
  a path can come from a user, and what exists on the disk is not theirs
  to learn).  A file that shrinks while it is being sent
  is an ``OSError`` mid-DATA: the connection is dropped without the end of
  data, so no truncated message is delivered.

>>> base64_lines(b"hello", 57, b"\\r\\n")
b'aGVsbG8=\\r\\n'
>>> len(base64_lines(bytes(57 * 3), 57, b"\\r\\n")) == encoded_size(57 * 3, 57, 2)
True
"""

from __future__ import annotations

import binascii
import copy
import email.message
import functools
import hashlib
import os
import secrets
import stat
import struct

from ..protocol.dotstuff import BEGIN_LINE
from ..errors import ComposeError
from .wireform import wire_bytes

__all__ = ["FileSource", "FilePart", "WireStream", "wire_stream", "base64_lines", "encoded_size"]

LINES_PER_CHUNK = 1024  # base64 lines read, encoded and handed out at a time (57 KiB of file)


def base64_lines(data: bytes, per_line: int, newline: bytes) -> bytes:
    """``data`` in base64, ``per_line`` bytes (a multiple of 3) to a line,
    each line ended by ``newline``: the content manager's layout."""
    if not data:
        return b""
    encoded = binascii.b2a_base64(data, newline=False)
    width = per_line // 3 * 4
    full = len(encoded) // width
    # struct cuts the full lines apart in C, LINES_PER_CHUNK at a time (a
    # Python loop of slices costs about five times as much, and one Struct
    # for a whole big file is slower again: its lines leave the CPU's cache).
    blocks = []
    for first in range(0, full, LINES_PER_CHUNK):
        lines = min(LINES_PER_CHUNK, full - first)
        blocks.append(newline.join(_line_cutter(width, lines).unpack_from(encoded, first * width)))
    if len(encoded) > full * width:
        blocks.append(encoded[full * width:])
    return newline.join(blocks) + newline


@functools.lru_cache(maxsize=16)
def _line_cutter(width: int, lines: int) -> struct.Struct:
    """A Struct that unpacks ``lines`` lines of ``width`` bytes each."""
    return struct.Struct("%ds" % width * lines)


def encoded_size(size: int, per_line: int, newline: int) -> int:
    """The length of :func:`base64_lines` for ``size`` bytes, without encoding them."""
    lines, rest = divmod(size, per_line)
    full = lines * (per_line // 3 * 4 + newline)
    return full + ((rest + 2) // 3 * 4 + newline if rest else 0)


class FileSource:
    """A file on disk named by a message's key (``where`` and ``key`` are
    for errors: ``body[1]`` and ``:path``)."""

    __slots__ = ("path", "where", "key", "size", "stamp")

    def __init__(self, path, where: str, key: str) -> None:
        self.path, self.where, self.key = path, where, key
        self.size = self.stamp = None

    def _failure(self, reason: str) -> ComposeError:
        return ComposeError("%s: cannot read the file given as %s (%s)" % (self.where, self.key, reason))

    def _open(self) -> tuple[int, os.stat_result]:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except (OSError, ValueError) as err:  # ValueError: a NUL in the path
            raise self._failure(getattr(err, "strerror", None) or "not a file name") from None
        try:
            return fd, os.fstat(fd)
        except OSError as err:
            os.close(fd)
            raise self._failure(err.strerror) from None

    def check(self) -> bool:
        """Open the file once; ``True`` when it is a regular file (then
        streamed), ``False`` for anything else (a pipe: read it whole now)."""
        fd, st = self._open()
        os.close(fd)
        if not stat.S_ISREG(st.st_mode):
            return False
        self.size, self.stamp = st.st_size, _stamp(st)
        return True

    def open(self) -> int:
        """A descriptor of the file, which must be as it was when checked."""
        fd, st = self._open()
        if _stamp(st) != self.stamp:
            os.close(fd)
            raise self._failure("it changed after the message was composed")
        return fd

    def read_all(self) -> bytes:
        """The whole file, opened and read once (for a pipe, or a reader that needs it all)."""
        fd, st = self._open()
        try:
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read()
        except OSError as err:
            raise self._failure(err.strerror) from None
        finally:
            os.close(fd)
        if self.stamp is not None and (len(data), _stamp(st)) != (self.size, self.stamp):
            raise self._failure("it changed after the message was composed")
        return data


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    """What says a file is the one checked: the same file (device and
    inode: not another one renamed over it), the same size and
    modification time."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class FilePart(email.message.MIMEPart):
    """A base64 part whose body is read from ``source`` when it is needed.

    Composition sets its headers with an empty body; ``get_payload`` gives
    the whole body (from the file) to whoever asks, and a stand-in copy
    made by :func:`wire_stream` gives its marker line instead.
    """

    def __init__(self, source: FileSource, policy=None) -> None:
        super().__init__(policy=policy)
        self.source = source
        self.marker: str | None = None

    @property
    def per_line(self) -> int:
        return (self.policy.max_line_length or 76) // 4 * 3

    def get_payload(self, i=None, decode=False):
        if i is not None:
            return super().get_payload(i, decode)
        if self.marker is not None:
            return self.marker
        data = self.source.read_all()
        return data if decode else base64_lines(data, self.per_line, b"\n").decode("ascii")


def _stand_in(part: email.message.Message, files: list, token: str) -> email.message.Message:
    """``part`` with every FilePart under it copied with a marker for a body
    (``files`` collects them); containers are copied, nothing is changed."""
    if isinstance(part, FilePart):
        stand = copy.copy(part)
        stand.marker = "=_file_%d_%s\n" % (len(files), token)  # "=_" never starts a base64 line
        files.append(part)
        return stand
    if not part.is_multipart():
        return part
    children = [_stand_in(child, files, token) for child in part.get_payload()]
    if all(new is old for new, old in zip(children, part.get_payload())):
        return part
    container = copy.copy(part)
    container.set_payload(children)
    return container


class WireStream:
    """A message's wire bytes as a binary file: the parts around the files
    from memory, each file encoded as it is read.  ``size`` is the total;
    ``identity`` is equal for two streams of the same bytes (the same
    message, its files unchanged), so what is computed from the bytes (a
    DKIM body hash) can be kept by it."""

    def __init__(self, pieces: list[bytes], files: list[FilePart], newline: bytes) -> None:
        self._queue: list = []
        self._fds: list[int] = []
        self._newline = newline
        self.encoded_lines = False  # whether the last chunk read was a file's base64 lines
        self.size = sum(map(len, pieces)) + sum(encoded_size(f.source.size, f.per_line, len(newline))
                                                  for f in files)
        self.identity = _identity(pieces, files, newline)
        try:
            for piece, part in zip(pieces, files):
                self._fds.append(part.source.open())
                self._queue += [piece, (part, len(self._fds) - 1)]
        except BaseException:
            self.close()
            raise
        self._queue.append(pieces[-1])
        self._queue.reverse()
        self._offset = 0  # in the file being read

    def encoder(self, inner):
        """A DATA encoder for this stream: ``inner`` (a
        :class:`~smtp_core.protocol.dotstuff.DotEncoder` or ``CRLFDotEncoder``) for
        the parts around the files; a file's base64 chunks, whole CRLF lines
        none of which starts with a dot, pass as they are (scanning them
        would change nothing)."""
        return _StreamEncoder(self, inner)

    def prepend(self, data: bytes) -> None:
        """Put ``data`` (headers, such as a DKIM-Signature) before what is left."""
        self._queue.append(data)
        self.size += len(data)

    def read(self, size: int = -1) -> bytes:
        """The next chunk (of whatever length), ``b""`` at the end; ``size`` is not heeded."""
        while self._queue:
            item = self._queue[-1]
            if isinstance(item, bytes):
                self._queue.pop()
                if item:
                    self.encoded_lines = False
                    return item
                continue
            part, index = item
            want = min(part.per_line * LINES_PER_CHUNK, part.source.size - self._offset)
            data = os.pread(self._fds[index], want, self._offset) if want else b""
            if len(data) < want:
                self.close()
                raise OSError("%s: the file given as %s became shorter while it was being sent"
                              % (part.source.where, part.source.key))
            self._offset += want
            if self._offset >= part.source.size:
                self._queue.pop()
                self._offset = 0
                os.close(self._fds[index])
                self._fds[index] = -1
            if data:
                self.encoded_lines = True
                return base64_lines(data, part.per_line, self._newline)
        return b""

    def close(self) -> None:
        """Close the files still open (the stream is done with)."""
        for index, fd in enumerate(self._fds):
            if fd >= 0:
                os.close(fd)
                self._fds[index] = -1
        self._queue = []

    def __del__(self) -> None:
        self.close()


def _identity(pieces: list[bytes], files: list[FilePart], newline: bytes) -> tuple:
    """What makes a stream's bytes what they are, without reading its files:
    every byte around the files (a digest), and each file's layout and
    :func:`_stamp`, which :meth:`FileSource.open` has just checked."""
    around = hashlib.sha256(newline)
    for piece in pieces:
        around.update(b"%d:" % len(piece))
        around.update(piece)
    return around.digest(), tuple((part.per_line, part.source.stamp) for part in files)


class _StreamEncoder:
    """See :meth:`WireStream.encoder`."""

    __slots__ = ("stream", "inner")

    def __init__(self, stream: WireStream, inner) -> None:
        self.stream, self.inner = stream, inner

    @property
    def state(self) -> int:
        return self.inner.state

    def encode(self, data: bytes) -> bytes:
        # A file's lines always follow a part's blank line: the encoder is
        # at a line start, nothing held, and stays there.
        if self.stream.encoded_lines and self.inner.state == BEGIN_LINE:
            return data
        return self.inner.encode(data)

    def finish(self) -> bytes:
        return self.inner.finish()


def wire_stream(msg: email.message.Message, smtputf8: bool | None = None) -> WireStream | None:
    """``msg``'s :func:`~smtp_core.mail.wireform.wire_bytes` as a :class:`WireStream`,
    its files opened (and checked) now; ``None`` when it has no :class:`FilePart`."""
    if not any(isinstance(part, FilePart) for part in msg.walk()):
        return None
    files: list[FilePart] = []
    token = secrets.token_hex(8)
    skeleton = wire_bytes(_stand_in(msg, files, token), smtputf8)
    pieces = []
    rest = skeleton
    for index in range(len(files)):
        before, _, rest = rest.partition(b"=_file_%d_%s\r\n" % (index, token.encode()))
        pieces.append(before)
    pieces.append(rest)
    return WireStream(pieces, files, b"\r\n")
