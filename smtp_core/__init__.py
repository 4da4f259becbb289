"""smtp_core: an SMTP client engine that behaves like Go's net/smtp, byte for byte.

The protocol rules are pure, I/O-free modules, testable without a network
and shared by every front end:

========================  ===============================================
:mod:`.reply`             reading replies (textproto's rules, size caps)
:mod:`.commands`          command lines (CR/LF check), EHLO parsing
:mod:`.dotstuff`          DATA encoding (Go's DotWriter)
:mod:`.auth`              mechanisms and the AUTH exchange
:mod:`.goformat`          Go's string quoting and case mapping
:mod:`.gobase64`          Go's base64, with Go's error positions
========================  ===============================================

Over them: :mod:`.transport` (socket, TLS upgrade, deadlines),
:mod:`.client` (the Go-semantics :class:`Client`, :func:`dial`,
:func:`send_mail`), :mod:`.session` (the Pythonic :func:`send` and
:func:`send_many` with pipelining and TLS policies), :mod:`.compose`
(:func:`message` and :func:`envelope`: real mail from a map),
:mod:`.signing` (:func:`dkim_sign`, through dkimpy), :mod:`.wirelog` and
:mod:`.devserver`.

Errors are exceptions here; the Hy namespace ``go-std.net.smtp`` turns
them into Go-style returned values.
"""

from .auth import (
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
from .compose import ComposeError, Envelope, envelope, message
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
)
from .session import (
    RFC5321_TIMEOUTS,
    TLS_POLICIES,
    BatchAborted,
    EnvelopeError,
    MessageNotSent,
    MessageRefused,
    MessageTooLarge,
    RecipientsRefused,
    SendError,
    SendResult,
    Timeouts,
    connect,
    dial_tls,
    prepare,
    send,
    send_many,
)
from .signing import DKIMError, DKIMSigner, dkim_sign
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
    "SendError", "RecipientsRefused", "MessageRefused", "MessageTooLarge", "EnvelopeError",
    "MessageNotSent", "BatchAborted",
    "message", "envelope", "Envelope", "ComposeError", "dkim_sign", "DKIMSigner", "DKIMError",
]
