r"""One message of a batch, checked and encoded, and how far it got: :class:`Outgoing`.

Rules of this module:

* :func:`outgoing` does everything that can refuse a message before a
  byte of it is sent (the rules of :mod:`.message`: input, envelope,
  SMTPUTF8, DKIM, line ends, SIZE), so a message that cannot go costs
  nothing on the wire;
* while a message is in flight its entry in the batch's results is its
  :class:`Outgoing`, whose ``state`` (a :class:`Flight`) says how far it
  got; the conversation (:mod:`.pipeline`) moves it on, and replaces the
  entry with the message's result or error when its last reply is read;
* only :attr:`Flight.ENDED` counts as "the server may have it": a failure
  before the end of data was written leaves a message certainly not sent.

>>> from smtp_core.pythonic.capabilities import ServerProfile
>>> server = ServerProfile({"SIZE": "100"})
>>> out = outgoing(("a@example.com", ["b@example.com"], b"hi\r\n"), server)
>>> out.commands
[b'MAIL FROM:<a@example.com> SIZE=4\r\n', b'RCPT TO:<b@example.com>\r\n', b'DATA\r\n']
>>> out.wire, out.size, out.state
(b'hi\r\n.\r\n', 4, <Flight.READY: 'ready'>)
>>> outgoing(("a@example.com", ["b@example.com"], b"x" * 200), server)
Traceback (most recent call last):
smtp_core.errors.MessageTooLarge: smtp: message of 202 bytes exceeds the server's SIZE limit of 100 bytes
"""

from __future__ import annotations

import email.message
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, BinaryIO

from ..errors import MessageTooLarge
from ..gocompat.goformat import go_quote
from ..mail.fileparts import WireStream, wire_stream
from ..mail.signing import sign_all, sign_stream
from ..mail.wireform import smtputf8_header, wire_bytes
from ..protocol.commands import mail_command
from ..protocol.dotstuff import CRLFDotEncoder, DotEncoder
from .envelope import envelope_from_headers, require_smtputf8
from .message import NOT_TEXT, encode_whole, file_size, read_chunk

if TYPE_CHECKING:
    from .capabilities import ServerProfile

__all__ = ["Flight", "Outgoing", "outgoing"]


class Flight(Enum):
    """How far a message in flight got."""

    READY = "ready"  # checked and encoded; its envelope may be on the wire, its end of data is not
    ENDED = "ended"  # its end of data was written: the server may have accepted it


@dataclass(slots=True, eq=False)
class Outgoing:
    """One message checked and encoded (see the module's rules).

    ``rcpts`` are its recipients (each once, in order); ``commands`` are
    MAIL, the RCPTs and DATA, ``pipelined`` the same joined (written at
    once with PIPELINING); ``wire`` the
    encoded body with its end mark and ``size`` its RFC 1870 size, or, for
    a file, ``stream``, its ``first`` chunk and the ``encoder`` its chunks
    go through (``size`` is known once it was sent).  ``slot`` is its
    index in the batch's results, ``state`` how far it got.
    """

    rcpts: list[str]
    commands: list[bytes]
    pipelined: bytes
    wire: bytes | None
    size: int | None
    stream: BinaryIO | WireStream | None
    first: bytes
    encoder: object | None
    slot: int = -1
    state: Flight = Flight.READY


def outgoing(item, server: ServerProfile, normalize_line_ends: bool = True, signers: tuple = ()) -> Outgoing:
    """Check, sign (with ``signers``) and encode one message of a batch;
    raise what :func:`~smtp_core.send` would.

    ``normalize_line_ends``: every bare CR and bare LF of the message
    becomes CRLF (see :mod:`smtp_core.protocol.lineends`); ``False`` sends the bytes
    as Go's DotWriter would.
    """
    if isinstance(item, (tuple, list)):
        if len(item) != 3:
            raise TypeError("smtp: a message must be (sender, recipients, message) or an EmailMessage, "
                            "got a sequence of %d items" % len(item))
        sender, recipients, message = item
    elif isinstance(item, email.message.Message):
        sender = recipients = None
        message = item
    else:
        raise TypeError("smtp: a message must be (sender, recipients, message) or an EmailMessage, got %s"
                        % type(item).__name__)

    data = stream = mime = None
    if type(message) is bytes:
        data = message
    elif isinstance(message, (bytes, bytearray, memoryview)):
        data = bytes(message)
    elif isinstance(message, email.message.Message):
        mime = message
        sender, recipients = envelope_from_headers(mime, sender, recipients)
    elif hasattr(message, "read"):
        stream = message
    elif isinstance(message, str):
        raise TypeError(NOT_TEXT + "; encode the text first")
    else:
        raise TypeError(NOT_TEXT + ", got %s" % type(message).__name__)
    if sender is None or recipients is None:
        raise TypeError("smtp: sender and recipients are required unless the message is an EmailMessage")
    rcpts, smtputf8, wire_sender, rcpt_lines = server.wire_envelope(sender, recipients)
    if mime is not None:
        utf8_header = None if smtputf8 else smtputf8_header(mime)
        if utf8_header is not None:
            # Only the headers need it (a Reply-To, say): UTF-8 headers, and SMTPUTF8 for them.
            require_smtputf8("the %s address %s" % (utf8_header[0], go_quote(utf8_header[1])), server.extensions)
            smtputf8 = True
        # A composed message's file attachments are read as they are sent
        # (smtp_core.mail.fileparts); signed, they are read twice: once for the
        # body hash, once to send.
        stream = wire_stream(mime, smtputf8)
        if stream is None:
            data = wire_bytes(mime, smtputf8)
        elif signers:
            signatures = sign_stream(iter(stream.read, b""), signers, stream.identity)
            stream.close()  # read to its end, or only its headers when the body's hash was known
            stream = wire_stream(mime, smtputf8)
            stream.prepend(signatures)
    if signers and not isinstance(stream, WireStream):
        if stream is not None:
            data = b"".join(iter(lambda: read_chunk(stream), b""))
            stream = None
        data = sign_all(data, signers)

    if data is not None:
        wire, size = encode_whole(data, normalize_line_ends)
        declared = size
    else:
        wire = size = None
        # A message file's size is an estimate, as RFC 1870 allows.
        declared = stream.size if isinstance(stream, WireStream) else file_size(stream)
    limit = server.size_limit
    if declared is not None and limit is not None and limit < declared:
        if isinstance(stream, WireStream):
            stream.close()
        raise MessageTooLarge(declared, limit)
    mail_line = mail_command(wire_sender, server.extensions, size=declared, smtputf8=smtputf8)
    # Read last, once nothing else can refuse the message: a text-mode file
    # fails here, before MAIL, and a refused message leaves the file unread.
    first = read_chunk(stream) if stream is not None else b""
    encoder = None if stream is None else CRLFDotEncoder() if normalize_line_ends else DotEncoder()
    if isinstance(stream, WireStream):
        encoder = stream.encoder(encoder)
    commands = [mail_line, *rcpt_lines, b"DATA\r\n"]
    return Outgoing(rcpts, commands, b"".join(commands), wire, size, stream, first, encoder)
