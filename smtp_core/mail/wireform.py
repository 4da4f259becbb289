"""A message object in the form it goes on the wire, and the envelope its headers give.

One owner for both, used by :func:`smtp_core.envelope` (composition, the
Go-named path) and by :func:`smtp_core.send` (the Pythonic layer).  No I/O.

Rules:

* **Hidden headers.**  ``Bcc`` and ``Resent-Bcc`` never go on the wire; the
  caller's message is left as it was (a shallow copy loses them).
* **One header stays one header.**  Python's folding splits a header at
  every line break ``str.splitlines`` knows (U+2028 among them), so a
  compat32 ``Message``, or one parsed from text, can carry a Subject that
  goes out as a Subject and a Bcc (CVE-2024-6923).  Header text is checked
  before folding and again after: a line break that is not a fold, or a
  header name that is not printable ASCII, is a :class:`HeaderError`.  A
  compat32 ``Header`` object, and non-ASCII text where the message is not
  SMTPUTF8, go out RFC 2047-encoded (the stdlib's ``SMTP`` policy raises on
  both).
* **Addresses and message ids** in headers go out as
  :mod:`smtp_core.mail.mailaddr` says: a non-ASCII domain as its A-labels (never
  an encoded word inside an addr-spec); the message has UTF-8 headers
  (SMTPUTF8) when an address header has a non-ASCII local part.
* **Lines.**  CRLF only and at most 998 bytes before the CRLF (RFC 5322,
  2.1.1); anything else is a :class:`ComposeError`.
* **Envelope from headers.**  Sender, else From; every address of To, Cc
  and Bcc, once each, in order.  With one block of ``Resent-`` headers
  (RFC 5322, 3.6.6) those are used instead, as ``smtplib`` does; two
  blocks are ambiguous and refused.

>>> from email.message import EmailMessage
>>> m = EmailMessage()
>>> m["From"], m["To"], m["Bcc"], m["Subject"] = "a@example.com", "b@example.com", "c@example.com", "hi"
>>> m.set_content("hello")
>>> header_envelope(m)
('a@example.com', ['b@example.com', 'c@example.com'])
>>> b"Bcc" in wire_bytes(m)
False
"""

from __future__ import annotations

import copy
import email.header
import email.message
import email.policy
import email.utils
import re

from ..errors import ComposeError, EnvelopeError, HeaderError
from ..gocompat.goformat import go_quote
from .mailaddr import ADDRESS_HEADERS, envelope_address, fold_address_list, smtputf8_address, wire_header

__all__ = ["wire_bytes", "header_envelope", "smtputf8_header", "HIDDEN_HEADERS"]

HIDDEN_HEADERS = ("Bcc", "Resent-Bcc")  # the recipients must not see these

# What ``str.splitlines`` ends a line at (and so what Python's header
# folding does): only CR, LF or CRLF before a space or a tab continue a
# header (a fold); anything else would start a new header line.
_LINE_BREAK = re.compile("\r\n(?![ \t])|\r(?![\n \t])|[\n\v\f\x1c-\x1e\x85\u2028\u2029](?![ \t])")
_FIELD_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322's ftext
#: A control character no header may hold: C0 but TAB, DEL and C1 (CR and LF
#: are line breaks, judged by :data:`_LINE_BREAK` where they fold).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # an 8-bit header byte, as the parser keeps it
_LONG_LINE = re.compile(rb"^[^\r\n]{999}", re.M)  # a search, not a split: no line list for 10 MiB


class _HeaderSafePolicy(email.policy.EmailPolicy):
    """The ``SMTP`` policy, refusing a header that would become more than one."""

    def fold_binary(self, name, value):
        if not _FIELD_NAME.fullmatch(name):
            raise HeaderError("smtp: the header name %s is not printable ASCII without a colon" % go_quote(name))
        if isinstance(value, email.header.Header):
            value = self.header_factory(name, str(value))
        elif not hasattr(value, "name"):  # text as set on a compat32 Message, or as parsed
            _check_header_text(name, value)
            if not (self.utf8 or value.isascii() or _ESCAPED_BYTE.search(value)):
                value = self.header_factory(name, "".join(value.splitlines()))
        _check_controls(name, str(value))  # as the reader will see it: an encoded word decodes to it
        value = wire_header(name, value, self.utf8)
        folded = super().fold_binary(name, value)
        if name.lower() in ADDRESS_HEADERS:
            folded = fold_address_list(name, value, folded, super().fold_binary)
        _check_header_text(name, folded[:-len(self.linesep)].decode("utf-8", "surrogateescape"))
        return folded


