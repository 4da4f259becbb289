"""Messages ready to go: the envelope, the body's encoding, the MAIL line.

Everything here is checked and built before a byte of the message is
sent, so a message that cannot go costs nothing on the wire.  Rules:

* **Input.**  A message is bytes (line ends become CRLF, dots are
  stuffed), a file opened in binary mode (read in 64 KiB chunks, never
  whole), or an ``email.message.Message`` (one from
  :func:`smtp_core.message` included), serialised by
  :func:`smtp_core.compose.wire_bytes`: the ``SMTP`` policy (``SMTPUTF8``
  when the envelope needs it), without its Bcc and Resent-Bcc headers.  A
  text string is refused: encode it first.
* **DKIM.**  With signers (``dkim=``), what goes on the wire is exactly
  the signed bytes: the message as above (a file read whole, since a
  signature covers all of it), then signed by
  :func:`smtp_core.signing.sign_all`.  This is the only place a message
  is signed.
* **Envelope.**  ``sender``/``recipients`` given, or taken from an
  EmailMessage's headers (:func:`smtp_core.compose.header_envelope`:
  Sender, else From; To, Cc and Bcc).  Recipients are sent once each, in
  order.  SMTPUTF8 is asked for only when a local
  part is not ASCII (and the server must offer it); otherwise non-ASCII
  domains become IDNA A-labels.
* **MAIL parameters** come from :func:`smtp_core.commands.mail_command`,
  the one MAIL builder: ``BODY=8BITMIME`` and ``SIZE=n`` when offered (a
  file's size is an estimate, as RFC 1870 allows), ``SMTPUTF8`` when
  needed.  A message larger than the server's SIZE limit is refused here.
* **Size** is RFC 1870's: CRLF line ends, no stuffed dots, no end mark.

>>> encode_whole(b"hi\\r\\n")
(b'hi\\r\\n.\\r\\n', 4)
>>> encode_whole(b".x\\n")
(b'..x\\r\\n.\\r\\n', 4)
>>> ServerProfile({"SIZE": "10"}).size_limit
10
"""

from __future__ import annotations

import email.message
import os
import stat
from typing import BinaryIO, Union

from ..commands import check_line, mail_command, rcpt_command
from ..compose import header_envelope, wire_bytes
from ..dotstuff import DotEncoder
from ..errors import EnvelopeError, MessageTooLarge
from ..goformat import go_quote
from ..signing import sign_all

__all__ = ["Message", "ServerProfile", "Outgoing", "outgoing", "check_arguments", "encode_whole",
           "stuffed_dots", "read_chunk", "envelope_from_headers"]

CHUNK = 64 * 1024  # bytes read from a message file at a time

#: What ``message=`` accepts.
Message = Union[bytes, bytearray, memoryview, BinaryIO, email.message.Message]

_NOT_TEXT = "smtp: message must be bytes, a binary file or an EmailMessage"


# --------------------------------------------------------------------------
# The envelope
# --------------------------------------------------------------------------


def _local_part_is_ascii(address: str) -> bool:
    return address.rpartition("@")[0].isascii() if "@" in address else address.isascii()


def _idna_address(address: str) -> str:
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise EnvelopeError("smtp: the domain of %s cannot be converted to IDNA: %s" % (go_quote(address), err)) from None
    return local + "@" + ascii_domain


def _wire_envelope(sender: str, recipients: list[str], extensions: dict) -> tuple[bool, str, list[str]]:
    """``(smtputf8, sender, recipients)`` as they go on the wire."""
    if sender.isascii() and all(r.isascii() for r in recipients):
        return False, sender, recipients
    needs_utf8 = [a for a in [sender] + recipients if not _local_part_is_ascii(a)]
    if needs_utf8:
        if "SMTPUTF8" not in extensions:
            raise EnvelopeError("smtp: %s has a non-ASCII local part, which needs SMTPUTF8, "
                                "and the server does not offer it" % go_quote(needs_utf8[0]))
        return True, sender, recipients
    return False, _idna_address(sender), [_idna_address(r) for r in recipients]


def envelope_from_headers(msg: email.message.Message, sender, recipients):
    """``(sender, recipients)``: those given, else the message's headers'."""
    from_sender, from_recipients = header_envelope(msg)
    if sender is None:
        sender = from_sender
        if sender is None:
            raise EnvelopeError("smtp: the message has neither Sender nor From; pass sender=")
    if recipients is None:
        recipients = from_recipients
    return sender, recipients


