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

See ``docs/pythonic.md`` for the guide.
"""

from __future__ import annotations

import copy
import email.message
import email.policy
import itertools
import math
import os
import socket
import ssl
import stat
import weakref
from dataclasses import dataclass, fields, replace
from email.utils import getaddresses
from typing import BinaryIO, Iterable, Sequence, Union

from . import wirelog
from .auth import Auth, choose_auth
from .client import FAILURES, Client, split_host_port
from .client import connect as _open_socket
from .commands import check_line, encode_line, rcpt_command
from .dotstuff import BEGIN, BEGIN_LINE, DotEncoder
from .errors import AuthError, ReplyError, SMTPError, StageTimeout, TLSRequiredError
from .goformat import go_quote
from .tls import TLSConfig

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
    "SendError",
    "RecipientsRefused",
    "MessageRefused",
    "MessageTooLarge",
    "EnvelopeError",
    "MessageNotSent",
    "BatchAborted",
]

#: The accepted values of ``tls=``.
TLS_POLICIES = ("opportunistic", "required", "none", "implicit")

_CHUNK = 64 * 1024  # bytes read from a message file at a time
_BLOCK = 1 << 20  # bytes of encoded message per write (each gets the block timeout)
_WINDOW = 32 * 1024  # bytes of pipelined commands written before reading replies


# --------------------------------------------------------------------------
# Timeouts
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeouts:
    """How long each step may wait, in seconds.

    The defaults are RFC 5321's (section 4.5.3.2) where it gives one:
    greeting 5 min, MAIL 5 min, RCPT 5 min, DATA initiation 2 min, each
    data block 3 min, DATA termination (the reply to the final dot) 10 min.
    For the commands it does not list (EHLO, STARTTLS and its handshake,
    AUTH, RSET, NOOP, QUIT) ``command`` uses 5 min, the server's own idle
    timeout.  ``connect`` (TCP, and the TLS handshake of :func:`dial_tls`
    uses ``command``) is 30 s, a common MTA default: RFC 5321 gives none.

    Each reply must arrive *whole* within its time (a server sending one
    byte a minute cannot stretch it).  A timeout closes the connection.

    >>> Timeouts().data_end
    600.0
    >>> Timeouts.uniform(5).rcpt
    5.0
    """

    connect: float = 30.0
    greeting: float = 300.0
    command: float = 300.0
    mail: float = 300.0
    rcpt: float = 300.0
    data: float = 120.0
    block: float = 180.0
    data_end: float = 600.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError("Timeouts.%s must be a number of seconds, got %r" % (f.name, value))
            if not (value > 0 and math.isfinite(value)):
                raise ValueError("Timeouts.%s must be a positive finite number of seconds, got %r" % (f.name, value))
            object.__setattr__(self, f.name, float(value))

    @classmethod
    def uniform(cls, seconds: float) -> "Timeouts":
        """The same bound for every step."""
        return cls(*([seconds] * len(fields(cls))))


#: RFC 5321's recommended timeouts (the default everywhere in this module).
RFC5321_TIMEOUTS = Timeouts()

TimeoutSpec = Union[None, float, Timeouts]
_uniform_cache: dict = {}


def _resolve_timeouts(timeout: TimeoutSpec, connect_timeout: float | None) -> Timeouts:
    """``None``: RFC 5321's table; a number: that bound for every step
    (connect included unless ``connect_timeout`` says otherwise); a
    :class:`Timeouts`: as given."""
    if timeout is None:
        table = RFC5321_TIMEOUTS
    elif isinstance(timeout, Timeouts):
        table = timeout
    else:
        table = _uniform_cache.get(timeout)
        if table is None:
            table = Timeouts.uniform(timeout)
            if len(_uniform_cache) < 64:
                _uniform_cache[timeout] = table
    if connect_timeout is not None and connect_timeout != table.connect:
        table = replace(table, connect=connect_timeout)
    return table


def _set_timeout(t, seconds: float) -> None:
    # The transport's per-reply deadline starts from the socket's timeout,
    # so both change together; skipped when unchanged (the common case).
    # With kernel timeouts the socket follows at its next send or recv.
    if t.timeout != seconds:
        t.timeout = seconds
        if not t.kernel_timeouts and not t.closed:
            t.sock.settimeout(seconds)


# --------------------------------------------------------------------------
# Errors of this layer
# --------------------------------------------------------------------------


class SendError(SMTPError):
    """A message was not sent.  ``result`` (a :class:`SendResult` or ``None``)
    holds what the server answered before the failure."""

    result: "SendResult | None" = None


class RecipientsRefused(SendError):
    """Every recipient was refused; ``refused`` maps each one to its reply."""

    def __init__(self, result: "SendResult") -> None:
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


class MessageRefused(ReplyError, SendError):
    """The server refused the message at ``stage`` ("MAIL", "DATA" or
    "DATA end"); ``Code``/``Msg`` are its reply, ``result`` the recipients'."""

    def __init__(self, code: int, msg: str, stage: str, result: "SendResult | None" = None) -> None:
        super().__init__(code, msg)
        self.stage = stage
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


