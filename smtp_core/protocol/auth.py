"""SMTP authentication: the mechanism interface and the exchange, without I/O.

A mechanism is an :class:`Auth`: ``start(server)`` names the mechanism and
gives the optional initial response; ``next(challenge, more)`` answers each
server challenge.  Either may raise to abort.  ``None`` as a response means
"nothing to send" (Go's nil), while ``b""`` is an empty response that is
still sent (an empty line).

:class:`AuthExchange` runs Go's AUTH loop as a state machine: it produces the
lines to send and consumes the replies, and the client does the I/O.

Mechanisms here: :class:`PlainAuth` (RFC 4616) and :class:`CramMD5Auth`
(RFC 2195), as in Go, and, beyond Go, :class:`LoginAuth`,
:class:`XOAuth2Auth` and :class:`OAuthBearerAuth`.  Every mechanism that
carries a secret refuses, before sending anything, a connection that is
neither TLS nor to ``localhost``, ``127.0.0.1`` or ``::1``: without TLS
nothing the server says can be trusted, including that it offers PLAIN.

Example::

    >>> info = ServerInfo("localhost", False, ["PLAIN"])
    >>> PlainAuth("", "me", "pw", "localhost").start(info)
    ('PLAIN', b'\\x00me\\x00pw')
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Callable, Sequence

from .commands import auth_command, encode_line
from ..errors import AuthError, ReplyError
from ..gocompat.gobase64 import decode_std, encode_std
from ..gocompat.goformat import go_bytes

__all__ = [
    "ServerInfo",
    "Auth",
    "PlainAuth",
    "CramMD5Auth",
    "LoginAuth",
    "XOAuth2Auth",
    "OAuthBearerAuth",
    "choose_auth",
    "AuthExchange",
    "is_localhost",
]


class ServerInfo:
    """What a mechanism may know of the server.

    ``Name`` is the server name the client was given, ``TLS`` whether the
    connection is encrypted, ``Auth`` the advertised mechanisms (``None``
    until the server advertised AUTH).  Pythonic aliases: ``name``, ``tls``,
    ``mechanisms``.  Beyond Go, ``plaintext_allowed`` says the caller
    accepts credentials over plaintext to any server (the Pythonic layer's
    ``allow_plaintext_auth=True``); the Go-named API never sets it.
    """

    __slots__ = ("Name", "TLS", "Auth", "plaintext_allowed")

    def __init__(self, name: str = "", tls: bool = False, auth: Sequence[str] | None = None,
                 plaintext_allowed: bool = False) -> None:
        self.Name = name
        self.TLS = tls
        self.Auth = None if auth is None else list(auth)
        self.plaintext_allowed = plaintext_allowed

    name = property(lambda self: self.Name)
    tls = property(lambda self: self.TLS)
    mechanisms = property(lambda self: self.Auth)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerInfo):
            return NotImplemented
        return (self.Name, self.TLS, self.Auth) == (other.Name, other.TLS, other.Auth)

    def __repr__(self) -> str:
        return "ServerInfo(Name=%r, TLS=%r, Auth=%r)" % (self.Name, self.TLS, self.Auth)


def is_localhost(name: str) -> bool:
    """Go's list of names that may receive a password without TLS."""
    return name in ("localhost", "127.0.0.1", "::1")


class Auth:
    """An SMTP authentication mechanism (subclass and override both methods)."""

    def start(self, server: ServerInfo) -> tuple[str, bytes | None]:
        """Begin: return the mechanism name and the initial response or ``None``."""
        raise NotImplementedError

    def next(self, challenge: bytes, more: bool) -> bytes | None:
        """Answer a challenge; ``more`` is False for the final success text."""
        raise NotImplementedError


def _require_safe_channel(server: ServerInfo) -> None:
    if not server.TLS and not is_localhost(server.Name) and not server.plaintext_allowed:
        raise AuthError("unencrypted connection")


def _check_host(server: ServerInfo, host: str) -> None:
    if server.Name != host:
        raise AuthError("wrong host name")


def _refuse_nul(*fields: str) -> None:
    # In PLAIN and friends NUL separates the fields: a NUL inside one would
    # let a caller-supplied user name smuggle in another identity.
    if any("\x00" in f for f in fields):
        raise AuthError("smtp: credentials must not contain NUL")


