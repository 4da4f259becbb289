"""The dev server's HTTP side: the API and the page, served in its event loop.

Rules:

* HTTP listens on loopback by default.  Any other address needs basic
  authentication (``--http-auth user:password``) or the explicit
  ``--http-no-auth``; :func:`check_http_exposure` says so by name.
* The password never needs to be on the command line (where ``ps`` shows
  it): ``--http-auth-file PATH`` reads ``USER:PASSWORD`` from a file, and
  :data:`HTTP_AUTH_ENV` from the environment (:func:`read_credentials`).
* Requests are served only for the catcher's own names (the listen
  address, loopback names on loopback, ``--http-allowed-host``) and
  within the connection limits of :mod:`smtp_core.devserver.web.httpguard`.
* The mail folder defaults to one stable per-user folder
  (:func:`default_maildir`), so that caught mail survives a restart.

>>> url_for("127.0.0.1", 8025), url_for("::1", 8025)
('http://127.0.0.1:8025/', 'http://[::1]:8025/')
>>> parse_credentials("ann:s3cret:x")
('ann', 's3cret:x')
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from aiohttp import web

from ..features import STARTTLS_MODES, Features, RelaySettings, RuntimeStats, parse_relay
from ..mailbox.store import DEFAULT_MAX_MESSAGES, MailStore
from ..smtp.policy import Chaos, is_loopback, parse_chaos_triggers, read_secret_lines
from . import api, httpguard, mailpit_extra, page
from .httpguard import HttpLimits

__all__ = ["HttpSide", "DEFAULT_HTTP_PORT", "default_maildir", "url_for", "parse_credentials",
           "check_http_exposure", "add_arguments", "http_options", "read_credentials", "HTTP_AUTH_ENV", "HttpLimits"]

DEFAULT_HTTP_PORT = 8025  # Mailpit's
#: The environment variable holding ``USER:PASSWORD`` for HTTP basic auth.
HTTP_AUTH_ENV = "SMTP_DEVSERVER_HTTP_AUTH"


def default_maildir() -> Path:
    """``$XDG_DATA_HOME/gostd-smtp/devserver/mail``, else
    ``~/.local/share/gostd-smtp/devserver/mail``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gostd-smtp" / "devserver" / "mail"


def url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def parse_credentials(text: str) -> tuple[str, str]:
    """``"user:password"`` to ``(user, password)``; ``ValueError`` otherwise."""
    user, colon, password = text.partition(":")
    if not colon or not user or not password:
        raise ValueError(f"HTTP auth expects USER:PASSWORD, got {text!r}")
    return user, password


