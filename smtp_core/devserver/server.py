"""The dev server object: one asyncio loop on one background thread.

:class:`DevServer` binds the SMTP listeners (plain with STARTTLS, and
optionally implicit TLS), makes or loads the certificate, and stops
everything, connections included, within bounded waits.  Other servers
(the mail catcher's HTTP side) run in the same loop: :meth:`DevServer.add_service`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence

from . import pki
from .bounds import check_positive
from .features import Features, RuntimeStats
from .mailbox.autotags import AutoTagger
from .mailbox.received import ReceivedMessage
from .mailbox.store import DEFAULT_FSYNC, DEFAULT_MAX_DEPTH, DEFAULT_MAX_PARTS, FSYNC_POLICIES, MailStore
from .smtp.limits import SmtpLimits
from .smtp.policy import Policy, is_loopback
from .smtp.handler import MailHandler, received_from
from .smtp.implicittls import ImplicitTLS
from .smtp.protocol import DevSMTP, SessionSettings, install_log_filter
from .web.service import DEFAULT_MAX_MESSAGES, HttpLimits, HttpSide, check_http_exposure, parse_credentials

__all__ = ["DevServer", "DEFAULT_PORT", "DEFAULT_SIZE_LIMIT", "Service"]

DEFAULT_PORT = 2525
#: aiosmtpd's own default, advertised as ``SIZE 33554432``.
DEFAULT_SIZE_LIMIT = 32 * 1024 * 1024

_GREETING_IDENT = "ESMTP gostd-smtp devserver"
# Bound every wait on the server thread, so a wedged loop cannot hang a test
# run or the CLI forever.
_THREAD_TIMEOUT = 10.0

#: An extra server started in the dev server's loop: ``await service(server)``
#: starts it and returns an async callable that stops it.
Service = Callable[["DevServer"], Awaitable[Callable[[], Awaitable[None]]]]


def _print_summary(record: ReceivedMessage) -> None:
    print(f"[smtp-devserver] {record.summary()}", flush=True)


class DevServer:
    """The development SMTP server, running on a background thread.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        >>> server = DevServer(tls_port=None, reject_rcpt=["nobody@example.com"])
        >>> server.start()
        >>> server.port > 0 and server.tls_port > 0
        True
        >>> server.stop()

    Parameters (all optional, all keywords):

    ``host``
        Address to listen on (loopback by default).
    ``port``
        Plain port, offering STARTTLS; ``None`` or 0 picks a free port.
    ``tls_port``
        Implicit-TLS port: ``False`` for none, ``None`` or 0 for a free port.
    ``users``
        ``{"name": "password"}`` or ``["name:password", ...]`` for AUTH.
    ``accept_any_login``
        Any user name and password succeed.
    ``require_auth``
        MAIL, RCPT, DATA, VRFY and HELP answer 530 until AUTH succeeded.
    ``size_limit``
        Advertised SIZE and enforced DATA limit in bytes; ``None`` means
        :data:`DEFAULT_SIZE_LIMIT`, 0 means unlimited (no SIZE advertised).
    ``maildir``
        Where messages go; ``None`` makes a temporary one that :meth:`stop`
        deletes.
    ``reject_rcpt``
        Recipients refused with 550 (compared case-insensitively).
    ``fail_auth``
        Every AUTH attempt fails with 535.
    ``fail_at``
        ``"stage:code"`` (or a ``{stage: code}`` mapping): reply ``code``
        (421 or 451) at ``stage`` (see :data:`FAILURE_STAGES`); 421 also
        closes the connection.
    ``drop_after_data``
        Store the message, then close the connection instead of replying to
        the final dot.
    ``cert``
        ``(cert_file, key_file)`` or ``(cert_file, key_file, ca_file)``; by
        default a certificate from :func:`smtp_core.devserver.pki.self_signed_server`
        (kept in ``cert_dir``).
    ``quiet``
        ``False`` prints a summary line per message on stdout.
    ``on_message``
        Called (on the server thread) with each :class:`ReceivedMessage`.
    ``http_port``
        Serve the web page and Mailpit's API on this port (0: a free one;
        ``None``, the default: no HTTP); :attr:`url` tells where.
    ``http_host``
        Address for HTTP (loopback by default; any other address needs
        ``http_auth`` or ``http_no_auth=True``).
    ``http_auth``
        ``(user, password)`` or ``"user:password"``: HTTP basic authentication.
    ``max_messages``
        Keep at most this many messages, pruning the oldest (0: no limit).
    ``smtp_limits``
        A :class:`~smtp_core.devserver.smtp.limits.SmtpLimits`: connections
        at once, the idle timeout, recipients per message, the failed-login
        budget per client address.
    ``max_mime_parts``, ``max_mime_depth``
        Refuse (``552 5.3.4``, naming the limit) a message with more MIME
        parts, or parts nested deeper, than this (defaults 1000 and 32).
    ``fsync``
        What is on disk before a message's ``250``: ``"never"`` (the
        default: survives the server's crash, not the machine's),
        ``"batch"`` or ``"always"`` (fsynced; see docs/devserver.md).
    ``http_allowed_hosts``
        More names the ``Host`` header may give (``NAME`` or ``NAME:PORT``):
        other names are refused (DNS rebinding).
    ``http_limits``
        A :class:`~smtp_core.devserver.web.httpguard.HttpLimits` (connections,
        idle and body timeouts, event outboxes).
    ``features``
        Mailpit's optional features for the HTTP side
        (:class:`~smtp_core.devserver.features.Features`: relay, spamd, label).
    ``client_ca``
        PEM file of the CAs whose client certificates are accepted: with
        it, every TLS handshake (STARTTLS and implicit TLS) requires a
        client certificate signed by one of them (mutual TLS).
    ``tagging``
        Mailpit's automatic tagging rules
        (:class:`~smtp_core.devserver.mailbox.autotags.AutoTagger`: filters,
        plus addresses, X-Tags, title case, the AUTH user name); by default
        Mailpit's: X-Tags and plus addresses.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        tls_port: bool | int | None = False,
        users: None | Mapping[str, str] | Iterable[str] = None,
        accept_any_login: bool = False,
        require_auth: bool = False,
        size_limit: int | None = None,
        maildir: None | str | os.PathLike[str] = None,
        reject_rcpt: Iterable[str] = (),
        fail_auth: bool = False,
        fail_at: None | str | Mapping[str, int] | Iterable[str] = None,
        drop_after_data: bool = False,
        cert: Sequence[str | os.PathLike[str]] | None = None,
        quiet: bool = True,
        cert_dir: None | str | os.PathLike[str] = None,
        on_message: Callable[[ReceivedMessage], None] | None = None,
        http_port: int | None = None,
        http_host: str = "127.0.0.1",
        http_auth: None | str | tuple[str, str] = None,
        http_no_auth: bool = False,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        max_mime_parts: int = DEFAULT_MAX_PARTS,
        max_mime_depth: int = DEFAULT_MAX_DEPTH,
        fsync: str = DEFAULT_FSYNC,
        http_allowed_hosts: Iterable[str] = (),
        http_limits: HttpLimits | None = None,
        features: Features | None = None,
        smtp_limits: SmtpLimits | None = None,
        client_ca: None | str | os.PathLike[str] = None,
        tagging: AutoTagger | None = None,
    ):
        if tls_port is True:
            raise ValueError("tls_port: give a port number, None/0 for a free one, or False")
        if size_limit is not None and size_limit < 0:
            raise ValueError("size_limit must be >= 0")
        if cert is not None and len(cert) not in (2, 3):
            raise ValueError("cert must be (cert_file, key_file) or (cert_file, key_file, ca_file)")
        self.host = host
        self._requested_port = port or 0
        self._requested_tls_port: int | None = None if tls_port is False else (tls_port or 0)
        self._policy = Policy.from_settings(
            users=users, accept_any_login=accept_any_login, require_auth=require_auth,
            reject_rcpt=reject_rcpt, fail_auth=fail_auth, fail_at=fail_at, drop_after_data=drop_after_data,
            chaos=features.chaos if features is not None else None,
        )
        self._size_limit = DEFAULT_SIZE_LIMIT if size_limit is None else (size_limit or None)
        self._requested_maildir = Path(maildir) if maildir is not None else None
        self._cert = tuple(Path(p) for p in cert) if cert is not None else None
        self._cert_dir = Path(cert_dir) if cert_dir is not None else None
        self._client_ca = Path(client_ca) if client_ca is not None else None
        self._quiet = quiet
        self._on_message = on_message
        if isinstance(http_auth, str):
            http_auth = parse_credentials(http_auth)
        if http_port is not None:
            check_http_exposure(http_host, http_auth, http_no_auth)
        if max_messages < 0:
            raise ValueError(f"max_messages must be >= 0, got {max_messages}")
        self._max_messages = max_messages
        self._smtp_limits = smtp_limits or SmtpLimits()
        check_positive("max_mime_parts", max_mime_parts)
        check_positive("max_mime_depth", max_mime_depth)
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, got {fsync!r}")
        self._mime_limits = dict(max_parts=max_mime_parts, max_depth=max_mime_depth)
        self._fsync = fsync
        self._tagging = tagging
        self._snapshot: list[ReceivedMessage] = []

        #: Bound port numbers (set by :meth:`start`); ``tls_port`` stays
        #: ``None`` without an implicit-TLS port.
        self.port: int | None = None
        self.tls_port: int | None = None
        #: PEM file clients should trust (``None`` if a custom ``cert`` came
        #: without a CA file).
        self.ca_path: Path | None = None
        self.cert_path: Path | None = None
        #: The Maildir directory messages are stored in.
        self.maildir: Path | None = None
        #: The web page's address, ``http://host:port/`` (``None`` without HTTP).
        self.url: str | None = None
        self.http_port: int | None = None

        self._handler: MailHandler | None = None
        self._owns_maildir = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listeners: list[asyncio.AbstractServer] = []
        self._live_connections: set[DevSMTP] = set()
        self._tls_handshakes: set[ImplicitTLS] = set()
        self._services: list[Service] = []
        self._service_stops: list[Callable[[], Awaitable[None]]] = []
        if http_port is not None:
            self._services.append(functools.partial(
                _serve_http, host=http_host, port=http_port, basic_auth=http_auth, features=features,
                allowed_hosts=tuple(http_allowed_hosts), limits=http_limits or HttpLimits()))
        #: Mailpit's runtime figures (``/api/v1/info``), counted from each start.
        self.runtime_stats = RuntimeStats()

    # ---- lifecycle ----

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def add_service(self, service: Service) -> None:
        """Run another server in this dev server's event loop.

        At :meth:`start`, once the SMTP ports are bound, ``await service(self)``
        runs in the loop and returns an async ``stop`` callable; :meth:`stop`
        awaits it before closing the SMTP side.  Add services before starting.
        """
        if self._thread is not None:
            raise RuntimeError("add services before start()")
        self._services.append(service)

    def run_in_loop(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coroutine`` in the server's loop from another thread; return
        its result (``TimeoutError`` after 10 s)."""
        if self._loop is None:
            raise RuntimeError("DevServer is not running")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(_THREAD_TIMEOUT)

    def start(self) -> None:
        """Bind the ports and serve on a background thread.

        Raises ``OSError`` if a port is taken and
        :class:`smtp_core.devserver.pki.PKIError` if no certificate can be made.
        """
        if self._thread is not None:
            raise RuntimeError("DevServer is already running")
        tls_context = self._make_tls_context()
        install_log_filter()
        self._open_maildir()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run_loop, name="smtp-devserver", daemon=True
        )
        self._thread.start()
        try:
            self.run_in_loop(self._open_listeners(tls_context))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Close the ports and every connection, stop the thread.

        Safe to call twice.  A temporary maildir is deleted; its messages
        stay available through :meth:`messages` (read into memory first).
        """
        if self._thread is None or self._loop is None:
            return
        loop, thread = self._loop, self._thread
        try:
            if thread.is_alive():
                self.run_in_loop(self._close_everything())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_THREAD_TIMEOUT)
            if not thread.is_alive():
                loop.close()
            self._thread = self._loop = None
            self._listeners = []
            self.url = self.http_port = None
            if self._handler is not None:
                if self._owns_maildir:
                    self._snapshot = self._handler.received()
                self._handler.store.close()
                self._handler = None
            if self._owns_maildir and self.maildir is not None:
                shutil.rmtree(self.maildir, ignore_errors=True)

    # ---- received mail ----

    def messages(self) -> list[ReceivedMessage]:
        """Every message stored (and not deleted or pruned), in arrival order."""
        if self._handler is not None:
            return self._handler.received()
        if self._owns_maildir or self.maildir is None or not self.maildir.exists():
            return list(self._snapshot)
        # Stopped, with the caller's folder: read it back.
        store = MailStore(self.maildir, max_messages=0)
        try:
            return received_from(store)
        finally:
            store.close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages arrived; return them all.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        if self._handler is None:
            stored = self.messages()
            if len(stored) >= count:
                return stored
            raise RuntimeError(f"DevServer is not running (and holds {len(stored)} of {count} message(s))")
        return self._handler.wait_for(count, timeout)

    @property
    def store(self) -> MailStore | None:
        """The catcher's store (``None`` while stopped)."""
        return self._handler.store if self._handler is not None else None

    # ---- internals ----

    def _make_tls_context(self) -> ssl.SSLContext:
        if self._cert is None:
            self.ca_path, cert_path, key_path = pki.self_signed_server(
                self._cert_dir, names=self._certificate_names()
            )
        else:
            cert_path, key_path = self._cert[0], self._cert[1]
            self.ca_path = self._cert[2] if len(self._cert) == 3 else None
        self.cert_path = cert_path
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_path), str(key_path))
        if self._client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=str(self._client_ca))
        return context

    def _certificate_names(self) -> tuple[str, ...]:
        names = list(pki.DEFAULT_SERVER_NAMES)
        if self.host and self.host not in names and self.host not in ("0.0.0.0", "::"):
            names.append(self.host)
        return tuple(names)

    def _open_maildir(self) -> None:
        if self._requested_maildir is None:
            self.maildir = Path(tempfile.mkdtemp(prefix="gostd-smtp-maildir-"))
            self._owns_maildir = True
        else:
            self.maildir = self._requested_maildir
            self._owns_maildir = False
        on_message = self._on_message
        if not self._quiet:
            user_callback = on_message

            def on_message(record: ReceivedMessage) -> None:
                _print_summary(record)
                if user_callback is not None:
                    user_callback(record)

        self._snapshot = []
        store = MailStore(self.maildir, max_messages=self._max_messages, fsync=self._fsync, tagging=self._tagging,
                          **self._mime_limits)
        self.runtime_stats = RuntimeStats()
        self.runtime_stats.watch(store)
        self._handler = MailHandler(self._policy, store, on_message, stats=self.runtime_stats)

    def _run_loop(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _bind_address(self, port: int) -> str:
        # A name such as "localhost" may resolve to both 127.0.0.1 and ::1;
        # with port 0 each would get a different free port, so a free port is
        # taken on the first address only.
        if port:
            return self.host
        family_info = socket.getaddrinfo(self.host, None, type=socket.SOCK_STREAM)
        return str(family_info[0][4][0])

    async def _open_listeners(self, tls_context: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        hostname = "localhost" if is_loopback(self.host) else socket.gethostname()
        settings = dict(
            handler=self._handler, policy=self._policy, limits=self._smtp_limits,
            # One budget for both ports, fresh at every start.
            auth_budget=self._smtp_limits.failure_budget(),
            live_connections=self._live_connections, hostname=hostname, ident=_GREETING_IDENT,
            size_limit=self._size_limit,
        )
        plain_settings = SessionSettings(**settings, tls_context=tls_context,
                                         auth_require_tls=not is_loopback(self.host))
        # The implicit-TLS port's sessions are encrypted from the start: no
        # STARTTLS to offer, AUTH without waiting for one.
        implicit_settings = SessionSettings(**settings, tls_context=None, auth_require_tls=False)

        def plain_session() -> DevSMTP:
            return DevSMTP(plain_settings, implicit_tls=False)

        def implicit_tls_session() -> ImplicitTLS:
            return ImplicitTLS(lambda: DevSMTP(implicit_settings, implicit_tls=True),
                               tls_context, self._smtp_limits, self._tls_handshakes)

        plain = await loop.create_server(
            plain_session, self._bind_address(self._requested_port), self._requested_port
        )
        self._listeners.append(plain)
        self.port = plain.sockets[0].getsockname()[1]
        if self._requested_tls_port is not None:
            implicit = await loop.create_server(
                implicit_tls_session,
                self._bind_address(self._requested_tls_port),
                self._requested_tls_port,
            )
            self._listeners.append(implicit)
            self.tls_port = implicit.sockets[0].getsockname()[1]
        for service in self._services:
            self._service_stops.append(await service(self))

    async def _close_everything(self) -> None:
        while self._service_stops:
            await asyncio.wait_for(self._service_stops.pop()(), _THREAD_TIMEOUT)
        for listener in self._listeners:
            listener.close()
        for handshake in list(self._tls_handshakes):
            handshake.abort()
        for connection in list(self._live_connections):
            connection.abort_connection()
        for listener in self._listeners:
            await asyncio.wait_for(listener.wait_closed(), _THREAD_TIMEOUT)
        # Let the aborted connections run connection_lost(), then reap the
        # command loops it cancelled, so nothing is left pending.
        await asyncio.sleep(0)
        current = asyncio.current_task()
        leftovers = [task for task in asyncio.all_tasks() if task is not current]
        for task in leftovers:
            task.cancel()
        if leftovers:
            await asyncio.wait(leftovers, timeout=_THREAD_TIMEOUT)
        # A message being parsed on the store's thread finishes storing
        # before stop() closes the store under it.
        if self._handler is not None:
            await asyncio.to_thread(self._handler.intake.stop, _THREAD_TIMEOUT)
        await asyncio.wait_for(asyncio.get_running_loop().shutdown_default_executor(), _THREAD_TIMEOUT)
        await asyncio.get_running_loop().shutdown_asyncgens()


async def _serve_http(server: DevServer, *, host: str, port: int, basic_auth: tuple[str, str] | None,
                      features: Features | None, allowed_hosts: tuple[str, ...],
                      limits: HttpLimits) -> Callable[[], Awaitable[None]]:
    """The service that serves the page and the API beside SMTP."""
    store = server.store
    assert store is not None  # services start after the store opened
    http = HttpSide(store, host, port, basic_auth, features=features, stats=server.runtime_stats,
                            allowed_hosts=allowed_hosts, limits=limits)
    await http.start()
    server.http_port, server.url = http.port, http.url
    return http.stop