class MessageNotSent(SendError):
    """The batch of :func:`send_many` stopped before this message was done.

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
    """:func:`send_many` stopped early; ``error`` (also ``__cause__``) says why.

    ``results`` has one entry per message taken from the iterable, in order:
    a :class:`SendResult`, the message's error, or :class:`MessageNotSent`
    for the messages in flight.  Messages the iterable still holds were not
    taken.  After an I/O error or a timeout the connection is closed; after
    an error raised by the iterable itself it is still usable.
    """

    def __init__(self, results: list, error: BaseException) -> None:
        self.results = results
        self.error = error
        sent = sum(1 for entry in results if type(entry) is SendResult)
        super().__init__("smtp: batch stopped after %d of %d messages were accepted: %s"
                         % (sent, len(results), error))

    @property
    def not_sent(self) -> list[int]:
        """Indexes (in ``results``) of the messages the batch did not finish."""
        return [i for i, entry in enumerate(self.results) if isinstance(entry, MessageNotSent)]


# --------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------


class SendResult:
    """What happened to one message.

    ``recipients`` maps every recipient, in the order given, to its RCPT
    reply ``(code, text)``; ``accepted`` and ``refused`` sort them.
    ``reply`` is the reply to the end of the message (``None`` if the
    message was not sent).  ``size`` is the message size as RFC 1870
    defines it: octets after line ends became CRLF, without the stuffed
    dots and without the final ``.`` line.
    """

    __slots__ = ("recipients", "reply", "size")

    def __init__(self, recipients: dict, reply: tuple[int, str] | None, size: int | None) -> None:
        self.recipients = recipients
        self.reply = reply
        self.size = size

    @property
    def accepted(self) -> list[str]:
        """Recipients the server accepted (25x), in order."""
        return [addr for addr, (code, _) in self.recipients.items() if code // 10 == 25]

    @property
    def refused(self) -> dict[str, ReplyError]:
        """Recipients the server refused, each with its reply as a :class:`ReplyError`."""
        return {addr: ReplyError(code, text) for addr, (code, text) in self.recipients.items() if code // 10 != 25}

    def __repr__(self) -> str:
        return "<SendResult %d accepted, %d refused, reply=%r, size=%r>" % (
            len(self.accepted), len(self.recipients) - len(self.accepted), self.reply, self.size)


# --------------------------------------------------------------------------
# What this layer remembers of a client
# --------------------------------------------------------------------------


class _State:
    __slots__ = ("timeouts", "prepared", "authenticated", "server")

    def __init__(self, timeouts: Timeouts) -> None:
        self.timeouts = timeouts
        self.prepared = False
        self.authenticated = False
        self.server: "_Server | None" = None  # what send() learnt of the server's extensions


# Keyed by the client itself, so a Client made anywhere (smtp_core.dial, the
# Go namespace) can be handed to send(), and nothing outlives it.
_STATES: "weakref.WeakKeyDictionary[Client, _State]" = weakref.WeakKeyDictionary()


def _state_of(client: Client, timeout: TimeoutSpec) -> _State:
    state = _STATES.get(client)
    if state is None:
        state = _STATES[client] = _State(_resolve_timeouts(timeout, None))
    return state


# --------------------------------------------------------------------------
# Connecting and preparing
# --------------------------------------------------------------------------


def _check_policy(tls: str) -> None:
    if tls not in TLS_POLICIES:
        raise ValueError("tls must be one of %s, got %r" % (", ".join(map(repr, TLS_POLICIES)), tls))


def _tls_settings(name: str, tls_config: TLSConfig | ssl.SSLContext | None, verify: bool,
                  server_name: str | None) -> TLSConfig | ssl.SSLContext:
    """The TLS settings to use: verification on, the server's name filled in."""
    if isinstance(tls_config, ssl.SSLContext):
        if not verify:
            raise ValueError("verify=False cannot change a ready SSLContext: set its verify_mode yourself")
        return tls_config
    if tls_config is None:
        tls_config = TLSConfig()
    elif not isinstance(tls_config, TLSConfig):
        raise TypeError("tls_config must be a TLSConfig or an ssl.SSLContext, got %s" % type(tls_config).__name__)
    changes: dict = {}
    if server_name:
        changes["server_name"] = server_name
    elif not tls_config.server_name:
        changes["server_name"] = name
    if not verify:
        changes["insecure_skip_verify"] = True
    return replace(tls_config, **changes) if changes else tls_config


def _server_name(host: str, tls_config, server_name: str | None) -> str:
    """The server's name: given, else the TLS configuration's, else the address's host."""
    if server_name:
        return server_name
    if isinstance(tls_config, TLSConfig) and tls_config.server_name:
        return tls_config.server_name
    return host


def _wrap_implicit(sock: socket.socket, settings, name: str, seconds: float) -> ssl.SSLSocket:
    try:
        if isinstance(settings, TLSConfig):
            settings.check()
            ctx, sni = settings.context(), settings.server_name
        else:
            ctx, sni = settings, name
        sock.settimeout(seconds)
        return ctx.wrap_socket(sock, server_hostname=sni or None)
    except socket.timeout:
        sock.close()
        raise StageTimeout("TLS handshake", seconds) from None
    except BaseException:
        sock.close()
        raise


