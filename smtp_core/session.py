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
from .commands import check_line, mail_command, rcpt_command
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
    "SendResult",
    "SendError",
    "RecipientsRefused",
    "MessageRefused",
    "MessageTooLarge",
    "EnvelopeError",
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
    if t.timeout != seconds:
        t.timeout = seconds
        if not t.closed:
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
    __slots__ = ("timeouts", "prepared", "authenticated")

    def __init__(self, timeouts: Timeouts) -> None:
        self.timeouts = timeouts
        self.prepared = False
        self.authenticated = False


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
# send
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
    the server offers PIPELINING.
    """
    _check_policy(tls)
    if isinstance(client_or_address, Client):
        client = client_or_address
        owned = False
        state = _STATES.get(client)
        if (state is None or not state.prepared or (auth is not None and not state.authenticated)
                or (tls == "required" and not client.tls)):
            state = _state_of(client, timeout)
            _prepare(client, state, tls, tls_config, verify, server_name, auth, local_name)
        table = state.timeouts if timeout is None else _resolve_timeouts(timeout, None)
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
    try:
        result = _transaction(client, table, sender, recipients, message, pipelining)
    except BaseException:
        if owned:
            _quit_quietly(client)
        raise
    if quit if quit is not None else owned:
        # The message is accepted: a failing QUIT must not make the caller
        # think otherwise (and send it twice).
        _set_timeout(client._t, table.command)
        _quit_quietly(client)
    return result


def _check_arguments(sender, recipients, message) -> None:
    if isinstance(message, str):
        raise TypeError("smtp: message must be bytes, a binary file or an EmailMessage; encode the text first")
    if sender is not None:
        check_line(sender)
    if recipients is not None:
        for recipient in [recipients] if isinstance(recipients, str) else recipients:
            check_line(recipient)


def _transaction(client: Client, table: Timeouts, sender, recipients, message, pipelining: bool) -> SendResult:
    if client._writer is not None:
        raise SMTPError("smtp: close the DATA writer before sending another command")
    extensions = client.extensions or {}

    # -- what to send (nothing goes out until all of it is known good) --
    data = stream = None
    mime = None
    if isinstance(message, (bytes, bytearray, memoryview)):
        data = message if type(message) is bytes else bytes(message)
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
    rcpts = [recipients] if isinstance(recipients, str) else list(dict.fromkeys(recipients))
    if not rcpts:
        raise EnvelopeError("smtp: no recipients")
    smtputf8, wire_sender, wire_rcpts = _envelope(sender, rcpts, extensions)
    if mime is not None:
        data = _serialize(mime, smtputf8)

    if data is not None:
        encoder = DotEncoder()
        wire = encoder.encode(data) + encoder.finish()
        size = len(wire) - 3 - _stuffed_dots(wire, True)
        declared = size
    else:
        wire = None
        declared = _file_size(stream)  # an estimate, as RFC 1870 allows
        size = None

    params = "BODY=8BITMIME" if "8BITMIME" in extensions else ""
    if declared is not None and "SIZE" in extensions:
        limit = extensions["SIZE"]
        if limit.isdigit() and 0 < int(limit) < declared:
            raise MessageTooLarge(declared, int(limit))
        params += " SIZE=%d" % declared if params else "SIZE=%d" % declared
    if smtputf8:
        params += " SMTPUTF8" if params else "SMTPUTF8"
    commands = [mail_command(wire_sender, None, params=params)]
    commands += [rcpt_command(r) for r in wire_rcpts]
    commands.append(b"DATA\r\n")
    # Read last, once nothing else can refuse the message: a text-mode file
    # fails here, before MAIL, and a refused message leaves the file unread.
    first = _read_chunk(stream) if stream is not None else b""

    # -- the envelope: any failure from here on leaves the stream in an
    # unknown state, so the connection is closed --
    t = client._t
    try:
        if pipelining and "PIPELINING" in extensions:
            replies = _exchange_pipelined(t, table, commands)
        else:
            replies = _exchange_lockstep(t, table, commands)
    except BaseException:
        _abandon(client)
        raise
    mail_reply = replies[0]
    data_reply = replies[len(commands) - 1] if len(replies) == len(commands) else None
    result = SendResult(dict(zip(rcpts, replies[1:len(commands) - 1])), None, size)

    accepted = any(code // 10 == 25 for code, _ in result.recipients.values())
    if mail_reply[0] != 250 or not accepted or data_reply[0] != 354:
        if data_reply is not None and data_reply[0] == 354:
            # DATA was pipelined and accepted although nothing else was:
            # end the (empty) message so the server takes commands again.
            try:
                _set_timeout(t, table.data_end)
                t.send(b".\r\n", "DATA end")
                t.read_reply(0, "DATA end")
            except BaseException:
                _abandon(client)
                raise
        _reset(client, table)
        if mail_reply[0] != 250:
            raise MessageRefused(mail_reply[0], mail_reply[1], "MAIL", result)
        if not accepted:
            raise RecipientsRefused(result)
        raise MessageRefused(data_reply[0], data_reply[1], "DATA", result)

    # -- the message --
    try:
        _set_timeout(t, table.block)
        if wire is not None:
            _send_wire(t, wire)
        else:
            result.size, sent = _send_stream(t, stream, first)
        if wirelog.enabled():
            wirelog.log_body(t.peer, len(wire) if wire is not None else sent)
        _set_timeout(t, table.data_end)
        result.reply = t.read_reply(0, "DATA end")
    except BaseException:
        # Mid-message nothing can be recovered: ending the data now would
        # deliver a truncated message.
        _abandon(client)
        raise
    if result.reply[0] != 250:
        _reset(client, table)
        raise MessageRefused(result.reply[0], result.reply[1], "DATA end", result)
    return result


def _stage(index: int, last: int, table: Timeouts) -> tuple[str, float]:
    """The stage name and reply timeout of command ``index`` (MAIL, RCPT..., DATA)."""
    if index == 0:
        return "MAIL", table.mail
    if index == last:
        return "DATA", table.data
    return "RCPT", table.rcpt


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
    """RFC 2920: write the commands together, then read every reply in order.

    Writes are cut every ``_WINDOW`` bytes (with their replies read before
    the next write), so a huge recipient list cannot fill both directions'
    buffers and deadlock; fifty recipients fit in one write.  When MAIL
    was refused, the rest is not sent.
    """
    last = len(commands) - 1
    batch = b"".join(commands)
    windows = ((0, len(commands)),) if len(batch) <= _WINDOW else _windows(commands)
    logging = wirelog.enabled()
    read, reader = t.read_reply, t.reader
    replies: list[tuple[int, str]] = []
    for start, end in windows:
        if logging:
            wirelog.log_event(t.peer, "pipelining %d commands in one write" % (end - start))
            for line in commands[start:end]:
                wirelog.log_sent(t.peer, line)
        stage, seconds = _stage(start, last, table)
        _set_timeout(t, seconds)
        t.send(batch if end - start == len(commands) else b"".join(commands[start:end]), stage, log=False)
        for index in range(start, end):
            # Replies after the first usually came in the same read: take
            # them from the reader's buffer without touching the socket.
            reply = reader.next_reply(0) if index > start else None
            if reply is None:
                stage, seconds = _stage(index, last, table)
                if t.timeout != seconds:
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


def _send_wire(t, wire: bytes) -> None:
    if len(wire) <= _BLOCK:
        t.send(wire, "DATA block", log=False)
        return
    view = memoryview(wire)
    for offset in range(0, len(wire), _BLOCK):
        t.send(view[offset:offset + _BLOCK], "DATA block", log=False)


def _send_stream(t, stream, first: bytes) -> tuple[int, int]:
    """Encode and send the file chunk by chunk; the last chunk travels with
    the end of data.  Returns the RFC 1870 size and the bytes sent."""
    encoder = DotEncoder()
    size = sent = 0
    chunk = first
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
    t.send(pending, "DATA block", log=False)
    return size, sent + len(pending)


def _reset(client: Client, table: Timeouts) -> None:
    """RSET, so the next message starts clean; if even that fails, close."""
    try:
        _set_timeout(client._t, table.command)
        client.reset()
    except FAILURES:
        _abandon(client)