def read_credentials(option: str | None, path: str | None,
                     environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """The HTTP credentials from ``--http-auth``, else the file ``path``
    (its first line; group and others must have no access), else
    :data:`HTTP_AUTH_ENV`; ``None`` if none is given.
    ``ValueError`` names the source that is wrong, never the password."""
    environ = os.environ if environ is None else environ
    if option is not None and path is not None:
        raise ValueError("give --http-auth or --http-auth-file, not both")
    if path is not None:
        text = read_secret_lines("--http-auth-file", path)
        source, option = f"--http-auth-file {path}", (text[0].strip() if text else "")
    elif option is not None:
        source = "--http-auth"
    elif environ.get(HTTP_AUTH_ENV):
        source, option = HTTP_AUTH_ENV, environ[HTTP_AUTH_ENV]
    else:
        return None
    try:
        return parse_credentials(option)
    except ValueError:
        raise ValueError(f"{source}: HTTP auth expects USER:PASSWORD") from None


def check_http_exposure(host: str, basic_auth: tuple[str, str] | None, allow_without_auth: bool) -> None:
    """Refuse (``ValueError``) to serve caught mail off loopback without a
    password, unless explicitly allowed."""
    if not is_loopback(host) and basic_auth is None and not allow_without_auth:
        raise ValueError(
            f"HTTP on {host} (not loopback) shows caught mail to anyone who can reach it: "
            f"give --http-auth USER:PASSWORD (or --http-auth-file PATH, or ${HTTP_AUTH_ENV}), "
            "or --http-no-auth to allow it anyway"
        )


class HttpSide:
    """The API and the page for ``store`` on ``host:port``, run by
    :meth:`start` and :meth:`stop` inside the caller's event loop."""

    def __init__(self, store: MailStore, host: str, port: int,
                 basic_auth: tuple[str, str] | None = None, *,
                 allowed_hosts: Iterable[str] = (), limits: HttpLimits = HttpLimits(),
                 features: Features | None = None, stats: RuntimeStats | None = None):
        self._store = store
        self._features, self._stats = features, stats
        self.host = host
        self.port = port
        self._basic_auth = basic_auth
        self._allowed_hosts = tuple(allowed_hosts)
        self._limits = limits
        self._first_request = httpguard.FirstRequestDeadline(limits.idle_timeout)
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return url_for(self.host, self.port)

    async def start(self) -> None:
        """Bind and serve; ``OSError`` if the port is taken.  Port 0 takes a
        free one (:attr:`port` tells which)."""
        # Our own socket, so that port 0 tells which port it got (and the
        # Host check knows it before the first request).
        family = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.create_server((self.host, self.port), family=family)
        self.port = listener.getsockname()[1]
        app = api.make_app(self._store, basic_auth=self._basic_auth, limits=self._limits,
                           hosts=httpguard.HostPolicy(self.host, self.port, self._allowed_hosts),
                           first_request=self._first_request)
        page.add_routes(app)
        mailpit_extra.add_routes(app, self._features, self._stats)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     keepalive_timeout=self._limits.idle_timeout,
                                     # what a handler left unread is not waited for long
                                     lingering_time=min(1.0, self._limits.body_timeout))
        try:
            await self._runner.setup()
            self._listener = await asyncio.get_running_loop().create_server(self._connection, sock=listener)
        except BaseException:
            listener.close()
            await self._runner.cleanup()
            self._runner = None
            raise

    def _connection(self) -> asyncio.BaseProtocol:
        """A new connection's protocol: aiohttp's, or a 503 past the limit."""
        server = self._runner.server if self._runner is not None else None
        if server is None or len(server.connections) >= self._limits.max_connections:
            return httpguard.refuse_connection()
        return self._first_request.watch(server())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.wait_closed()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command line's options for the page, the API and the store."""
    http = parser.add_argument_group("web page and API (Mailpit's /api/v1)")
    http.add_argument("--http-host", default="127.0.0.1",
                      help="address for the page and the API (default: %(default)s)")
    http.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT,
                      help="port for the page and the API, 0 for a free one (default: %(default)s)")
    http.add_argument("--no-http", action="store_true", help="serve no page and no API")
    http.add_argument("--http-auth", metavar="USER:PASSWORD",
                      help="require HTTP basic authentication (needed off loopback); visible in ps: "
                           f"prefer --http-auth-file or ${HTTP_AUTH_ENV}")
    http.add_argument("--http-auth-file", metavar="PATH",
                      help="read USER:PASSWORD for HTTP basic authentication from the first line of PATH")
    http.add_argument("--http-allowed-host", action="append", default=[], metavar="NAME[:PORT]",
                      help="also answer requests whose Host header is NAME (any port, or only PORT): "
                           "a name of a proxy or of this machine; repeatable (others get 403)")
    http.add_argument("--http-no-auth", action="store_true",
                      help="allow the page and the API off loopback without --http-auth")
    _add_feature_arguments(parser)
    http.add_argument("--max-messages", type=int, default=DEFAULT_MAX_MESSAGES, metavar="N",
                      help="keep at most N messages, pruning the oldest; 0 for no limit (default: %(default)s)")