def connect(
    address: str,
    *,
    tls: str = "opportunistic",
    tls_config: TLSConfig | ssl.SSLContext | None = None,
    verify: bool = True,
    server_name: str | None = None,
    auth: Auth | Sequence[Auth] | None = None,
    local_name: str | None = None,
    timeout: TimeoutSpec = None,
    connect_timeout: float | None = None,
    redact: bool = True,
) -> Client:
    """Connect to ``host:port``, greet, apply the TLS policy, authenticate.

    Returns a ready :class:`~smtp_core.client.Client` (a context manager;
    its Go-named methods stay available).  ``tls`` is one of
    :data:`TLS_POLICIES`; ``tls_config`` a :class:`~smtp_core.tls.TLSConfig`
    (e.g. ``TLSConfig(root_cas="ca.pem")``) or a ready ``ssl.SSLContext``;
    ``verify=False`` turns certificate and host-name checks off;
    ``server_name`` is the name the certificate must carry and the one sent
    in SNI and given to authentication, when ``address`` is an IP address
    or another name.  ``auth`` is an :class:`~smtp_core.auth.Auth`, or a list
    of them from which the strongest the server offers is picked.
    ``local_name`` is the EHLO name (``localhost`` by default, as in Go).
    ``timeout``: ``None`` for :data:`RFC5321_TIMEOUTS`, a number for every
    step, or a :class:`Timeouts`; ``connect_timeout`` bounds the TCP
    connection.  ``redact=False`` shows credentials in the wire log.

    On any failure the connection is closed and the error raised.
    """
    _check_policy(tls)
    table = _resolve_timeouts(timeout, connect_timeout)
    host, _ = split_host_port(address)
    name = _server_name(host, tls_config, server_name)
    settings = None
    if tls == "implicit":
        # Settings first: a bad CA file should cost no connection.
        settings = _tls_settings(name, tls_config, verify, server_name)
    try:
        sock, _ = _open_socket(address, table.connect)
    except socket.timeout:
        raise StageTimeout("connect", table.connect) from None
    if settings is not None:
        sock = _wrap_implicit(sock, settings, name, table.command)
    client = Client(sock, name, timeout=table.greeting, redact=redact)
    # Our own socket: the kernel can enforce the timeouts (one system call
    # per send or recv instead of a poll more, and none to change them).
    client._t.use_kernel_timeouts()
    state = _STATES[client] = _State(table)
    try:
        _prepare(client, state, tls, tls_config, verify, server_name, auth, local_name)
    except BaseException:
        _abandon(client)
        raise
    return client


def dial_tls(
    address: str,
    *,
    tls_config: TLSConfig | ssl.SSLContext | None = None,
    verify: bool = True,
    server_name: str | None = None,
    auth: Auth | Sequence[Auth] | None = None,
    local_name: str | None = None,
    timeout: TimeoutSpec = None,
    connect_timeout: float | None = None,
    redact: bool = True,
) -> Client:
    """Connect with implicit TLS (SMTPS, usually port 465): :func:`connect` with ``tls="implicit"``.

    The returned client is TLS from its first byte (``client.tls`` is True),
    so mechanisms that need an encrypted channel work at once.
    """
    return connect(address, tls="implicit", tls_config=tls_config, verify=verify, server_name=server_name,
                   auth=auth, local_name=local_name, timeout=timeout, connect_timeout=connect_timeout,
                   redact=redact)


def prepare(
    client: Client,
    *,
    tls: str = "opportunistic",
    tls_config: TLSConfig | ssl.SSLContext | None = None,
    verify: bool = True,
    server_name: str | None = None,
    auth: Auth | Sequence[Auth] | None = None,
    local_name: str | None = None,
    timeout: TimeoutSpec = None,
) -> Client:
    """Make a client you built yourself (``Client(sock, host)``, ``dial``)
    ready the way :func:`connect` does: greet, apply the TLS policy,
    authenticate.  ``timeout`` is remembered for later :func:`send` calls.
    Returns ``client``.  Errors are raised; the client is left as it is.
    """
    _check_policy(tls)
    state = _state_of(client, timeout)
    if timeout is not None:
        state.timeouts = _resolve_timeouts(timeout, None)
    _prepare(client, state, tls, tls_config, verify, server_name, auth, local_name)
    return client


def _prepare(client: Client, state: _State, tls: str, tls_config, verify: bool, server_name: str | None,
             auth, local_name: str | None) -> None:
    _set_timeout(client._t, state.timeouts.command)
    _greet(client, local_name)
    if not client.tls and tls != "none" and (tls == "required" or tls == "implicit" or not state.prepared):
        offered = client.extensions is not None and "STARTTLS" in client.extensions
        if tls == "implicit" or (tls == "required" and not offered):
            # Fail closed: say goodbye (QUIT carries nothing secret) and go.
            _quit_quietly(client)
            if tls == "implicit":
                raise TLSRequiredError("smtp: TLS policy is \"implicit\" but the connection is not TLS")
            raise TLSRequiredError("smtp: the server does not offer STARTTLS and the TLS policy is \"required\"")
        if offered:
            settings = _tls_settings(client.server_name, tls_config, verify, server_name)
            # RFC 3207: what the server said before TLS may have been forged.
            # The re-EHLO replaces the extensions; the AUTH list must not
            # survive either when the new EHLO lacks AUTH (Go keeps it).
            client.auth_mechanisms = None
            if isinstance(settings, ssl.SSLContext):
                client.starttls(settings, server_name or client.server_name)
            else:
                client.starttls(settings)
            state.authenticated = False  # the server forgets it too
    state.prepared = True
    if auth is not None and not state.authenticated:
        _authenticate(client, auth)
        state.authenticated = True


def _greet(client: Client, local_name: str | None) -> None:
    """EHLO (HELO if EHLO is refused) as ``local_name``, once."""
    if local_name is not None and not client.did_hello:
        client.local_name = check_line(local_name)
    client._hello()


