"""Messages ready to go: the envelope, the body's encoding, the MAIL line.

Everything here is checked and built before a byte of the message is
sent, so a message that cannot go costs nothing on the wire.  Rules:

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
  (:func:`smtp_core.mail.signing.sign_stream`) and once to send, so it is
  never held either.  This is the only place a message is signed.
* **Envelope.**  ``sender``/``recipients`` given, or taken from a
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
from typing import TYPE_CHECKING, BinaryIO, Union

from ..protocol.commands import check_line, mail_command
from ..protocol.dotstuff import CRLFDotEncoder, DotEncoder
from ..errors import EnvelopeError, MessageTooLarge
from ..mail.fileparts import WireStream, wire_stream
from ..gocompat.goformat import go_quote
from ..protocol.lineends import crlf, is_crlf
from ..mail.signing import sign_all, sign_stream
from ..mail.wireform import header_envelope, smtputf8_header, wire_bytes
from .addresses import wire_address

if TYPE_CHECKING:
    from .capabilities import ServerProfile

__all__ = ["Message", "Outgoing", "outgoing", "check_arguments", "encode_whole",
           "stuffed_dots", "read_chunk", "envelope_from_headers", "wire_envelope"]

CHUNK = 64 * 1024  # bytes read from a message file at a time

#: What ``message=`` accepts.
Message = Union[bytes, bytearray, memoryview, BinaryIO, email.message.Message]

_NOT_TEXT = "smtp: message must be bytes, a binary file or an EmailMessage"


# --------------------------------------------------------------------------
# The envelope
# --------------------------------------------------------------------------


def wire_envelope(sender: str, recipients: list[str], extensions: dict) -> tuple[bool, str, list[str]]:
    """``(smtputf8, sender, recipients)`` as they go on the wire (see
    :mod:`.addresses`); CR, LF and NUL are a :class:`LineError` first, as
    everywhere."""
    wire: list[str] = []
    needs_utf8 = None
    for address in [sender] + recipients:
        converted, utf8 = wire_address(check_line(address))
        wire.append(converted)
        if utf8 and needs_utf8 is None:
            needs_utf8 = address
    if needs_utf8 is not None:
        _require_smtputf8(go_quote(needs_utf8), extensions)
    return needs_utf8 is not None, wire[0], wire[1:]


def _require_smtputf8(what: str, extensions: dict) -> None:
    """Refuse ``what`` (an address with a non-ASCII local part) unless the server offers SMTPUTF8."""
    if "SMTPUTF8" not in extensions:
        raise EnvelopeError("smtp: %s has a non-ASCII local part, which needs SMTPUTF8, "
                            "and the server does not offer it" % what)


def envelope_from_headers(msg: email.message.Message, sender, recipients):
    """``(sender, recipients)``: those given, else the message's headers'
    (:func:`~smtp_core.mail.wireform.header_envelope`)."""
    if sender is None or recipients is None:
        from_sender, from_recipients = header_envelope(msg)
    if sender is None:
        sender = from_sender
        if sender is None:
            raise EnvelopeError("smtp: the message has neither Sender nor From (nor their Resent- forms); pass sender=")
    if recipients is None:
        recipients = from_recipients
    return sender, recipients


def check_arguments(sender, recipients, message) -> None:
    """Refuse what is wrong before any connection is made."""
    if isinstance(message, str):
        raise TypeError(_NOT_TEXT + "; encode the text first")
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


def _file_size(stream) -> int | None:
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


# --------------------------------------------------------------------------
# One message, ready
# --------------------------------------------------------------------------


class Outgoing:
    """One message checked and encoded, nothing of it sent yet.

    ``commands`` are MAIL, the RCPTs and DATA, ``envelope`` the same joined;
    ``wire`` the encoded body with its end mark, or ``stream``, its
    ``first`` chunk and the ``encoder`` its chunks go through for a file.  While the message is in flight its entry
    in the results is this object (``ended``: its end of data went out).
    """

    __slots__ = ("slot", "rcpts", "commands", "envelope", "wire", "stream", "first", "encoder", "size", "ended")


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
        raise TypeError(_NOT_TEXT + "; encode the text first")
    else:
        raise TypeError(_NOT_TEXT + ", got %s" % type(message).__name__)
    if sender is None or recipients is None:
        raise TypeError("smtp: sender and recipients are required unless the message is an EmailMessage")
    rcpts, smtputf8, wire_sender, rcpt_lines = server.envelope(sender, recipients)
    if mime is not None:
        utf8_header = None if smtputf8 else smtputf8_header(mime)
        if utf8_header is not None:
            # Only the headers need it (a Reply-To, say): UTF-8 headers, and SMTPUTF8 for them.
            _require_smtputf8("the %s address %s" % (utf8_header[0], go_quote(utf8_header[1])), server.extensions)
            smtputf8 = True
        # A composed message's file attachments are read as they are sent
        # (smtp_core.mail.fileparts); signed, they are read twice: once for the
        # body hash, once to send.
        stream = wire_stream(mime, smtputf8)
        if stream is None:
            data = wire_bytes(mime, smtputf8)
        elif signers:
            signatures = sign_stream(iter(stream.read, b""), signers)
            stream = wire_stream(mime, smtputf8)
            stream.prepend(signatures)
    if signers and not isinstance(stream, WireStream):
        if stream is not None:
            data = b"".join(iter(lambda: read_chunk(stream), b""))
            stream = None
        data = sign_all(data, signers)

    out = Outgoing()
    if data is not None:
        out.wire, out.size = encode_whole(data, normalize_line_ends)
        declared = out.size
    else:
        out.wire = out.size = None
        # A message file's size is an estimate, as RFC 1870 allows.
        declared = stream.size if isinstance(stream, WireStream) else _file_size(stream)
    limit = server.size_limit
    if declared is not None and limit is not None and limit < declared:
        if isinstance(stream, WireStream):
            stream.close()
        raise MessageTooLarge(declared, limit)
    mail_line = mail_command(wire_sender, server.extensions, size=declared, smtputf8=smtputf8)
    # Read last, once nothing else can refuse the message: a text-mode file
    # fails here, before MAIL, and a refused message leaves the file unread.
    out.first = read_chunk(stream) if stream is not None else b""
    out.rcpts = rcpts
    out.commands = [mail_line, *rcpt_lines, b"DATA\r\n"]
    out.envelope = b"".join(out.commands)
    out.stream = stream
    out.encoder = None if stream is None else CRLFDotEncoder() if normalize_line_ends else DotEncoder()
    if isinstance(stream, WireStream):
        out.encoder = stream.encoder(out.encoder)
    out.ended = False
    return out