class ServerProfile:
    """What sending needs to know of the server, worked out once per EHLO,
    and the envelopes already built (the same sender and recipients tend to
    come back message after message)."""

    __slots__ = ("extensions", "size_limit", "envelopes")

    def __init__(self, extensions: dict) -> None:
        self.extensions = extensions
        limit = extensions.get("SIZE", "")
        self.size_limit = int(limit) if limit.isdigit() and int(limit) > 0 else None
        # (sender, recipients) -> (unique recipients, smtputf8, wire sender, RCPT lines)
        self.envelopes: dict = {}

    def envelope(self, sender: str, recipients) -> tuple:
        """``(recipients, smtputf8, wire sender, RCPT lines)``, checked."""
        key = (sender, recipients if isinstance(recipients, str) else tuple(recipients))
        known = self.envelopes.get(key)
        if known is None:
            rcpts = [recipients] if isinstance(recipients, str) else list(dict.fromkeys(key[1]))
            if not rcpts:
                raise EnvelopeError("smtp: no recipients")
            smtputf8, wire_sender, wire_rcpts = _wire_envelope(sender, rcpts, self.extensions)
            known = (rcpts, smtputf8, check_line(wire_sender), [rcpt_command(r) for r in wire_rcpts])
            if len(self.envelopes) >= 256:
                self.envelopes.clear()
            self.envelopes[key] = known
        return known


def check_arguments(sender, recipients, message) -> None:
    """Refuse what is wrong before any connection is made."""
    if isinstance(message, str):
        raise TypeError(_NOT_TEXT + "; encode the text first")
    if sender is not None:
        check_line(sender)
    if recipients is not None:
        for recipient in [recipients] if isinstance(recipients, str) else recipients:
            check_line(recipient)


# --------------------------------------------------------------------------
# The body
# --------------------------------------------------------------------------


def stuffed_dots(encoded: bytes, at_line_start: bool) -> int:
    """How many dots the encoder added to ``encoded``."""
    # Every line the encoder started with a dot got one more dot, and a
    # line starts after each LF (or where a chunk begins at a line start).
    return encoded.count(b"\n..") + (1 if at_line_start and encoded.startswith(b"..") else 0)


def encode_whole(data: bytes) -> tuple[bytes, int]:
    """A whole message's wire bytes (end mark included) and its RFC 1870 size.

    Most messages already have CRLF line ends and no line that starts with a
    dot: then only the end mark changes, which costs a few scans instead of
    the encoder's rewriting passes.  Anything else goes through
    :class:`~smtp_core.dotstuff.DotEncoder`.
    """
    lf = data.count(b"\n")
    if (data and data.count(b"\r") == lf and data.count(b"\r\n") == lf
            and data[0] != 0x2E and b"\n." not in data):
        if data[-1] == 0x0A:
            return data + b".\r\n", len(data)
        return data + b"\r\n.\r\n", len(data) + 2
    encoder = DotEncoder()
    wire = encoder.encode(data) + encoder.finish()
    return wire, len(wire) - 3 - stuffed_dots(wire, True)


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
    ``wire`` the encoded body with its end mark, or ``stream`` and its
    ``first`` chunk for a file.  While the message is in flight its entry
    in the results is this object (``ended``: its end of data went out).
    """

    __slots__ = ("slot", "rcpts", "commands", "envelope", "wire", "stream", "first", "size", "ended")


def outgoing(item, server: ServerProfile, signers: tuple = ()) -> Outgoing:
    """Check, sign (with ``signers``) and encode one message of a batch;
    raise what :func:`~smtp_core.send` would."""
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
        data = wire_bytes(mime, smtputf8)
    if signers:
        if stream is not None:
            data = b"".join(iter(lambda: read_chunk(stream), b""))
            stream = None
        data = sign_all(data, signers)

    out = Outgoing()
    if data is not None:
        out.wire, out.size = encode_whole(data)
        declared = out.size
    else:
        out.wire = out.size = None
        declared = _file_size(stream)  # an estimate, as RFC 1870 allows
    limit = server.size_limit
    if declared is not None and limit is not None and limit < declared:
        raise MessageTooLarge(declared, limit)
    mail_line = mail_command(wire_sender, server.extensions, size=declared, smtputf8=smtputf8)
    # Read last, once nothing else can refuse the message: a text-mode file
    # fails here, before MAIL, and a refused message leaves the file unread.
    out.first = read_chunk(stream) if stream is not None else b""
    out.rcpts = rcpts
    out.commands = [mail_line, *rcpt_lines, b"DATA\r\n"]
    out.envelope = b"".join(out.commands)
    out.stream = stream
    out.ended = False
    return out