def _authenticate(client: Client, auth) -> None:
    if client.extensions is None or "AUTH" not in client.extensions:
        raise AuthError("smtp: server doesn't support AUTH")
    if isinstance(auth, Auth):
        mechanism = auth
    else:
        allowed = list(auth)
        for item in allowed:
            if not isinstance(item, Auth):
                raise TypeError("auth must be an Auth or a list of Auth, got an item of type %s"
                                % type(item).__name__)
        mechanism = choose_auth(client.auth_mechanisms, allowed)
        if mechanism is None:
            raise AuthError("smtp: the server offers none of the allowed mechanisms (it offers: %s)"
                            % " ".join(client.auth_mechanisms or []))
    client.auth(mechanism)


def _quit_quietly(client: Client) -> None:
    if client.closed:
        return
    try:
        client.quit()
    except FAILURES:
        _abandon(client)


def _abandon(client: Client) -> None:
    if not client.closed:
        try:
            client.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# The envelope and the message
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


def _envelope(sender: str, recipients: list[str], extensions: dict) -> tuple[bool, str, list[str]]:
    """``(smtputf8, sender, recipients)`` as they go on the wire.

    SMTPUTF8 only when a local part is not ASCII (the server must offer it);
    otherwise non-ASCII domains become IDNA A-labels (punycode).
    """
    if sender.isascii() and all(r.isascii() for r in recipients):
        return False, sender, recipients
    addresses = [sender] + recipients
    needs_utf8 = [a for a in addresses if not _local_part_is_ascii(a)]
    if needs_utf8:
        if "SMTPUTF8" not in extensions:
            raise EnvelopeError("smtp: %s has a non-ASCII local part, which needs SMTPUTF8, "
                                "and the server does not offer it" % go_quote(needs_utf8[0]))
        return True, sender, recipients
    return False, _idna_address(sender), [_idna_address(r) for r in recipients]


def _first_address(values: list) -> str | None:
    for _, addr in getaddresses([str(v) for v in values]):
        if addr:
            return addr
    return None


def _envelope_from_headers(msg: email.message.Message, sender, recipients):
    if sender is None:
        sender = _first_address(msg.get_all("Sender") or []) or _first_address(msg.get_all("From") or [])
        if sender is None:
            raise EnvelopeError("smtp: the message has neither Sender nor From; pass sender=")
    if recipients is None:
        values = [str(v) for field in ("To", "Cc", "Bcc") for v in (msg.get_all(field) or [])]
        recipients = [addr for _, addr in getaddresses(values) if addr]
    return sender, recipients


def _serialize(msg: email.message.Message, smtputf8: bool) -> bytes:
    if "Bcc" in msg:
        # A shallow copy: deleting a header rebuilds the copy's header list
        # and leaves the caller's message as it was.
        msg = copy.copy(msg)
        del msg["Bcc"]
    return msg.as_bytes(policy=email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP)


def _stuffed_dots(encoded: bytes, at_line_start: bool) -> int:
    # Every line the encoder started with a dot got one more dot, and a
    # line starts after each LF (or where a chunk begins at a line start).
    return encoded.count(b"\n..") + (1 if at_line_start and encoded.startswith(b"..") else 0)


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


def _read_chunk(stream) -> bytes:
    chunk = stream.read(_CHUNK)
    if type(chunk) is bytes:
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    if isinstance(chunk, str):
        raise TypeError("smtp: the message file must be opened in binary mode ('rb')")
    raise TypeError("smtp: the message file's read() returned %s, not bytes" % type(chunk).__name__)


# --------------------------------------------------------------------------
# send and send_many
# --------------------------------------------------------------------------

Message = Union[bytes, bytearray, memoryview, BinaryIO, email.message.Message]


def send(
    client_or_address: Client | str,
    sender: str | None,
    recipients: Iterable[str] | str | None,
    message: Message,
    *,
    auth: Auth | Sequence[Auth] | None = None,
    tls: str = "opportunistic",
    tls_config: TLSConfig | ssl.SSLContext | None = None,
    verify: bool = True,
    server_name: str | None = None,
    local_name: str | None = None,
    timeout: TimeoutSpec = None,
    connect_timeout: float | None = None,
    quit: bool | None = None,
    pipelining: bool = True,
    redact: bool = True,
) -> SendResult:
    """Send one message to many recipients; return a :class:`SendResult`.

    ``client_or_address``: a ``"host:port"`` to connect to (with the TLS
    and auth options of :func:`connect`), or a
    :class:`~smtp_core.client.Client` to reuse, which is greeted, put under
    the TLS policy and authenticated if that has not happened yet.

    ``message``: bytes (line ends become CRLF, dots are stuffed), a file
    opened in binary mode (read in 64 KiB chunks, never whole), or an
    ``email.message.EmailMessage``, which also gives the envelope when
    ``sender``/``recipients`` are ``None`` (Sender or From; To, Cc and Bcc)
    and is sent without its Bcc header.

    On the wire: ``MAIL FROM`` with ``BODY=8BITMIME`` and ``SIZE=n`` when
    the server offers them (a message larger than the server's limit is
    refused before anything is sent), ``SMTPUTF8`` only when a local part
    needs it, IDNA for non-ASCII domains otherwise; with PIPELINING,
    MAIL, every RCPT and DATA go in one write and the body with its end in
    one more.

    Returns when the server accepted the message for at least one
    recipient; recipients it refused are in ``result.refused``.  Raises
    :class:`RecipientsRefused` when it accepted none,
    :class:`MessageRefused` when it refused MAIL, DATA or the message,
    :class:`MessageTooLarge`, :class:`EnvelopeError`, and I/O errors
    (``OSError``, :class:`~smtp_core.errors.StageTimeout`).  After a
    refusal the client has sent RSET and is ready for another message;
    after an I/O error it is closed.

    ``quit``: send QUIT at the end; by default only when this call opened
    the connection.  ``pipelining=False`` waits for each reply even when
    the server offers PIPELINING.  For many messages on one connection,
    :func:`send_many` saves a round trip per message.
    """
    _check_policy(tls)
    if isinstance(client_or_address, Client):
        client = client_or_address
        owned = False
        table = _ready(client, timeout, tls, tls_config, verify, server_name, auth, local_name)
    else:
        # Arguments that can be refused now cost no connection.
        if recipients is not None and not isinstance(recipients, str):
            recipients = list(recipients)  # may be an iterator: read it once
        _check_arguments(sender, recipients, message)
        client = connect(client_or_address, tls=tls, tls_config=tls_config, verify=verify,
                         server_name=server_name, auth=auth, local_name=local_name, timeout=timeout,
                         connect_timeout=connect_timeout, redact=redact)
        owned = True
        table = _STATES[client].timeouts
    results: list = []
    try:
        _deliver(client, table, ((sender, recipients, message),), pipelining, results)
    except BaseException:
        if owned:
            _quit_quietly(client)
        raise
    result = results[0]
    if type(result) is not SendResult:
        if owned:
            _quit_quietly(client)
        raise result
    if quit if quit is not None else owned:
        # The message is accepted: a failing QUIT must not make the caller
        # think otherwise (and send it twice).
        _set_timeout(client._t, table.command)
        _quit_quietly(client)
    return result


