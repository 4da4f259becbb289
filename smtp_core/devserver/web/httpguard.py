"""Who may talk to the catcher's HTTP side, and how much.

Each rule answers one attack on a catcher that listens on loopback and is
reached by a browser that also visits other sites:

* **Host** (DNS rebinding): a request is served only if its ``Host`` header
  names this catcher (:class:`HostPolicy`): the listen address, ``localhost``
  and the loopback addresses when listening on loopback (or on every
  address), any address literal when listening on every address (an address
  cannot be rebound, a name can), and the names given with
  ``--http-allowed-host``.  Any other name answers 403 naming the Host and
  the option.  A name taken over by a rebinding attacker is never ours.
* **Origin** (cross-site WebSocket hijacking, cross-origin state changes):
  :func:`cross_origin` says why a browser request comes from another origin:
  an ``Origin`` that is not ``http(s)://`` + the request's own Host
  (``null`` included: ``file://`` pages, sandboxed frames), or a
  ``Sec-Fetch-Site`` other than ``same-origin``/``none`` (another port on
  localhost is *same-site* but not same-origin).  A request without either
  header comes from no browser (curl, node's mailpit-api, aiohttp) and is
  allowed: such a client can read the API directly anyway.
* **Reads by other origins**: every response carries
  ``Cross-Origin-Resource-Policy: same-origin`` and ``X-Content-Type-Options:
  nosniff`` unless its route set them (:func:`same_origin_reads`), so that
  no other page can load an API answer as an image, script or style.
* **Basic authentication** with a failure budget per client address
  (:class:`~..failurebudget.FailureBudget`, the token bucket SMTP AUTH uses
  too): once the budget is spent the catcher answers 429 with ``Retry-After`` without checking the password,
  so guessing runs at the refill rate, not at the speed of the machine.
  The user a request was checked as is :func:`authenticated_user`'s answer
  (the send API stores it as the message's ``Username``, as Mailpit does);
  a request is never taken at its word: without basic authentication on
  the catcher there is no user, whatever ``Authorization`` header it sends.
* **Connections** (:class:`HttpLimits`): at most ``max_connections`` at once
  (the next one gets a 503 and is closed); a connection that sends no
  complete request head within ``idle_timeout`` is closed
  (:class:`FirstRequestDeadline` for the first request, whatever the aiohttp
  version; aiohttp's keep-alive timer between requests); a connection whose
  request body has not all arrived within ``body_timeout`` is aborted.

>>> policy = HostPolicy("127.0.0.1", 8025, ["mail.test"])
>>> [policy.allows(h) for h in ("127.0.0.1:8025", "localhost:8025", "[::1]:8025", "mail.test:443")]
[True, True, True, True]
>>> [policy.allows(h) for h in ("evil.example:8025", "localhost:9999", "127.0.0.1.evil.example")]
[False, False, False]
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import logging
import weakref
from dataclasses import dataclass
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from aiohttp import web

from ..bounds import PositiveLimits
from ..failurebudget import FailureBudget
from ..smtp.policy import is_loopback

__all__ = ["HostPolicy", "HttpLimits", "FailureBudget", "FirstRequestDeadline", "cross_origin",
           "same_origin_reads", "host_middleware", "basic_auth_middleware", "authenticated_user",
           "body_deadline_middleware", "refuse_connection"]

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARDS = ("0.0.0.0", "::", "")
_SAME_ORIGIN_SITES = ("same-origin", "none")
# Where basic_auth_middleware leaves the user it checked a request as.
_USER = web.RequestKey("authenticated_user", str)


@dataclass(frozen=True)
class HttpLimits(PositiveLimits):
    """How much one client may hold of the HTTP side (seconds and counts);
    every one must be positive."""

    max_connections: int = 256
    idle_timeout: float = 15.0
    body_timeout: float = 10.0
    #: Frames and characters an event socket may have waiting before its
    #: client counts as too slow and is dropped (Mailpit: 256 frames).
    event_queue_frames: int = 256
    event_queue_chars: int = 4 * 1024 * 1024
    #: A frame that the client has not taken within this time drops it too
    #: (Mailpit's write wait).
    event_write_timeout: float = 10.0


def _split_host(value: str) -> tuple[str, int | None]:
    """``(name, port)`` of a Host header value; name lower-cased, brackets
    and a trailing dot removed; ``ValueError`` if it is not a host."""
    parts = urlsplit("//" + value)
    name = (parts.hostname or "").rstrip(".")
    if not name or parts.username is not None or parts.path or parts.query:
        raise ValueError(value)
    return name, parts.port


def _allowed_name(name: str) -> tuple[str, int | None]:
    try:
        return _split_host(name)
    except ValueError:
        raise ValueError(f"--http-allowed-host {name!r}: expected NAME or NAME:PORT") from None


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostPolicy:
    """The Host header values that name this catcher (see the module rules)."""

    def __init__(self, listen_host: str, port: int, allowed: Iterable[str] = ()):
        self.port = port
        self._wildcard = listen_host in _WILDCARDS
        own = {_split_host(listen_host if ":" not in listen_host else f"[{listen_host}]")[0]} \
            if listen_host not in _WILDCARDS else set()
        if self._wildcard or is_loopback(listen_host):
            own.update(_LOOPBACK_NAMES)
        self._own = frozenset(own)
        # NAME (any port: a proxy's) or NAME:PORT (only that port).
        self._allowed = frozenset(_allowed_name(name) for name in allowed)

    @property
    def names(self) -> str:
        shown = sorted(self._own) + sorted(f"{n}:{p}" if p else n for n, p in self._allowed)
        return ", ".join(shown) + (", any address" if self._wildcard else "")

    def allows(self, value: str) -> bool:
        try:
            name, port = _split_host(value)
        except ValueError:
            return False
        if (name, port) in self._allowed or (name, None) in self._allowed:
            return True
        ours = name in self._own or (self._wildcard and _is_address(name))
        return ours and port in (None, self.port)


def host_middleware(policy: HostPolicy) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def check_host(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host")
        # No Host (HTTP/1.0) comes from no browser: a rebinding needs one.
        if host is None or policy.allows(host):
            return await handler(request)
        return web.Response(
            status=403, content_type="text/plain",
            text=f"403 Forbidden: Host {host!r} does not name this catcher (it answers to "
                 f"{policy.names}); add the name with --http-allowed-host NAME\n")

    return check_host


def cross_origin(request: web.Request) -> str | None:
    """Why ``request`` comes from a page of another origin; ``None`` if it
    comes from the catcher's own page or from no browser."""
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.headers.get("Host", "").lower():
            return f"Origin {origin!r} is not this catcher's"
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.lower() not in _SAME_ORIGIN_SITES:
        return f"the request comes from another origin (Sec-Fetch-Site: {site})"
    return None