def http_options(parser: argparse.ArgumentParser, options: argparse.Namespace) -> dict[str, Any] | None:
    """:class:`~smtp_core.devserver.DevServer` keywords for HTTP from parsed
    options, ``None`` with ``--no-http``; a bad combination is a parser error
    naming the option."""
    if options.max_messages < 0:
        parser.error("--max-messages must be >= 0")
    if options.no_http:
        return None
    if not 0 <= options.http_port <= 65535:
        parser.error(f"--http-port must be 0-65535, got {options.http_port}")
    try:
        basic_auth = read_credentials(options.http_auth, options.http_auth_file)
        check_http_exposure(options.http_host, basic_auth, options.http_no_auth)
        for name in options.http_allowed_host:
            httpguard.HostPolicy("127.0.0.1", 0, [name])
    except ValueError as error:
        parser.error(str(error))
    return dict(http_host=options.http_host, http_port=options.http_port, http_auth=basic_auth,
                http_no_auth=options.http_no_auth, http_allowed_hosts=tuple(options.http_allowed_host))


# ---- Mailpit's optional features (release, SpamAssassin, label) ----


def _add_feature_arguments(parser: argparse.ArgumentParser) -> None:
    features = parser.add_argument_group("Mailpit features")
    features.add_argument("--label", default="", help="a name for this catcher, shown by /api/v1/webui")
    features.add_argument("--smtp-relay", metavar="HOST:PORT",
                          help="release (POST /api/v1/message/{ID}/release) sends through this SMTP server")
    features.add_argument("--smtp-relay-auth", metavar="USER:PASSWORD", help="log in to the relay")
    features.add_argument("--smtp-relay-starttls", choices=STARTTLS_MODES, default="opportunistic",
                          help="STARTTLS to the relay (default: %(default)s)")
    features.add_argument("--smtp-relay-allowed", metavar="REGEX",
                          help="release only to recipients this regular expression matches")
    features.add_argument("--enable-spamassassin", metavar="HOST:PORT",
                          help="check messages with this spamd (GET /api/v1/message/{ID}/sa-check)")
    features.add_argument("--enable-chaos", action="store_true",
                          help="allow chaos triggers (GET/PUT /api/v1/chaos): SMTP errors at MAIL, RCPT, AUTH")
    features.add_argument("--chaos-triggers", metavar="TRIGGER:CODE:PERCENT,...",
                          help="enable chaos with these triggers, e.g. Sender:451:50,Recipient:550:10")


def feature_options(parser: argparse.ArgumentParser, options: argparse.Namespace) -> Features:
    """The :class:`Features` the options ask for; a bad value is a parser
    error naming its option."""
    relay_only = [name for name in ("smtp_relay_auth", "smtp_relay_allowed") if getattr(options, name)]
    if relay_only and not options.smtp_relay:
        parser.error(f"--{relay_only[0].replace('_', '-')} needs --smtp-relay HOST:PORT")
    try:
        relay = None
        if options.smtp_relay:
            host, port = parse_relay(options.smtp_relay)
            auth = parse_credentials(options.smtp_relay_auth) if options.smtp_relay_auth else None
            allowed = re.compile(options.smtp_relay_allowed) if options.smtp_relay_allowed else None
            relay = RelaySettings(host, port, auth, options.smtp_relay_starttls, allowed)
        if options.enable_spamassassin:
            parse_relay(options.enable_spamassassin, "--enable-spamassassin")
        chaos = None
        if options.enable_chaos or options.chaos_triggers:
            triggers = parse_chaos_triggers(options.chaos_triggers) if options.chaos_triggers else None
            chaos = Chaos(triggers)
    except re.error as error:
        parser.error(f"--smtp-relay-allowed is not a regular expression: {error}")
    except ValueError as error:
        parser.error(str(error).replace("HTTP auth", "--smtp-relay-auth"))
    return Features(label=options.label, relay=relay, spamassassin=options.enable_spamassassin, chaos=chaos)