def send_many(
    client_or_address: Client | str,
    messages: Iterable,
    *,
    auth: Auth | Sequence[Auth] | None = None,
    tls: str = "opportunistic",
    tls_config: TLSConfig | ssl.SSLContext | None = None,
    verify: bool = True,
    server_name: str | None = None,
    local_name: str | None = None,
    timeout: TimeoutSpec = None,
    connect_timeout: float | None = None,
    quit: bool | None = None,
    pipelining: bool = True,
    redact: bool = True,
) -> list:
    """Send many messages over one connection; return one entry per message, in order.

    ``messages``: any iterable (a generator is read as the messages go, at
    most one message ahead of the one being sent) of ``(sender,
    recipients, message)`` tuples, as :func:`send` takes them, or of
    ``EmailMessage`` objects (envelope from their headers).  The other
    arguments are :func:`send`'s.

    Each entry is the message's :class:`SendResult`, or the exception
    :func:`send` would have raised for it: a :class:`SendError`
    (:class:`RecipientsRefused`, :class:`MessageRefused`,
    :class:`MessageTooLarge`, :class:`EnvelopeError`), or, for a message
    that cannot be sent as given, the ``LineError``/``TypeError`` that says
    why (nothing of it was sent).  A refused message never stops the next.

    With PIPELINING a message costs one round trip: the write that carries
    a message's body and end of data also carries the next message's
    MAIL, RCPT and DATA (RFC 2920, section 3.1).  When the reply to the
    end of data is a refusal, the next envelope is already on its way;
    RFC 5321 (section 4.1.1.4) ends the transaction with that reply
    whatever it says, so the next message starts clean without RSET.

    An I/O error or a timeout stops the batch: the connection is closed
    and :class:`BatchAborted` is raised, whose ``results`` hold an entry
    for every message taken from ``messages``; those in flight are
    :class:`MessageNotSent` (``uncertain`` when the server had the whole
    message and may have accepted it).  An exception from ``messages``
    itself also raises :class:`BatchAborted`, after the message in flight
    was finished, with the connection still usable.

    Example::

        results = send_many("127.0.0.1:2525", [
            ("me@example.com", ["you@example.com"], b"Subject: 1\\r\\n\\r\\none\\r\\n"),
            ("me@example.com", ["them@example.org"], b"Subject: 2\\r\\n\\r\\ntwo\\r\\n"),
        ], tls="none")
        failed = [r for r in results if not isinstance(r, SendResult)]
    """
    _check_policy(tls)
    items = iter(messages)
    if isinstance(client_or_address, Client):
        client = client_or_address
        owned = False
        table = _ready(client, timeout, tls, tls_config, verify, server_name, auth, local_name)
    else:
        # Nothing to send costs no connection.
        first = next(items, _END)
        if first is _END:
            return []
        items = itertools.chain((first,), items)
        client = connect(client_or_address, tls=tls, tls_config=tls_config, verify=verify,
                         server_name=server_name, auth=auth, local_name=local_name, timeout=timeout,
                         connect_timeout=connect_timeout, redact=redact)
        owned = True
        table = _STATES[client].timeouts
    results: list = []
    try:
        source_error = _deliver(client, table, items, pipelining, results)
    except FAILURES as err:
        raise BatchAborted(results, err) from err
    except BaseException:
        if owned:
            _quit_quietly(client)
        raise
    if quit if quit is not None else owned:
        _set_timeout(client._t, table.command)
        _quit_quietly(client)
    if source_error is not None:
        raise BatchAborted(results, source_error) from source_error
    return results


def _ready(client: Client, timeout: TimeoutSpec, tls: str, tls_config, verify: bool, server_name: str | None,
           auth, local_name: str | None) -> Timeouts:
    """Prepare ``client`` if this layer has not yet (or must again); return its timeouts."""
    state = _STATES.get(client)
    if (state is None or not state.prepared or (auth is not None and not state.authenticated)
            or (tls == "required" and not client.tls)):
        state = _state_of(client, timeout)
        _prepare(client, state, tls, tls_config, verify, server_name, auth, local_name)
    return state.timeouts if timeout is None else _resolve_timeouts(timeout, None)


