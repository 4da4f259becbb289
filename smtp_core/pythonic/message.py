"""Messages ready to go: their input and the body's encoding.

Everything here is checked and built before a byte of the message is
sent, so a message that cannot go costs nothing on the wire; the
envelope is :mod:`.envelope`'s, the message put together
(:class:`~.outgoing.Outgoing`, with its MAIL line) :mod:`.outgoing`'s.
Rules of the whole preparation:

* **Input.**  A message is bytes, a file opened in binary mode (read in
  64 KiB chunks, never whole), or an ``email.message.Message`` (an
  EmailMessage or a compat32 one), serialised by
  :func:`smtp_core.mail.wireform.wire_bytes` (the ``SMTP`` policy, ``SMTPUTF8``
  when the envelope needs it) without its Bcc and Resent-Bcc headers; a header that would go out as more than one is a
  :class:`~smtp_core.errors.HeaderError` (CVE-2024-6923).  A composed
  message's file attachments are read from their files as the message
  is sent (:func:`smtp_core.mail.fileparts.wire_stream`: the same bytes, the
  files checked again before MAIL).  A text string
  is refused: encode it first.
* **Line ends.**  Every bare CR and bare LF becomes CRLF
  (:mod:`smtp_core.protocol.lineends`; SMTP smuggling), in files across chunk
  boundaries too, then dots are stuffed; ``normalize_line_ends=False``
  gives Go's DotWriter bytes instead (a bare CR stays).
* **DKIM.**  With signers (``dkim=``), what goes on the wire is exactly
  the signed bytes: the message as above (a message file read whole),
  then signed by :func:`smtp_core.mail.signing.sign_all`; a composed message
  with file attachments is streamed twice instead, once for the body hash
  (:func:`smtp_core.mail.signing.sign_stream`, which keeps the hashes of
  the last few such messages: the same one sent again is hashed once) and
  once to send, so it is never held either.  This is the only place a
  message is signed.
* **Envelope** (:mod:`.envelope`).  ``sender``/``recipients`` given, or taken from a
  message's headers (:func:`smtp_core.mail.wireform.header_envelope`: Sender,
  else From; To, Cc and Bcc; the Resent- ones when there is one block).  Recipients are sent once each, in
  order.  Addresses are checked and their domains converted by
  :mod:`.addresses` (IDNA 2008); SMTPUTF8 is asked for only when a local
  part is not ASCII (and the server must offer it).
* **MAIL parameters** come from :func:`smtp_core.protocol.commands.mail_command`,
  the one MAIL builder: ``BODY=8BITMIME`` and ``SIZE=n`` when offered (a
  file's size is an estimate, as RFC 1870 allows), ``SMTPUTF8`` when
  needed: when an envelope address, or an address in a header that goes
  on the wire, has a non-ASCII local part (RFC 6531, 6532); a server
  without SMTPUTF8 then gets no MAIL (an :class:`EnvelopeError` names the
  address and the extension).  A message larger than the server's SIZE
  limit is refused here.
* **Size** is RFC 1870's: CRLF line ends, no stuffed dots, no end mark.

>>> encode_whole(b"hi\\r\\n")
(b'hi\\r\\n.\\r\\n', 4)
>>> encode_whole(b".x\\n")
(b'..x\\r\\n.\\r\\n', 4)
>>> encode_whole(b"a\\r.\\rb")
(b'a\\r\\n..\\r\\nb\\r\\n.\\r\\n', 9)
>>> encode_whole(b"a\\r.\\rb", normalize_line_ends=False)
(b'a\\r.\\rb\\r\\n.\\r\\n', 7)
"""

from __future__ import annotations

import email.message
import os
import stat
from typing import BinaryIO

from ..protocol.commands import check_line
from ..protocol.dotstuff import DotEncoder
from ..protocol.lineends import crlf, is_crlf
from .addresses import wire_address

__all__ = ["Message", "check_arguments", "encode_whole", "stuffed_dots", "read_chunk", "file_size", "NOT_TEXT"]

CHUNK = 64 * 1024  # bytes read from a message file at a time

#: What ``message=`` accepts.
Message = bytes | bytearray | memoryview | BinaryIO | email.message.Message

NOT_TEXT = "smtp: message must be bytes, a binary file or an EmailMessage"


# --------------------------------------------------------------------------
# The arguments
# --------------------------------------------------------------------------


def check_arguments(sender, recipients, message) -> None:
    """Refuse what is wrong before any connection is made."""
    if isinstance(message, str):
        raise TypeError(NOT_TEXT + "; encode the text first")
    if sender is not None:
        wire_address(check_line(sender))
    if recipients is not None:
        for recipient in [recipients] if isinstance(recipients, str) else recipients:
            wire_address(check_line(recipient))


# --------------------------------------------------------------------------
# The body
# --------------------------------------------------------------------------


def stuffed_dots(encoded: bytes, at_line_start: bool) -> int:
    """How many dots the encoder added to ``encoded``."""
    # Every line the encoder started with a dot got one more dot, and a
    # line starts after each LF (or where a chunk begins at a line start).
    # Most chunks hold no dot at all (a file's base64 lines never do): one
    # memchr says so, where the count would scan for "\n.." (50 times slower).
    if b"." not in encoded:
        return 0
    return encoded.count(b"\n..") + (1 if at_line_start and encoded.startswith(b"..") else 0)


def encode_whole(data: bytes, normalize_line_ends: bool = True) -> tuple[bytes, int]:
    """A whole message's wire bytes (end mark included) and its RFC 1870 size.

    With ``normalize_line_ends`` every bare CR and bare LF becomes CRLF
    (:func:`~smtp_core.protocol.lineends.crlf`); without, the bytes are Go's
    DotWriter's (:class:`~smtp_core.protocol.dotstuff.DotEncoder`), where a bare CR
    stays.  Either way, text already in CRLF costs a few scans: only its
    dots and its end change.
    """
    if normalize_line_ends:
        data = crlf(data)
    elif not is_crlf(data):
        encoder = DotEncoder()
        wire = encoder.encode(data) + encoder.finish()
        return wire, len(wire) - 3 - stuffed_dots(wire, True)
    # Every line end is CRLF now: stuff the dots, end the last line, add the mark.
    size = len(data) if data.endswith(b"\r\n") else len(data) + 2
    if b"\n." in data:
        data = data.replace(b"\n.", b"\n..")
    if data.startswith(b"."):
        data = b"." + data
    if data.endswith(b"\r\n"):
        return data + b".\r\n", size
    return data + b"\r\n.\r\n", size


def file_size(stream) -> int | None:
    """Bytes left in ``stream``, when that is knowable without reading it."""
    try:
        st = os.fstat(stream.fileno())
        if stat.S_ISREG(st.st_mode):
            return max(st.st_size - stream.tell(), 0)
    except (OSError, AttributeError, ValueError):
        pass
    try:
        if stream.seekable():
            here = stream.tell()
            end = stream.seek(0, os.SEEK_END)
            stream.seek(here)
            return max(end - here, 0)
    except (OSError, AttributeError, ValueError):
        pass
    return None


def read_chunk(stream) -> bytes:
    """The next chunk of a message file, which must give bytes."""
    chunk = stream.read(CHUNK)
    if type(chunk) is bytes:
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    if isinstance(chunk, str):
        raise TypeError("smtp: the message file must be opened in binary mode ('rb')")
    raise TypeError("smtp: the message file's read() returned %s, not bytes" % type(chunk).__name__)