_READ_HEADERS = {"Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}


async def same_origin_reads(request: web.Request, response: web.StreamResponse) -> None:
    """An ``on_response_prepare`` signal: the headers that keep other
    origins from loading the response, where its route has not set them."""
    for name, value in _READ_HEADERS.items():
        response.headers.setdefault(name, value)


def basic_auth_middleware(user: str, password: str,
                          budget: FailureBudget | None = None) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Require ``user:password`` on every route; failures spend ``budget``."""
    expected = f"{user}:{password}".encode()
    budget = budget or FailureBudget()

    @web.middleware
    async def require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
        client = request.remote or ""
        wait = budget.retry_after(client)
        if wait:
            return web.Response(status=429, text=f"429 Too Many Requests: too many failed logins, "
                                f"retry in {wait} s\n", content_type="text/plain",
                                headers={"Retry-After": str(wait)})
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            given = b""
        if scheme.lower() == "basic" and hmac.compare_digest(given, expected):
            request[_USER] = user
            return await handler(request)
        if encoded:  # a browser's first, credential-less request is no guess
            budget.failed(client)
        return web.Response(status=401, text="401 Unauthorized", content_type="text/plain",
                            headers={"WWW-Authenticate": 'Basic realm="smtp-devserver"'})

    return require_login


def authenticated_user(request: web.Request) -> str | None:
    """The user name :func:`basic_auth_middleware` checked ``request``'s
    password for; ``None`` when the catcher has no basic authentication."""
    return request.get(_USER)


def body_deadline_middleware(seconds: float) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A request's body must arrive within ``seconds`` of its head, else
    the connection is aborted: a trickled body holds nothing.  The body is
    left to the handler (some stream it), so the deadline only watches."""
    @web.middleware
    async def watch_body(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.body_exists:
            return await handler(request)
        transport, length = request.transport, request.content_length

        def expire() -> None:
            arrived = request.content.total_bytes >= length if length is not None else request.content.is_eof()
            if not arrived and transport is not None:
                log.info("HTTP: a request body did not arrive within %g s; closing the connection", seconds)
                transport.abort()

        deadline = asyncio.get_running_loop().call_later(seconds, expire)
        try:
            return await handler(request)
        finally:
            deadline.cancel()

    return watch_body


class FirstRequestDeadline:
    """Close a connection whose first request head has not arrived within
    ``seconds`` of connecting (an idle or trickling slowloris opening).

    aiohttp's keep-alive timer covers the time between requests; before the
    first one only recent aiohttp versions time out, so this does it for
    any: :meth:`watch` wraps each new connection's protocol, and
    :meth:`middleware` (first of the app's middlewares) lifts the deadline
    when a request reaches the app.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._deadlines: weakref.WeakKeyDictionary[asyncio.BaseTransport, asyncio.TimerHandle] = \
            weakref.WeakKeyDictionary()

    def watch(self, protocol: asyncio.Protocol) -> asyncio.Protocol:
        return _Watched(protocol, self)

    def started(self, transport: asyncio.BaseTransport) -> None:
        deadline = asyncio.get_running_loop().call_later(self.seconds, transport.close)
        self._deadlines[transport] = deadline

    def ended(self, transport: asyncio.BaseTransport) -> None:
        deadline = self._deadlines.pop(transport, None)
        if deadline is not None:
            deadline.cancel()

    def middleware(self) -> Callable[..., Awaitable[web.StreamResponse]]:
        @web.middleware
        async def lift_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.transport is not None:
                self.ended(request.transport)
            return await handler(request)

        return lift_deadline


class _Watched(asyncio.Protocol):
    """aiohttp's protocol for one connection, with its first-request deadline."""

    def __init__(self, inner: asyncio.Protocol, deadline: FirstRequestDeadline):
        self._inner = inner
        self._deadline = deadline
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._deadline.started(transport)
        self._inner.connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._transport is not None:
            self._deadline.ended(self._transport)
        self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class _Refused(asyncio.Protocol):
    """Answers 503 and closes once the request is read (closing over unread
    bytes would reset the connection before the client reads the answer),
    or after a second at most."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        body = b"503 Service Unavailable: too many connections to this catcher\n"
        self._transport = transport
        transport.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"  # type: ignore[attr-defined]
                        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        self._deadline = asyncio.get_running_loop().call_later(1.0, transport.close)

    def data_received(self, data: bytes) -> None:
        self._transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._deadline.cancel()


def refuse_connection() -> asyncio.Protocol:
    """The protocol for a connection past :attr:`HttpLimits.max_connections`."""
    return _Refused()
