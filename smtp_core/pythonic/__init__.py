"""The Pythonic layer: bounded waits, TLS policies and a one-call :func:`send`.

The Go-named API (:class:`~smtp_core.client.Client` and the Hy namespace
``go-std.net.smtp``) stays exactly Go.  This module adds, over the same
engine, what Go's net/smtp leaves to its users:

* **Timeouts everywhere.**  Every wait has a bound, RFC 5321's by default
  (see :class:`Timeouts`); a timeout raises
  :class:`~smtp_core.errors.StageTimeout`, whose ``stage`` names the step
  ("connect", "greeting", "EHLO", "MAIL", "RCPT", "DATA", "DATA end", ...).
* **TLS policies.**  ``tls="opportunistic"`` (Go's: STARTTLS when offered),
  ``"required"`` (no STARTTLS, no session: fails before any credential or
  envelope is sent), ``"none"``, or ``"implicit"`` (TLS from the first byte,
  port 465; :func:`dial_tls`).  Certificates and host names are verified
  unless ``verify=False``; ``server_name=`` names the server when you
  connect to an IP address.
* **One call to send a message** (:func:`send`) to many recipients, with
  PIPELINING when the server offers it, SIZE, SMTPUTF8 and IDNA, a result
  per recipient, and a client left ready for the next message whatever
  happened to this one.
* **One call to send many** (:func:`send_many`) over one connection,
  pipelining across messages: one round trip per message, a result or an
  error per message, a refused message never stopping the next.

Python::

    from smtp_core import send, PlainAuth

    result = send("mail.example.com:587", "me@example.com",
                  ["you@example.com", "them@example.org"],
                  b"Subject: hi\\r\\n\\r\\nhello\\r\\n",
                  auth=PlainAuth("", "me", "secret", "mail.example.com"),
                  tls="required")
    result.accepted            # ['you@example.com', ...]
    result.refused             # {'them@example.org': ReplyError(550, ...)}

Hy::

    (import smtp-core)
    (setv r (smtp-core.send "127.0.0.1:2525" "me@example.com" ["you@example.com"]
                            b"Subject: hi\\r\\n\\r\\nhello\\r\\n" :tls "none"))

Many messages over one connection::

    results = send_many("127.0.0.1:2525",
                        (("me@example.com", [to], msg) for to, msg in outbox),
                        tls="none")

or, with a connection kept open between calls::

    with connect("127.0.0.1:2525", tls="none") as client:
        for msg in messages:
            send(client, "me@example.com", ["you@example.com"], msg)
        client.quit()

One topic per module:

========================  ===================================================
:mod:`.api`               the public functions: connect, dial_tls, prepare,
                          send, send_many
:mod:`.options`           :class:`Options`: every keyword option declared
                          once (name, type, default, doc, who takes it);
                          the public functions' signatures come from it
:mod:`.session`           :class:`Session` (what the layer keeps of one
                          connection beyond the client's own state: TLS
                          policy applied, timeouts, the server's profile)
:mod:`.tlspolicy`         ``tls=`` values and the TLS settings they use
:mod:`.timeouts`          :class:`Timeouts`, RFC 5321's table, stage bounds
:mod:`.addresses`         addresses and host names on the wire: IDNA 2008,
                          characters that cannot go on a command line
:mod:`.capabilities`      :class:`ServerProfile`: what the server offers,
                          worked out once per EHLO
:mod:`.envelope`          the SMTP envelope only (MAIL FROM, RCPT TO):
                          from arguments or headers, IDNA, SMTPUTF8
:mod:`.message`           message input (bytes, files, EmailMessage),
                          encoding, SIZE
:mod:`.outgoing`          :class:`Outgoing`: one message checked and
                          encoded, and how far it got (a state enum)
:mod:`.pipeline`          the conversation: pipelined or lockstep, windows,
                          refusals, RSET, body blocks
:mod:`.result`            :class:`SendResult`
:mod:`.steps`             the conversations yield their I/O as steps; the
                          blocking driver runs them, :mod:`smtp_core.aio`
                          awaits the same ones
========================  ===================================================

The errors of this layer (:class:`~smtp_core.errors.SendError` and its
subclasses) live with every other error in :mod:`smtp_core.errors`.

See ``docs/pythonic.md`` for the guide.
"""

from __future__ import annotations

from ..errors import (
    BatchAborted,
    EnvelopeError,
    HeaderError,
    MessageNotSent,
    MessageRefused,
    MessageTooLarge,
    RecipientsRefused,
    SendError,
)
from .api import connect, dial_tls, prepare, send, send_many
from .session import Session
from .options import Options
from .result import SendResult
from .timeouts import RFC5321_TIMEOUTS, Timeouts
from .tlspolicy import TLS_POLICIES

#: The former name of :class:`Session`.
Mailer = Session

__all__ = [
    "Timeouts",
    "RFC5321_TIMEOUTS",
    "TLS_POLICIES",
    "connect",
    "dial_tls",
    "prepare",
    "send",
    "send_many",
    "SendResult",
    "Options",
    "Session",
    "Mailer",
    "SendError",
    "RecipientsRefused",
    "MessageRefused",
    "MessageTooLarge",
    "EnvelopeError",
    "HeaderError",
    "MessageNotSent",
    "BatchAborted",
]
