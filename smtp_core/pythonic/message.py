"""Messages ready to go: the envelope, the body's encoding, the MAIL line.

Everything here is checked and built before a byte of the message is
sent, so a message that cannot go costs nothing on the wire.  Rules:

* **Input.**  A message is bytes, a file opened in binary mode (read in
  64 KiB chunks, never whole), or an ``email.message.Message`` (an
  EmailMessage or a compat32 one), serialised like the ``SMTP`` policy
  (``SMTPUTF8`` when the envelope needs it) without its Bcc and Resent-Bcc
  headers; a header that would go out as more than one is a
  :class:`~smtp_core.errors.HeaderError` (CVE-2024-6923).  A text string
  is refused: encode it first.
* **Line ends.**  Every bare CR and bare LF becomes CRLF
  (:mod:`smtp_core.lineends`; SMTP smuggling), in files across chunk
  boundaries too, then dots are stuffed; ``normalize_line_ends=False``
  gives Go's DotWriter bytes instead (a bare CR stays).
* **Envelope.**  ``sender``/``recipients`` given, or taken from a
  message's headers (Sender, else From; To, Cc and Bcc; the Resent- ones
  when there is one block of them).  Recipients are sent once each, in
  order.  Addresses are checked and their domains converted by
  :mod:`.addresses` (IDNA 2008); SMTPUTF8 is asked for only when a local
  part is not ASCII (and the server must offer it).
* **MAIL parameters** come from :func:`smtp_core.commands.mail_command`,
  the one MAIL builder: ``BODY=8BITMIME`` and ``SIZE=n`` when offered (a
  file's size is an estimate, as RFC 1870 allows), ``SMTPUTF8`` when
  needed.  A message larger than the server's SIZE limit is refused here.
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

import copy
import email.header
import email.message
import email.policy
import os
import re
import stat
from email.utils import getaddresses
from typing import TYPE_CHECKING, BinaryIO, Union

from ..commands import check_line, mail_command
from ..dotstuff import CRLFDotEncoder, DotEncoder
from ..errors import EnvelopeError, HeaderError, MessageTooLarge
from ..goformat import go_quote
from ..lineends import crlf, is_crlf
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
    if needs_utf8 is not None and "SMTPUTF8" not in extensions:
        raise EnvelopeError("smtp: %s has a non-ASCII local part, which needs SMTPUTF8, "
                            "and the server does not offer it" % go_quote(needs_utf8))
    return needs_utf8 is not None, wire[0], wire[1:]


def _first_address(values: list) -> str | None:
    for _, addr in getaddresses([str(v) for v in values]):
        if addr:
            return addr
    return None


def envelope_from_headers(msg: email.message.Message, sender, recipients):
    """``(sender, recipients)``: those given, else the message's headers':
    Sender, else From; To, Cc and Bcc; the ``Resent-`` ones instead when
    the message has one block of them (RFC 5322, section 3.6.6)."""
    prefix = ""
    if sender is None or recipients is None:
        blocks = len(msg.get_all("Resent-Date") or [])
        if blocks > 1:
            raise EnvelopeError("smtp: the message has %d blocks of Resent- headers; "
                                "pass sender= and recipients=" % blocks)
        prefix = "Resent-" if blocks else ""
    if sender is None:
        sender = (_first_address(msg.get_all(prefix + "Sender") or [])
                  or _first_address(msg.get_all(prefix + "From") or []))
        if sender is None:
            raise EnvelopeError("smtp: the message has neither %sSender nor %sFrom; pass sender=" % (prefix, prefix))
    if recipients is None:
        values = [str(v) for field in ("To", "Cc", "Bcc") for v in (msg.get_all(prefix + field) or [])]
        recipients = [addr for _, addr in getaddresses(values) if addr]
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


# What ``str.splitlines`` ends a line at (and so what Python's header
# folding does): only CR, LF or CRLF before a space or a tab continue a
# header (a fold); anything else would start a new header line.
_LINE_BREAK = re.compile("\r\n(?![ \t])|\r(?![\n \t])|[\n\v\f\x1c-\x1e\x85\u2028\u2029](?![ \t])")
_FIELD_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322's ftext
_HIDDEN = ("Bcc", "Resent-Bcc")  # headers the recipients must not see
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # an 8-bit header byte, as the parser keeps it


class _HeaderSafePolicy(email.policy.EmailPolicy):
    """The ``SMTP`` policy, refusing a header that would become more than one.

    Python's folding splits a header at every line break ``str.splitlines``
    knows, U+2028 included, so a compat32 ``Message`` (or a message parsed
    from text) can carry a Subject that goes out as a Subject and a Bcc
    (CVE-2024-6923).  Header text is checked before folding and again
    after.  A compat32 ``Header`` object, and non-ASCII text where the
    message is not SMTPUTF8, go out RFC 2047-encoded, as an EmailMessage's
    would (the ``SMTP`` policy alone raises on both).
    """

    def fold_binary(self, name, value):
        if not _FIELD_NAME.fullmatch(name):
            raise HeaderError("smtp: the header name %s is not printable ASCII without a colon" % go_quote(name))
        if isinstance(value, email.header.Header):
            value = self.header_factory(name, str(value))
        elif not hasattr(value, "name"):  # text as set on a compat32 Message, or as parsed
            _check_header_text(name, value)
            if not (self.utf8 or value.isascii() or _ESCAPED_BYTE.search(value)):
                value = self.header_factory(name, "".join(value.splitlines()))
        folded = super().fold_binary(name, value)
        _check_header_text(name, folded[:-len(self.linesep)].decode("utf-8", "surrogateescape"))
        return folded


def _check_header_text(name: str, text: str) -> None:
    bad = _LINE_BREAK.search(text)
    if bad is not None:
        raise HeaderError("smtp: the %s header holds a line break (U+%04X) that would start another header; "
                          "remove it (an EmailMessage refuses it when the header is set)"
                          % (name, ord(bad.group()[0])))


_SMTP_POLICY = _HeaderSafePolicy(linesep="\r\n")
_SMTPUTF8_POLICY = _HeaderSafePolicy(linesep="\r\n", utf8=True)


def _serialize(msg: email.message.Message, smtputf8: bool) -> bytes:
    """``msg`` as sent: its Bcc and Resent-Bcc removed, every header checked
    (:class:`_HeaderSafePolicy`), CRLF line ends; the caller's message is
    left as it was."""
    hidden = [name for name in _HIDDEN if name in msg]
    if hidden:
        # A shallow copy: deleting a header rebuilds the copy's header list
        # and leaves the caller's message as it was.
        msg = copy.copy(msg)
        for name in hidden:
            del msg[name]
    return msg.as_bytes(policy=_SMTPUTF8_POLICY if smtputf8 else _SMTP_POLICY)


def stuffed_dots(encoded: bytes, at_line_start: bool) -> int:
    """How many dots the encoder added to ``encoded``."""
    # Every line the encoder started with a dot got one more dot, and a
    # line starts after each LF (or where a chunk begins at a line start).
    return encoded.count(b"\n..") + (1 if at_line_start and encoded.startswith(b"..") else 0)


def encode_whole(data: bytes, normalize_line_ends: bool = True) -> tuple[bytes, int]:
    """A whole message's wire bytes (end mark included) and its RFC 1870 size.

    With ``normalize_line_ends`` every bare CR and bare LF becomes CRLF
    (:func:`~smtp_core.lineends.crlf`); without, the bytes are Go's
    DotWriter's (:class:`~smtp_core.dotstuff.DotEncoder`), where a bare CR
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


def outgoing(item, server: ServerProfile, normalize_line_ends: bool = True) -> Outgoing:
    """Check and encode one message of a batch; raise what :func:`~smtp_core.send` would.

    ``normalize_line_ends``: every bare CR and bare LF of the message
    becomes CRLF (see :mod:`smtp_core.lineends`); ``False`` sends the bytes
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
        data = _serialize(mime, smtputf8)

    out = Outgoing()
    if data is not None:
        out.wire, out.size = encode_whole(data, normalize_line_ends)
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
    out.encoder = None if stream is None else CRLFDotEncoder() if normalize_line_ends else DotEncoder()
    out.ended = False
    return out