class PlainAuth(Auth):
    """PLAIN (RFC 4616), refusing plaintext non-local servers and other hosts."""

    def __init__(self, identity: str, username: str, password: str, host: str) -> None:
        self.identity, self.username, self.password, self.host = identity, username, password, host

    def start(self, server: ServerInfo) -> tuple[str, bytes | None]:
        _require_safe_channel(server)
        _check_host(server, self.host)
        _refuse_nul(self.identity, self.username, self.password)
        return "PLAIN", go_bytes("%s\x00%s\x00%s" % (self.identity, self.username, self.password))

    def next(self, challenge: bytes, more: bool) -> bytes | None:
        if more:
            raise AuthError("unexpected server challenge")
        return None

    def __repr__(self) -> str:
        return "PlainAuth(identity=%r, username=%r, host=%r)" % (self.identity, self.username, self.host)


class CramMD5Auth(Auth):
    """CRAM-MD5 (RFC 2195): the password never crosses the wire."""

    def __init__(self, username: str, secret: str) -> None:
        self.username, self.secret = username, secret

    def start(self, server: ServerInfo) -> tuple[str, bytes | None]:
        return "CRAM-MD5", None

    def next(self, challenge: bytes, more: bool) -> bytes | None:
        if not more:
            return None
        digest = hmac.new(go_bytes(self.secret), challenge, hashlib.md5).hexdigest()
        return go_bytes(self.username) + b" " + digest.encode("ascii")

    def __repr__(self) -> str:
        return "CramMD5Auth(username=%r)" % (self.username,)


class LoginAuth(Auth):
    """LOGIN (draft-murchison-sasl-login): user name, then password, on request.

    Outlook/Office 365 and many older servers offer only this and PLAIN.
    Like PLAIN it refuses a plaintext non-local server; ``host``, when given,
    must equal the client's server name.
    """

    def __init__(self, username: str, password: str, host: str | None = None) -> None:
        self.username, self.password, self.host = username, password, host
        self._step = 0

    def start(self, server: ServerInfo) -> tuple[str, bytes | None]:
        _require_safe_channel(server)
        if self.host is not None:
            _check_host(server, self.host)
        self._step = 0
        return "LOGIN", None

    def next(self, challenge: bytes, more: bool) -> bytes | None:
        if not more:
            return None
        self._step += 1
        if self._step == 1:
            return go_bytes(self.username)
        if self._step == 2:
            return go_bytes(self.password)
        raise AuthError("unexpected server challenge")

    def __repr__(self) -> str:
        return "LoginAuth(username=%r)" % (self.username,)


TokenSource = str | Callable[[], str]


def _token(source: TokenSource) -> str:
    token = source() if callable(source) else source
    if not isinstance(token, str):
        raise AuthError("smtp: an OAuth token must be a str, got %s" % type(token).__name__)
    return token


def _refuse_controls(*fields: str) -> None:
    # The OAuth responses are key=value pairs separated by \x01: a control
    # character in the user name or the token could end a pair early and
    # add keys of the caller's choosing.  Neither RFC 6750 tokens nor
    # addresses contain one.
    for f in fields:
        if any(c < " " or c == "\x7f" for c in f):
            raise AuthError("smtp: OAuth user name and token must not contain control characters")


class XOAuth2Auth(Auth):
    """Google's and Microsoft's XOAUTH2: ``user=..\\x01auth=Bearer ..\\x01\\x01``.

    ``token`` is a string or a callable returning a fresh access token; it is
    called once per authentication.  On failure the server sends a JSON
    error as a 334 challenge; the client answers with an empty line and the
    server's final reply becomes the error.
    """

    mechanism = "XOAUTH2"

    def __init__(self, username: str, token: TokenSource, host: str | None = None) -> None:
        self.username, self.token, self.host = username, token, host
        self.error_details: bytes | None = None

    def _initial(self, token: str) -> bytes:
        return go_bytes("user=%s\x01auth=Bearer %s\x01\x01" % (self.username, token))

    def start(self, server: ServerInfo) -> tuple[str, bytes | None]:
        _require_safe_channel(server)
        if self.host is not None:
            _check_host(server, self.host)
        self.error_details = None
        token = _token(self.token)  # fetched only once the channel is known safe
        _refuse_controls(self.username, token)
        return self.mechanism, self._initial(token)

    def next(self, challenge: bytes, more: bool) -> bytes | None:
        if not more:
            return None
        # The challenge is the server's error description; an empty response
        # asks for the final (failure) reply.
        self.error_details = challenge
        return b""

    def __repr__(self) -> str:
        return "%s(username=%r)" % (type(self).__name__, self.username)


