"""The SMTP envelope, and only it: who a message is from and to, as MAIL FROM and RCPT TO carry it.

RFC 5321 (section 2.3.1) splits a mail object into its envelope (the
originator and recipient addresses) and its content; this module owns
the envelope of the Pythonic layer.  Rules:

* **Where it comes from.**  ``sender``/``recipients`` as given, else the
  message's headers (:func:`smtp_core.mail.wireform.header_envelope`:
  Sender, else From; To, Cc and Bcc; the Resent- ones when there is one
  block).  A message without a sender is an
  :class:`~smtp_core.errors.EnvelopeError`.
* **On the wire.**  Recipients are sent once each, in the order given; an
  empty list is refused.  Every address is checked (CR, LF and NUL are a
  ``LineError`` first, as everywhere) and its domain converted by
  :mod:`.addresses` (IDNA 2008); SMTPUTF8 is needed only when a local
  part is not ASCII, and then the server must offer it.
* The result is a :class:`WireEnvelope`; the server's profile
  (:class:`~.capabilities.ServerProfile`) keeps those it built.

>>> e = wire_envelope("a@example.com", ["b@bücher.example", "b@bücher.example"], {})
>>> e.recipients, e.smtputf8, e.sender, e.rcpt_lines
(['b@bücher.example'], False, 'a@example.com', [b'RCPT TO:<b@xn--bcher-kva.example>\\r\\n'])
>>> wire_envelope("jörg@example.com", ["b@example.com"], {})
Traceback (most recent call last):
smtp_core.errors.EnvelopeError: smtp: "jörg@example.com" has a non-ASCII local part, which needs SMTPUTF8, and the server does not offer it
"""

from __future__ import annotations

import email.message
from typing import NamedTuple

from ..errors import EnvelopeError
from ..gocompat.goformat import go_quote
from ..mail.wireform import header_envelope
from ..protocol.commands import check_line, rcpt_command
from .addresses import wire_address

__all__ = ["WireEnvelope", "wire_envelope", "envelope_from_headers", "require_smtputf8"]


class WireEnvelope(NamedTuple):
    """One envelope as it goes on the wire: ``recipients`` (each once, in
    order, as given), whether it needs ``smtputf8``, the ``sender`` in wire
    form and one RCPT line per recipient."""

    recipients: list[str]
    smtputf8: bool
    sender: str
    rcpt_lines: list[bytes]


def wire_envelope(sender: str, recipients, extensions: dict) -> WireEnvelope:
    """``sender`` and ``recipients`` (a list, or one address) checked and put
    in wire form for a server offering ``extensions``."""
    rcpts = [recipients] if isinstance(recipients, str) else list(dict.fromkeys(recipients))
    if not rcpts:
        raise EnvelopeError("smtp: no recipients")
    wire: list[str] = []
    needs_utf8 = None
    for address in [sender] + rcpts:
        converted, utf8 = wire_address(check_line(address))
        wire.append(converted)
        if utf8 and needs_utf8 is None:
            needs_utf8 = address
    if needs_utf8 is not None:
        require_smtputf8(go_quote(needs_utf8), extensions)
    return WireEnvelope(rcpts, needs_utf8 is not None, check_line(wire[0]), [rcpt_command(r) for r in wire[1:]])


def require_smtputf8(what: str, extensions: dict) -> None:
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