def _check_arguments(sender, recipients, message) -> None:
    if isinstance(message, str):
        raise TypeError("smtp: message must be bytes, a binary file or an EmailMessage; encode the text first")
    if sender is not None:
        check_line(sender)
    if recipients is not None:
        for recipient in [recipients] if isinstance(recipients, str) else recipients:
            check_line(recipient)


# --------------------------------------------------------------------------
# Messages ready to go
# --------------------------------------------------------------------------

_END = object()


class _Outgoing:
    """One message checked and encoded, nothing of it sent yet.

    ``commands`` are MAIL, the RCPTs and DATA, ``envelope`` the same joined;
    ``wire`` the encoded body with its end mark, or ``stream`` and its
    ``first`` chunk for a file.  While the message is in flight its entry
    in the results is this object (``ended``: its end of data went out).
    """

    __slots__ = ("slot", "rcpts", "commands", "envelope", "wire", "stream", "first", "size", "ended")


class _Server:
    """What a batch needs to know of the server, worked out once, and the
    envelopes already built (the same sender and recipients tend to come
    back message after message)."""

    __slots__ = ("extensions", "body_8bit", "size_limit", "declare_size", "envelopes")

    def __init__(self, extensions: dict) -> None:
        self.extensions = extensions
        self.body_8bit = "8BITMIME" in extensions
        self.declare_size = "SIZE" in extensions
        limit = extensions.get("SIZE", "")
        self.size_limit = int(limit) if limit.isdigit() and int(limit) > 0 else None
        # (sender, recipients) -> (unique recipients, smtputf8, "MAIL FROM:<...>", RCPT lines)
        self.envelopes: dict = {}

    def envelope(self, sender: str, recipients) -> tuple:
        key = (sender, recipients if isinstance(recipients, str) else tuple(recipients))
        known = self.envelopes.get(key)
        if known is None:
            rcpts = [recipients] if isinstance(recipients, str) else list(dict.fromkeys(key[1]))
            if not rcpts:
                raise EnvelopeError("smtp: no recipients")
            smtputf8, wire_sender, wire_rcpts = _envelope(sender, rcpts, self.extensions)
            known = (rcpts, smtputf8, "MAIL FROM:<" + check_line(wire_sender) + ">",
                     [rcpt_command(r) for r in wire_rcpts])
            if len(self.envelopes) >= 256:
                self.envelopes.clear()
            self.envelopes[key] = known
        return known


def _encode_whole(data: bytes) -> tuple[bytes, int]:
    """A whole message's wire bytes (end mark included) and its RFC 1870 size.

    Most messages already have CRLF line ends and no line that starts with a
    dot: then only the end mark changes, which costs a few scans instead of
    the encoder's rewriting passes.  Anything else goes through
    :class:`DotEncoder`.
    """
    lf = data.count(b"\n")
    if (data and data.count(b"\r") == lf and data.count(b"\r\n") == lf
            and data[0] != 0x2E and b"\n." not in data):
        if data[-1] == 0x0A:
            return data + b".\r\n", len(data)
        return data + b"\r\n.\r\n", len(data) + 2
    encoder = DotEncoder()
    wire = encoder.encode(data) + encoder.finish()
    return wire, len(wire) - 3 - _stuffed_dots(wire, True)


def _outgoing(item, server: _Server) -> _Outgoing:
    """Check and encode one message of a batch; raise what :func:`send` would."""
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
        sender, recipients = _envelope_from_headers(mime, sender, recipients)
    elif hasattr(message, "read"):
        stream = message
    elif isinstance(message, str):
        raise TypeError("smtp: message must be bytes, a binary file or an EmailMessage; encode the text first")
    else:
        raise TypeError("smtp: message must be bytes, a binary file or an EmailMessage, got %s"
                        % type(message).__name__)
    if sender is None or recipients is None:
        raise TypeError("smtp: sender and recipients are required unless the message is an EmailMessage")
    rcpts, smtputf8, mail, rcpt_lines = server.envelope(sender, recipients)
    if mime is not None:
        data = _serialize(mime, smtputf8)

    out = _Outgoing()
    if data is not None:
        out.wire, out.size = _encode_whole(data)
        declared = out.size
    else:
        out.wire = out.size = None
        declared = _file_size(stream)  # an estimate, as RFC 1870 allows

    if server.body_8bit:
        mail += " BODY=8BITMIME"
    if declared is not None and server.declare_size:
        if server.size_limit is not None and server.size_limit < declared:
            raise MessageTooLarge(declared, server.size_limit)
        mail += " SIZE=%d" % declared
    if smtputf8:
        mail += " SMTPUTF8"
    mail_line = encode_line(mail)
    # Read last, once nothing else can refuse the message: a text-mode file
    # fails here, before MAIL, and a refused message leaves the file unread.
    out.first = _read_chunk(stream) if stream is not None else b""
    out.rcpts = rcpts
    out.commands = [mail_line, *rcpt_lines, b"DATA\r\n"]
    out.envelope = b"".join(out.commands)
    out.stream = stream
    out.ended = False
    return out


# --------------------------------------------------------------------------
# The conversation
# --------------------------------------------------------------------------


