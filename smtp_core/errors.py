"""The error types of the SMTP engine.

Every error a server or a connection can cause is one of these, and its
``str`` is the text Go's ``net/smtp`` gives for the same failure, so the
Go-named namespace can hand the very same object back as an error value.

Two families, kept apart on purpose:

* :class:`SMTPError` and its subclasses: the conversation went wrong (a reply
  with an unexpected code, a malformed reply, a refused argument, an
  authentication mechanism that declined).  None of them is an ``OSError``.
* I/O failures are ``OSError`` instances (``ssl.SSLError`` included), and a
  server that hangs up is :class:`ServerClosed`, which is both a
  ``ConnectionError`` and an ``EOFError``.

The Pythonic layer's :func:`~smtp_core.send` adds :class:`SendError` and
its subclasses (a message was not sent, and why), at the end of this file;
they carry what the server answered before the failure.

Examples::

    >>> str(ReplyError(550, "5.1.1 no such user"))
    '550 "5.1.1 no such user"'
    >>> str(ProtocolError('short response: "25"'))
    'short response: "25"'
"""

from __future__ import annotations

from enum import Enum

from .gocompat.goformat import go_quote

__all__ = [
    "SMTPError",
    "ReplyError",
    "ProtocolError",
    "LineError",
    "HelloError",
    "AuthError",
    "Base64Error",
    "TLSRequiredError",
    "ReplyTooLong",
    "ServerClosed",
    "StageTimeout",
    "TLSSetupError",
    "FAILURES",
    "SendError",
    "RecipientsRefused",
    "MessageRefused",
    "RefusedAt",
    "MessageTooLarge",
    "EnvelopeError",
    "HeaderError",
    "ComposeError",
    "DKIMError",
    "MessageNotSent",
    "BatchAborted",
]


class SMTPError(Exception):
    """A failure of the SMTP conversation itself (never an I/O error).

    Its ``repr`` shows Go's text, since a REPL shows error values by repr::

        >>> ReplyError(550, "5.1.1 no such user")
        <ReplyError: 550 "5.1.1 no such user">
    """

    def __repr__(self) -> str:
        return "<%s: %s>" % (type(self).__name__, self)


class ReplyError(SMTPError):
    """The server answered with a code the command does not accept.

    ``Code`` is the three-digit reply code and ``Msg`` the reply text, its
    lines joined by ``\\n``.  Text that was not valid UTF-8 is kept with the
    ``surrogateescape`` error handler, so ``str()`` quotes each undecodable
    byte as ``\\xNN`` exactly like Go's ``%q``.
    """

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(code, msg)
        self.Code = code
        self.Msg = msg

    # Pythonic spellings of Go's field names.
    @property
    def code(self) -> int:
        return self.Code

    @property
    def msg(self) -> str:
        return self.Msg

    @property
    def temporary(self) -> bool:
        """True for 4yz replies: trying again later may succeed."""
        return 400 <= self.Code < 500

    def __str__(self) -> str:
        return "%03d %s" % (self.Code, go_quote(self.Msg))


class ProtocolError(SMTPError):
    """A reply that breaks the reply grammar (too short, or no valid code)."""


class LineError(SMTPError, ValueError):
    """An argument would not fit on one command line (it holds CR, LF or NUL)."""


class HelloError(SMTPError):
    """``hello`` was called after the client had already greeted the server."""


class AuthError(SMTPError):
    """An authentication mechanism declined to go on, or the server offers no AUTH."""


class Base64Error(SMTPError, ValueError):
    """A server challenge was not valid standard base64."""


class TLSRequiredError(SMTPError):
    """The TLS policy demands encryption the server does not offer."""


class ReplyTooLong(SMTPError):
    """A reply line or a whole reply went past the engine's safety cap."""


class ServerClosed(ConnectionError, EOFError):
    """The server closed the connection (Go reports this as ``EOF``)."""

    def __init__(self, text: str = "EOF") -> None:
        super().__init__(text)

    def __str__(self) -> str:
        return self.args[0] if self.args else "EOF"


class StageTimeout(TimeoutError):
    """No answer within the deadline; ``stage`` names the step that waited.

    Its text names the stage and the deadline, since those deadlines are
    the engine's own (Go has none).  When the deadline was the caller's
    (a socket timeout handed to the Go-named API), ``text`` is Go's
    (``read tcp 127.0.0.1:41234->127.0.0.1:25: i/o timeout``)::

        >>> str(StageTimeout("EHLO", 30.0))
        'timed out after 30.0s waiting for EHLO'
    """

    def __init__(self, stage: str, seconds: float | None, text: str | None = None) -> None:
        super().__init__(text or "timed out after %ss waiting for %s" % (seconds, stage))
        self.stage = stage
        self.seconds = seconds

    def __str__(self) -> str:
        return self.args[0]


class TLSSetupError(OSError):
    """The TLS configuration cannot start a handshake (a TLS error, hence I/O)."""

    def __str__(self) -> str:
        return self.args[0] if self.args else "tls: configuration error"


#: What a conversation can fail with; anything else is a bug, not a failure.
FAILURES = (SMTPError, OSError)


