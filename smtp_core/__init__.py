"""smtp_core: an SMTP client engine that behaves like Go's net/smtp, byte for byte.

The map.  Rules without I/O, in two packages shared by every front end:

========================  ===============================================
:mod:`.protocol`          SMTP's rules (package; no socket or ssl import)
``  .reply``              reading replies (textproto's rules, size caps)
``  .commands``           command lines (CR/LF check), EHLO parsing
``  .dotstuff``           DATA encoding (Go's DotWriter)
``  .lineends``           bare CR and LF made CRLF (the Pythonic layer's
                          defence against SMTP smuggling)
``  .auth``               mechanisms and the AUTH exchange
:mod:`.gocompat`          Go's texts and rules (package)
``  .goformat``           Go's string quoting and case mapping
``  .gobase64``           Go's base64, with Go's error positions
``  .netaddr``            Go's address rules (``host:port``, dial targets)
``  .neterror``           Go's ``net.OpError`` texts for I/O failures
``  .gomail``             Go's ``net/mail`` addresses and RFC 2047 words
``  .godate``             Go's ``mail.ParseDate``
``  .gomessage``          Go's ``mail.ReadMessage``
:mod:`.errors`            every error, the send layer's, composition's
                          and DKIM's included; :data:`~.errors.FAILURES`
========================  ===============================================

Over them, one module or package per topic:

========================  ===============================================
:mod:`.transport`         the socket: sends, whole replies, TLS upgrade,
                          deadlines (the one owner of a timeout)
:mod:`.client`            the Go-semantics :class:`Client` (one method per
                          command), :func:`dial`, :func:`send_mail`
:mod:`.clientstate`       what a client learns of its connection (EHLO,
                          AUTH list, TLS, authenticated), both drivers'
:mod:`.steps`             conversations as generators of I/O steps, run
                          by either driver (the blocking runner here)
:mod:`.tls`               :class:`TLSConfig`, Go's ConnectionState
:mod:`.netconn`           Go's ``net.Conn`` over a socket
:mod:`.tlsconn`           Go's ``tls.Conn`` (``tls.Dial``)
:mod:`.wirelog`           the wire log (``logging``)
:mod:`.mail`              composition (package; no I/O but reading files):
``  .options``            the map reader shared by compose and signing
``  .compose``            :func:`message` (real mail from a map, on the
                          ``email`` package) and :func:`envelope`
``  .mailaddr``           addresses and message ids in headers (A-labels)
``  .wireform``           a message object as it goes on the wire (Bcc
                          removed, headers checked) and its header envelope
``  .fileparts``          file attachments streamed when sent
``  .signing``            :func:`dkim_sign`, :class:`DKIMSigner` (dkimpy)
``  .smime``              S/MIME signing and encryption (``cryptography``)
:mod:`.pythonic`          the Pythonic layer (package), by topic:
``  .api``                :func:`send`, :func:`send_many`, :func:`connect`,
                          :func:`dial_tls`, :func:`prepare`
``  .options``            every keyword option, declared once
``  .session``            what the layer keeps of one connection
``  .tlspolicy``          ``tls=`` values and their TLS settings
``  .timeouts``           :class:`Timeouts`, RFC 5321's table
``  .addresses``          addresses and host names on the wire (IDNA 2008)
``  .capabilities``       what the server offers (SIZE, the EHLO profile)
``  .envelope``           the SMTP envelope (MAIL FROM, RCPT TO) only
``  .message``            message input, encoding, SIZE
``  .outgoing``           one message ready, and how far it got
``  .pipeline``           the pipelined or lockstep conversation
``  .result``             :class:`SendResult`
:mod:`.aio`               the Pythonic layer on asyncio (package): the same
                          functions as coroutines, :class:`~.aio.Pool`; an
                          asyncio transport and client under them
:mod:`.devserver`         the dev server (package; never imported by the
                          engine)
========================  ===============================================

:mod:`.lineends` is the old name of :mod:`.protocol.lineends`, kept because
the Go namespace's documentation tells callers to use
``smtp_core.lineends.crlf``.

Errors are exceptions here; the Hy namespace ``go-std.net.smtp`` turns
them into Go-style returned values.
"""

from .protocol.auth import (
    Auth,
    AuthExchange,
    CramMD5Auth,
    LoginAuth,
    OAuthBearerAuth,
    PlainAuth,
    ServerInfo,
    XOAuth2Auth,
    choose_auth,
)
from .client import Client, DataWriter, dial, send_mail
from .mail.compose import Envelope, MailObject, envelope, message
from .errors import (
    AuthError,
    Base64Error,
    HelloError,
    LineError,
    ProtocolError,
    ReplyError,
    ReplyTooLong,
    ServerClosed,
    SMTPError,
    StageTimeout,
    TLSRequiredError,
    TLSSetupError,
    BatchAborted,
    ComposeError,
    DKIMError,
    EnvelopeError,
    HeaderError,
    MessageNotSent,
    MessageRefused,
    MessageTooLarge,
    RefusedAt,
    RecipientsRefused,
    SendError,
)
from .pythonic import (
    RFC5321_TIMEOUTS,
    TLS_POLICIES,
    SendResult,
    Timeouts,
    connect,
    dial_tls,
    prepare,
    send,
    send_many,
)
from .mail.signing import DKIMSigner, dkim_sign
from .tls import ConnectionState, TLSConfig

__version__ = "0.1.0"

__all__ = [
    "Auth", "AuthExchange", "CramMD5Auth", "LoginAuth", "OAuthBearerAuth", "PlainAuth", "ServerInfo",
    "XOAuth2Auth", "choose_auth",
    "Client", "DataWriter", "dial", "send_mail",
    "AuthError", "Base64Error", "HelloError", "LineError", "ProtocolError", "ReplyError", "ReplyTooLong",
    "ServerClosed", "SMTPError", "StageTimeout", "TLSRequiredError", "TLSSetupError",
    "ConnectionState", "TLSConfig",
    "connect", "dial_tls", "prepare", "send", "send_many", "SendResult", "Timeouts", "RFC5321_TIMEOUTS",
    "TLS_POLICIES",
    "SendError", "RecipientsRefused", "MessageRefused", "MessageTooLarge", "EnvelopeError", "HeaderError",
    "MessageNotSent", "BatchAborted", "RefusedAt",
    "message", "envelope", "MailObject", "Envelope", "ComposeError", "dkim_sign", "DKIMSigner", "DKIMError",
]