class OAuthBearerAuth(XOAuth2Auth):
    """OAUTHBEARER (RFC 7628) with the GS2 header ``n,a=user,``."""

    mechanism = "OAUTHBEARER"

    def _initial(self, token: str) -> bytes:
        # GS2 header (RFC 5801): "n,a=<authzid>," with "=" and "," escaped,
        # or "n,," when there is no user name (an empty "a=" is invalid).
        user = self.username.replace("=", "=3D").replace(",", "=2C")
        header = "n,a=%s," % user if user else "n,,"
        return go_bytes("%s\x01auth=Bearer %s\x01\x01" % (header, token))

    def next(self, challenge: bytes, more: bool) -> bytes | None:
        if not more:
            return None
        self.error_details = challenge
        return b"\x01"  # RFC 7628 section 3.2.3: the client's "dummy" response


#: Strongest first: mechanisms that keep the secret off the wire, then
#: tokens, then passwords.
STRENGTH = ("OAUTHBEARER", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN")


def choose_auth(offered: Sequence[str] | None, allowed: Sequence[Auth]) -> Auth | None:
    """The strongest of ``allowed`` whose mechanism the server offers.

    ``allowed`` holds ready mechanisms (e.g. ``[PlainAuth(...), LoginAuth(...)]``);
    the server's list is compared case-insensitively.  Returns ``None`` when
    nothing fits.
    """
    if not offered:
        return None
    by_name = {}
    for mech in allowed:
        by_name.setdefault(_mechanism_name(mech), mech)
    # Only the names asked for: a hostile AUTH line may list 300,000 others.
    offered_upper = {name for name in map(str.upper, offered) if name in by_name}
    ranked = sorted(by_name, key=lambda n: STRENGTH.index(n) if n in STRENGTH else len(STRENGTH))
    for name in ranked:
        if name in offered_upper:
            return by_name[name]
    return None


def _mechanism_name(mech: Auth) -> str:
    for cls, name in ((OAuthBearerAuth, "OAUTHBEARER"), (XOAuth2Auth, "XOAUTH2"), (CramMD5Auth, "CRAM-MD5"),
                      (PlainAuth, "PLAIN"), (LoginAuth, "LOGIN")):
        if isinstance(mech, cls):
            return name
    return str(getattr(mech, "mechanism", type(mech).__name__)).upper()


class AuthExchange:
    """Go's AUTH loop as a state machine; the caller does the I/O.

    Use::

        ex = AuthExchange(mechanism, server_info)
        line = ex.begin()              # raises if the mechanism declines
        while line is not None:
            code, text = send line, read reply (any code)
            line = ex.on_reply(code, text)   # raises on failure

    When :meth:`begin` raises, the caller must QUIT (Go does).  When
    :meth:`on_reply` raises, the caller sends :attr:`ABORT` (``*``), reads
    its reply, then QUITs.  A mechanism error is re-raised unchanged.
    """

    ABORT = encode_line("*")

    __slots__ = ("mechanism", "server")

    def __init__(self, mechanism: Auth, server: ServerInfo) -> None:
        self.mechanism = mechanism
        self.server = server

    def begin(self) -> bytes:
        name, initial = self.mechanism.start(self.server)
        initial_b64 = encode_std(bytes(initial)).decode("ascii") if initial else ""
        return auth_command(name, initial_b64)

    def on_reply(self, code: int, text: str) -> bytes | None:
        """The next line to send, or ``None`` when authentication is over."""
        if code == 334:
            challenge = decode_std(text)
        elif code == 235:
            # The success text is not base64: it is not a challenge.
            challenge = text.encode("utf-8", "surrogateescape")
        else:
            raise ReplyError(code, text)
        response = self.mechanism.next(challenge, code == 334)
        if response is None:
            return None
        return encode_std(bytes(response)) + b"\r\n"