def _deliver(client: Client, table: Timeouts, items: Iterable, pipelining: bool, results: list):
    """Send every message of ``items``, appending one entry per message to ``results``.

    Returns the exception ``items`` raised, if it did (the message in
    flight was finished first), else ``None``.  An I/O error closes the
    client, turns the entries of the messages in flight into
    :class:`MessageNotSent`, and is raised.
    """
    if client._writer is not None:
        raise SMTPError("smtp: close the DATA writer before sending another command")
    extensions = client.extensions or {}
    # Worked out once per EHLO (a STARTTLS replaces the extensions).
    state = _STATES.get(client)
    server = state.server if state is not None else None
    if server is None or server.extensions is not extensions:
        server = _Server(extensions)
        if state is not None:
            state.server = server
    source = iter(items)
    source_errors: list = []

    def take() -> _Outgoing | None:
        """The next message that can be sent (its entry reserved), or None at the end."""
        while not source_errors:
            try:
                item = next(source, _END)
            except Exception as err:  # the caller's iterable failed
                source_errors.append(err)
                return None
            if item is _END:
                return None
            try:
                out = _outgoing(item, server)
            except Exception as err:  # this message cannot be sent as given
                results.append(err)
                continue
            out.slot = len(results)
            results.append(out)
            return out
        return None

    try:
        _converse(client, table, take, pipelining and "PIPELINING" in extensions, results)
    except BaseException as err:
        _abandon(client)
        for index, entry in enumerate(results):
            if type(entry) is _Outgoing:
                results[index] = MessageNotSent(err, entry.ended)
        raise
    return source_errors[0] if source_errors else None


def _converse(client: Client, table: Timeouts, take, pipelined: bool, results: list) -> None:
    """The messages' conversation: one round trip per message with ``pipelined``.

    Each message's envelope replies are read and judged; an accepted
    envelope gets its body, which (pipelined) carries the next message's
    envelope in the same write, so the reply to the end of data and the
    next envelope's replies come back together.
    """
    t = client._t
    cur = take()
    bundled = False  # whether cur's envelope went out with the previous body
    while cur is not None:
        commands = cur.commands
        count = len(commands)
        logging = wirelog.enabled()
        if bundled:
            replies = _read_replies(t, table, count, logging)
        elif not pipelined:
            replies = _exchange_lockstep(t, table, commands)
        elif len(cur.envelope) <= _WINDOW:
            if logging:
                _log_commands(t.peer, commands, "pipelining %d commands in one write" % count)
            _set_timeout(t, table.mail)
            t.send(cur.envelope, "MAIL", log=False)
            replies = _read_replies(t, table, count, logging)
        else:
            replies = _exchange_pipelined(t, table, commands)
        slot = cur.slot
        result = SendResult(dict(zip(cur.rcpts, replies[1:count - 1])), None, cur.size)

        refusal = _refusal(replies, count, result)
        if refusal is not None:
            results[slot] = refusal
            failure = _recover(client, t, table, replies, count)
            cur = take()
            if failure is not None and cur is not None:
                raise failure  # RSET failed: the connection is gone
            bundled = False
            continue

        # The body; with PIPELINING the next envelope rides along.
        nxt = take() if pipelined else None
        trailer = nxt.envelope if nxt is not None and len(nxt.envelope) <= _WINDOW else b""
        _set_timeout(t, table.block)
        sent = _send_body(t, cur, trailer)
        if cur.stream is not None:
            result.size = cur.size
        if logging:
            wirelog.log_body(t.peer, sent)
            if trailer:
                _log_commands(t.peer, nxt.commands,
                              "pipelining %d commands after the message, in the same write" % len(nxt.commands))
        _set_timeout(t, table.data_end)
        result.reply = reply = t.read_reply(0, "DATA end")
        failure = None
        if reply[0] == 250:
            results[slot] = result
        else:
            results[slot] = MessageRefused(reply[0], reply[1], "DATA end", result)
            if not trailer:
                failure = _reset(client, table)
        if not pipelined:
            nxt = take()
        if failure is not None and nxt is not None:
            raise failure  # RSET failed: the connection is gone
        cur = nxt
        bundled = bool(trailer)


def _refusal(replies: list, count: int, result: SendResult) -> SendError | None:
    """The error for a refused envelope (MAIL, every RCPT, or DATA), or None."""
    mail_code = replies[0][0]
    if mail_code == 250 and len(replies) == count:
        data_reply = replies[count - 1]
        for code, _ in replies[1:count - 1]:
            if code // 10 == 25:
                if data_reply[0] == 354:
                    return None
                return MessageRefused(data_reply[0], data_reply[1], "DATA", result)
        return RecipientsRefused(result)
    if mail_code != 250:
        return MessageRefused(mail_code, replies[0][1], "MAIL", result)
    return RecipientsRefused(result)  # lockstep stopped before DATA: nobody accepted


def _recover(client: Client, t, table: Timeouts, replies: list, count: int) -> BaseException | None:
    """After a refused envelope: end an accepted DATA, then RSET.

    Returns the RSET's failure (the client is then closed), else None.
    """
    if len(replies) == count and replies[count - 1][0] == 354:
        # DATA was pipelined and accepted although nothing else was: end
        # the (empty) message so the server takes commands again.
        _set_timeout(t, table.data_end)
        t.send(b".\r\n", "DATA end")
        t.read_reply(0, "DATA end")
    return _reset(client, table)


def _log_commands(peer: str, commands: list[bytes], event: str) -> None:
    wirelog.log_event(peer, event)
    for line in commands:
        wirelog.log_sent(peer, line)