# --------------------------------------------------------------------------
# The Pythonic layer's send errors (smtp_core.send, smtp_core.send_many)
# --------------------------------------------------------------------------


class SendError(SMTPError):
    """A message was not sent.  ``result`` (a :class:`~smtp_core.SendResult`
    or ``None``) holds what the server answered before the failure."""

    result = None


class RecipientsRefused(SendError):
    """Every recipient was refused; ``refused`` maps each one to its reply."""

    def __init__(self, result) -> None:
        self.result = result
        detail = "; ".join("%s: %s" % (go_quote(addr), err) for addr, err in self.refused.items())
        super().__init__("smtp: every recipient was refused: " + detail)

    @property
    def refused(self) -> dict[str, ReplyError]:
        return self.result.refused if self.result is not None else {}

    @property
    def temporary(self) -> bool:
        """True when every refusal was temporary (4yz): trying later may work."""
        refused = self.refused
        return bool(refused) and all(err.temporary for err in refused.values())


class RefusedAt(str, Enum):
    """The command whose reply refused a message (:attr:`MessageRefused.stage`).

    Each member *is* its string (a ``str`` subclass with the same text,
    hash and format), so code written against the plain strings keeps
    working::

        >>> RefusedAt.DATA_END == "DATA end", "%s" % RefusedAt.MAIL, {"RCPT": 1}[RefusedAt.RCPT]
        (True, 'MAIL', 1)
        >>> RefusedAt("DATA") is RefusedAt.DATA
        True
    """

    MAIL = "MAIL"
    RCPT = "RCPT"  # only a 421, which ends the session
    DATA = "DATA"
    DATA_END = "DATA end"

    __str__ = str.__str__
    __format__ = str.__format__
    __hash__ = str.__hash__  # the text's hash, whatever Enum.__hash__ does on this Python


class MessageRefused(ReplyError, SendError):
    """The server refused the message at ``stage``, a :class:`RefusedAt`
    (MAIL, DATA or the end of data; RCPT too for a 421, which ends the
    session) that compares equal to its text (``stage == "DATA end"``);
    ``Code``/``Msg`` are its reply, ``result`` the recipients'."""

    def __init__(self, code: int, msg: str, stage: RefusedAt | str, result=None) -> None:
        super().__init__(code, msg)
        self.stage = RefusedAt(stage)  # a misspelt stage is a ValueError here, not a surprise later
        self.result = result

    def __str__(self) -> str:
        return "smtp: %s refused: %s" % (self.stage, ReplyError.__str__(self))


class MessageTooLarge(SendError):
    """The message is larger than the server's advertised SIZE limit (nothing was sent)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("smtp: message of %d bytes exceeds the server's SIZE limit of %d bytes" % (size, limit))
        self.size = size
        self.limit = limit


class EnvelopeError(SendError, ValueError):
    """The envelope cannot be sent as given (nothing was sent)."""


class ComposeError(ValueError):
    """A message cannot be made or serialised as asked; the text names the
    key, value, path or line (:mod:`smtp_core.mail.compose`, :mod:`smtp_core.mail.wireform`)."""


class DKIMError(ValueError):
    """A DKIM signature cannot be made as asked; the text names the setting
    (:mod:`smtp_core.mail.signing`)."""


class HeaderError(SendError, ValueError):
    """A header of the message would not reach the server as the one
    header it is: a line break in it would start another (nothing was sent)."""


class MessageNotSent(SendError):
    """The batch of :func:`~smtp_core.send_many` stopped before this message was done.

    ``error`` (also ``__cause__``) is the I/O error or timeout that stopped
    it.  ``uncertain`` is True when the whole message, end of data included,
    had gone out: the server may have accepted it before the connection
    failed, so check before sending it again.  Otherwise it was not
    delivered.
    """

    def __init__(self, error: BaseException, uncertain: bool) -> None:
        self.error = error
        self.uncertain = uncertain
        self.__cause__ = error
        what = "may have been delivered (its reply never came)" if uncertain else "not sent"
        super().__init__("smtp: message %s: %s" % (what, error))


class BatchAborted(SendError):
    """:func:`~smtp_core.send_many` stopped early; ``error`` (also ``__cause__``) says why.

    ``results`` has one entry per message taken from the iterable, in order:
    a :class:`~smtp_core.SendResult`, the message's error, or
    :class:`MessageNotSent` for the messages in flight.  Messages the
    iterable still holds were not taken.  After an I/O error or a timeout
    the connection is closed; after an error raised by the iterable itself
    it is still usable.
    """

    def __init__(self, results: list, error: BaseException) -> None:
        self.results = results
        self.error = error
        sent = sum(1 for entry in results if not isinstance(entry, BaseException))
        super().__init__("smtp: batch stopped after %d of %d messages were accepted: %s"
                         % (sent, len(results), error))

    @property
    def not_sent(self) -> list[int]:
        """Indexes (in ``results``) of the messages the batch did not finish."""
        return [i for i, entry in enumerate(self.results) if isinstance(entry, MessageNotSent)]