def _check_header_text(name: str, text: str) -> None:
    bad = _LINE_BREAK.search(text)
    if bad is not None:
        raise HeaderError("smtp: the %s header holds a line break (U+%04X) that would start another header; "
                          "remove it (an EmailMessage refuses it when the header is set)"
                          % (name, ord(bad.group()[0])))
    _check_controls(name, text)


def _check_controls(name: str, text: str) -> None:
    control = CONTROL_CHARACTER.search(text)
    if control is not None:  # a NUL or ESC would reach the reader: receivers cut or misread the header
        raise HeaderError("smtp: the %s header holds the control character U+%04X; a header may hold TAB "
                          "but no other control character" % (name, ord(control.group())))


_SMTP_POLICY = _HeaderSafePolicy(linesep="\r\n")
_SMTPUTF8_POLICY = _HeaderSafePolicy(linesep="\r\n", utf8=True)


def wire_bytes(msg: email.message.Message, smtputf8: bool | None = None) -> bytes:
    """``msg`` as it goes on the wire: without Bcc and Resent-Bcc, every
    header checked, CRLF only, lines of at most 998 bytes.

    Serialised like ``email.policy.SMTPUTF8`` when ``smtputf8`` is true
    (by default: when an address header has a non-ASCII local part, which
    only SMTPUTF8 can carry), else like ``email.policy.SMTP``.  Raises
    :class:`HeaderError` for a header that would become more than one, and
    :class:`ComposeError` for a bare CR or LF, an over-long line, or an
    address or message id that cannot go out (naming it).
    """
    hidden = [name for name in HIDDEN_HEADERS if name in msg]
    if hidden:
        # A shallow copy: deleting a header rebuilds only the copy's header list.
        msg = copy.copy(msg)
        for name in hidden:
            del msg[name]
    if smtputf8 is None:
        smtputf8 = smtputf8_header(msg) is not None
    data = msg.as_bytes(policy=_SMTPUTF8_POLICY if smtputf8 else _SMTP_POLICY)
    lines = data.count(b"\n")
    if data.count(b"\r") != lines or data.count(b"\r\n") != lines:
        raise ComposeError("envelope: the serialised message has a bare CR or LF")
    long_line = _LONG_LINE.search(data)
    if long_line is not None:
        start = data.rfind(b"\n", 0, long_line.start()) + 1
        raise ComposeError("envelope: a line of more than 998 bytes starts %r" % data[start:start + 40])
    return data


def header_envelope(msg: email.message.Message) -> tuple[str | None, list]:
    """``(sender, recipients)`` that ``msg``'s headers give: the first
    address of Sender, else of From (``None`` if neither has one), and
    every address of To, Cc and Bcc, once each, in order; their
    ``Resent-`` forms when the message has one block of them.  A non-ASCII
    domain comes back as its A-labels (an :class:`EnvelopeError` names an
    address whose domain cannot go on the wire)."""
    blocks = len(msg.get_all("Resent-Date") or [])
    if blocks > 1:
        raise EnvelopeError("smtp: the message has %d blocks of Resent- headers; "
                            "pass sender= and recipients=" % blocks)
    prefix = "Resent-" if blocks else ""
    sender = _first_address(msg, prefix + "Sender") or _first_address(msg, prefix + "From")
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in msg.get_all(prefix + name) or []]
    recipients = dict.fromkeys(envelope_address(a) for _, a in email.utils.getaddresses(values) if a)
    return sender, list(recipients)


def _first_address(msg: email.message.Message, name: str) -> str | None:
    for _, address in email.utils.getaddresses([str(v) for v in msg.get_all(name) or []]):
        if address:
            return envelope_address(address)
    return None



def smtputf8_header(msg: email.message.Message) -> tuple[str, str] | None:
    """``(header name, address)`` when a header that goes on the wire holds
    an address with a non-ASCII local part: then only UTF-8 headers over
    SMTPUTF8 can carry ``msg``."""
    return smtputf8_address(msg, HIDDEN_HEADERS)