def _stage(index: int, last: int, table: Timeouts) -> tuple[str, float]:
    """The stage name and reply timeout of command ``index`` (MAIL, RCPT..., DATA)."""
    if index == 0:
        return "MAIL", table.mail
    if index == last:
        return "DATA", table.data
    return "RCPT", table.rcpt


def _read_replies(t, table: Timeouts, count: int, logging: bool) -> list[tuple[int, str]]:
    """The replies to ``count`` pipelined commands (MAIL, RCPT..., DATA), in order.

    Replies usually arrive together: those already received come straight
    from the reader's buffer, without a socket call or a timeout change.
    """
    reader = t.reader
    last = count - 1
    replies = []
    for index in range(count):
        reply = reader.next_reply(0)
        if reply is None:
            stage, seconds = _stage(index, last, table)
            _set_timeout(t, seconds)
            reply = t.read_reply(0, stage)
        elif logging:
            wirelog.log_reply(t.peer, reply[0], reply[1])
        replies.append(reply)
    return replies


def _windows(commands: list[bytes]) -> list[tuple[int, int]]:
    """Cut the commands into groups of at most ``_WINDOW`` bytes (one command at least)."""
    windows, start, size = [], 0, 0
    for index, line in enumerate(commands):
        if index > start and size + len(line) > _WINDOW:
            windows.append((start, index))
            start, size = index, 0
        size += len(line)
    windows.append((start, len(commands)))
    return windows


def _exchange_pipelined(t, table: Timeouts, commands: list[bytes]) -> list[tuple[int, str]]:
    """RFC 2920 for an envelope larger than ``_WINDOW``: write the commands
    in groups of at most that size, reading each group's replies before
    the next write, so a huge recipient list cannot fill both directions'
    buffers and deadlock.  When MAIL was refused, the rest is not sent.
    """
    last = len(commands) - 1
    logging = wirelog.enabled()
    read, reader = t.read_reply, t.reader
    replies: list[tuple[int, str]] = []
    for start, end in _windows(commands):
        if logging:
            _log_commands(t.peer, commands[start:end], "pipelining %d commands in one write" % (end - start))
        stage, seconds = _stage(start, last, table)
        _set_timeout(t, seconds)
        t.send(b"".join(commands[start:end]), stage, log=False)
        for index in range(start, end):
            reply = reader.next_reply(0) if index > start else None
            if reply is None:
                stage, seconds = _stage(index, last, table)
                _set_timeout(t, seconds)
                reply = read(0, stage)
            elif logging:
                wirelog.log_reply(t.peer, reply[0], reply[1])
            replies.append(reply)
        if replies[0][0] != 250:
            break
    return replies


def _exchange_lockstep(t, table: Timeouts, commands: list[bytes]) -> list[tuple[int, str]]:
    """One command, one reply; stops after a refused MAIL, and before DATA
    when no recipient was accepted."""
    last = len(commands) - 1
    replies: list[tuple[int, str]] = []
    for index, line in enumerate(commands):
        if index == last and not any(code // 10 == 25 for code, _ in replies[1:]):
            break
        stage, seconds = _stage(index, last, table)
        _set_timeout(t, seconds)
        t.send(line, stage)
        replies.append(t.read_reply(0, stage))
        if index == 0 and replies[0][0] != 250:
            break
    return replies


def _send_body(t, out: _Outgoing, trailer: bytes) -> int:
    """Send the message's body and end of data, ``trailer`` in the same write
    as the end; return the body's bytes on the wire.

    ``out.ended`` is set just before the last write: from then on the
    server may have the whole message.  A streamed file's RFC 1870 size is
    known only now and goes to ``out.size``.
    """
    wire = out.wire
    if wire is None:
        out.size, sent = _send_stream(t, out, trailer)
        return sent
    size = len(wire)
    if size <= _BLOCK:
        out.ended = True
        t.send(wire + trailer if trailer else wire, "DATA block", log=False)
        return size
    view = memoryview(wire)
    last = (size - 1) // _BLOCK * _BLOCK
    for offset in range(0, last, _BLOCK):
        t.send(view[offset:offset + _BLOCK], "DATA block", log=False)
    out.ended = True
    t.send(bytes(view[last:]) + trailer, "DATA block", log=False)
    return size


def _send_stream(t, out: _Outgoing, trailer: bytes) -> tuple[int, int]:
    """Encode and send the file chunk by chunk; the last chunk travels with
    the end of data (and ``trailer``).  Returns the RFC 1870 size and the
    body's bytes sent."""
    stream = out.stream
    encoder = DotEncoder()
    size = sent = 0
    chunk = out.first
    while True:
        at_line_start = encoder.state in (BEGIN, BEGIN_LINE)
        pending = encoder.encode(chunk)
        size += len(pending) - _stuffed_dots(pending, at_line_start)
        chunk = _read_chunk(stream) if chunk else b""
        if not chunk:
            break
        if pending:
            t.send(pending, "DATA block", log=False)
            sent += len(pending)
    tail = encoder.finish()
    size += len(tail) - 3
    pending += tail
    out.ended = True
    t.send(pending + trailer, "DATA block", log=False)
    return size, sent + len(pending)


def _reset(client: Client, table: Timeouts) -> BaseException | None:
    """RSET, so the next message starts clean; if even that fails, close
    and return the failure."""
    try:
        _set_timeout(client._t, table.command)
        client.reset()
    except FAILURES as err:
        _abandon(client)
        return err
    return None
