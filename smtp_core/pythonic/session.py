"""One connection as the Pythonic layer sees it: :class:`Session`.

Rules of this module:

* **One options object.**  The keyword arguments of
  :func:`~smtp_core.connect`, :func:`~smtp_core.send` and
  :func:`~smtp_core.send_many` arrive as one
  :class:`~smtp_core.pythonic.options.Options`, checked once.
* **One owner per piece of state.**  What the connection itself is and
  learnt (greeted, the EHLO keywords and AUTH list, TLS, authenticated)
  is the client's (:class:`~smtp_core.clientstate.ClientState`), changed
  only through its public methods; a :class:`Session` holds only what the
  client does not know: the timeouts remembered for later sends, whether
  the TLS policy was applied, and the extensions worked out for sending.
  It is kept on the client (``client.session``), so a
  :class:`~smtp_core.client.Client` made anywhere (``smtp_core.dial``, the
  Go namespace) can be handed to ``send``, and nothing outlives it.  No
  module-level state.
* **Preparing** greets once (EHLO, HELO when refused), applies the TLS
  policy, and authenticates once per TLS state.  Credentials never cross
  an unencrypted connection to a server whose name is not ``localhost``,
  ``127.0.0.1`` or ``::1``, whatever the mechanism, unless the caller says
  ``allow_plaintext_auth=True``: a man in the middle who strips STARTTLS
  gets :class:`~smtp_core.errors.TLSRequiredError`, not an AUTH line.  A
  refused AUTH is not followed by Go's ``*`` line (only an answer to a
  challenge may cancel); the client QUITs.  ``"required"`` and
  ``"implicit"`` fail closed: a connection that cannot be TLS says QUIT
  (it carries nothing secret) before any credential or envelope.  After
  STARTTLS what the server said before is forgotten, its AUTH list
  included (RFC 3207; Go keeps it).
* **Leaving** is :meth:`~smtp_core.client.Client.quit_quietly` with
  ``then_close``: QUIT, and close whatever happens.  A 421 reply, the
  server's notice that it is closing, closes the connection at once.
* Only public methods and attributes of :class:`~smtp_core.client.Client`
  are used, and its attributes are only read (``timeout`` is a setter of
  the transport's bound; ``session`` is the room the client keeps for
  this layer).
"""

from __future__ import annotations

import socket
import ssl
import weakref
from functools import partial
from typing import Iterable, Sequence

from ..protocol.auth import Auth, choose_auth
from ..client import Client, split_host_port
from ..client import connect as open_socket
from ..protocol.commands import check_line
from ..gocompat.goformat import go_quote
from ..protocol.auth import is_localhost
from ..errors import AuthError, ReplyError, StageTimeout, TLSRequiredError
from ..tls import TLSConfig
from .capabilities import ServerProfile
from .addresses import dial_address, tls_host_name, wire_host_name
from .options import Options
from .pipeline import abandon, delivering
from ..steps import Steps, run
from .timeouts import TimeoutSpec, Timeouts, resolve
from .tlspolicy import server_name_of, tls_settings, wrap_implicit

__all__ = ["Session", "open_client", "dial_plan", "opened"]


class Session:
    """What the Pythonic layer knows of one connection beyond what its
    client knows, and what it does with it.

    ``timeouts`` is the table remembered for later sends; ``prepared`` says
    that :meth:`prepare` applied the TLS policy already (whether AUTH was
    done is the client's ``authenticated``); ``server`` is what sending
    learnt of the server's extensions (worked out once per EHLO).  The
    client is held weakly: it holds its session.
    """

    __slots__ = ("_client", "timeouts", "prepared", "server", "_spec", "_table")

    def __init__(self, client: Client, timeouts: Timeouts) -> None:
        self._client = weakref.ref(client)
        self.timeouts = timeouts
        self.prepared = False
        self.server: ServerProfile | None = None
        self._spec: TimeoutSpec = None  # the last timeout= of a send, and its table
        self._table: Timeouts = timeouts

    @classmethod
    def of(cls, client: Client, timeout: TimeoutSpec) -> "Session":
        """The client's session, made now (remembering ``timeout``) if it has none."""
        session = client.session
        if not isinstance(session, Session):
            session = client.session = cls(client, resolve(timeout, None))
        return session

    @property
    def client(self) -> Client:
        client = self._client()
        if client is None:
            raise ReferenceError("smtp: the client of this Session is gone")
        return client

    def timeouts_for(self, timeout: TimeoutSpec) -> Timeouts:
        """The table for one send: its own ``timeout``, else the remembered one."""
        if timeout is None:
            return self.timeouts
        if timeout != self._spec:
            self._spec, self._table = timeout, resolve(timeout, None)
        return self._table

    # -- preparing -------------------------------------------------------
    def ready(self, options: Options) -> Timeouts:
        """:meth:`readying`, run with blocking calls."""
        return run(self.readying(options))

    def readying(self, options: Options) -> Steps:
        """Prepare the client if that has not happened yet (or must again);
        return the timeouts of this call."""
        if (not self.prepared or (options.auth is not None and not self.client.authenticated)
                or (options.tls == "required" and not self.client.tls)):
            yield from self.preparing(options)
        return self.timeouts_for(options.timeout)

    def prepare(self, options: Options) -> None:
        """:meth:`preparing`, run with blocking calls."""
        run(self.preparing(options))

    def preparing(self, options: Options) -> Steps:
        """Greet, apply the TLS policy, authenticate (see the module's rules)."""
        try:
            yield from self._prepare(options)
        except ReplyError as err:
            if err.code == 421:  # the server is closing the connection
                abandon(self.client)
            raise

    def _prepare(self, options: Options) -> Steps:
        client = self.client
        tls = options.tls
        client.timeout = self.timeouts.command
        yield from self.greeting(options.local_name)
        if not client.tls and tls != "none" and (tls == "required" or tls == "implicit" or not self.prepared):
            offered = client.offers("STARTTLS")[0]
            if tls == "implicit" or (tls == "required" and not offered):
                yield from self.leaving()
                if tls == "implicit":
                    raise TLSRequiredError("smtp: TLS policy is \"implicit\" but the connection is not TLS")
                raise TLSRequiredError("smtp: the server does not offer STARTTLS and the TLS policy is \"required\"")
            if offered:
                settings = tls_settings(client.server_name, options.tls_config, options.verify, options.server_name)
                # RFC 3207: what the server said before TLS may have been forged.
                # The re-EHLO replaces the extensions; the AUTH list must not
                # survive either when the new EHLO lacks AUTH (Go keeps it).
                # The client forgets that AUTH was done (the server does too).
                starttls = partial(client.starttls, forget_auth=True)
                if isinstance(settings, ssl.SSLContext):
                    yield starttls, settings, tls_host_name(options.server_name or client.server_name)
                else:
                    yield starttls, settings
        self.prepared = True
        if options.auth is not None and not client.authenticated:
            yield from self.authenticating(options.auth, options.allow_plaintext_auth)

    def greeting(self, local_name: str | None) -> Steps:
        """EHLO (HELO if EHLO is refused) as ``local_name``, once."""
        client = self.client
        if local_name is not None and not client.did_hello:
            yield client.hello, wire_host_name(check_line(local_name))
        else:
            yield client.greet,

    def authenticating(self, auth: Auth | Sequence[Auth], allow_plaintext: bool = False) -> Steps:
        """AUTH with ``auth``, or with the strongest of a list the server offers;
        over plaintext only to a local name or with ``allow_plaintext``."""
        client = self.client
        if not client.tls and not allow_plaintext and not is_localhost(client.server_name):
            yield from self.leaving()  # nothing secret was sent: QUIT, as the "required" policy does
            raise TLSRequiredError(
                "smtp: refusing to authenticate to %s over an unencrypted connection (STARTTLS was not "
                "offered, or tls=\"none\"): anyone on the path could read or replay the credentials; "
                "use tls=\"required\" or \"implicit\", or pass allow_plaintext_auth=True if the network "
                "is trusted" % go_quote(client.server_name))
        if not client.offers("AUTH")[0]:
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
        try:
            yield partial(client.auth, go_abort=False, plaintext_allowed=allow_plaintext), mechanism
        except BaseException as err:
            if not (isinstance(err, ReplyError) and err.code == 421):  # a 421 closes: see prepare
                yield from self.leaving()
            raise

    # -- sending and leaving -----------------------------------------------
    def profile(self) -> ServerProfile:
        """What sending needs of the server, worked out once per EHLO (a STARTTLS replaces it)."""
        extensions = self.client.extensions or {}
        server = self.server
        if server is None or server.extensions is not extensions:
            server = self.server = ServerProfile(extensions)
        return server

    def delivering(self, table: Timeouts, items: Iterable, pipelining: bool, results: list,
                   normalize_line_ends: bool = True, signers: tuple = ()) -> Steps:
        """Send ``items`` (see :func:`smtp_core.pythonic.pipeline.delivering`)."""
        return delivering(self.client, self.profile(), table, items, pipelining, results, normalize_line_ends,
                          signers)

    def finishing(self, table: Timeouts, quit: bool | None, owned: bool) -> Steps:
        """QUIT after a send when asked (by default when the call opened the connection)."""
        if quit if quit is not None else owned:
            # The message is accepted: a failing QUIT must not make the caller
            # think otherwise (and send it twice).
            self.client.timeout = table.command
            yield from self.leaving()

    def leaving(self) -> Steps:
        """QUIT, and close whatever happens."""
        client = self._client()
        if client is not None:
            yield partial(client.quit_quietly, then_close=True),


def dial_plan(address: str, options: Options) -> tuple[Timeouts, str, TLSConfig | ssl.SSLContext | None]:
    """What connecting to ``address`` needs, worked out before any
    connection: the timeouts, the server's name, and the TLS settings of
    implicit TLS (``None`` otherwise; a bad CA file costs no connection)."""
    table = resolve(options.timeout, options.connect_timeout)
    host, _ = split_host_port(address)
    name = server_name_of(host, options.tls_config, options.server_name)
    settings = None
    if options.tls == "implicit":
        settings = tls_settings(name, options.tls_config, options.verify, options.server_name)
    return table, name, settings


def opened(client, table: Timeouts, options: Options) -> Steps:
    """Give a client just connected its :class:`Session` and prepare it;
    close it on any failure.  Returns the client."""
    session = client.session = Session(client, table)
    try:
        yield from session.preparing(options)
    except BaseException:
        abandon(client)
        raise
    return client


def open_client(address: str, options: Options) -> Client:
    """Connect to ``address``, greet, apply the TLS policy, authenticate;
    return the client, its :class:`Session` in ``client.session``.

    On any failure the connection is closed and the error raised.
    """
    table, name, settings = dial_plan(address, options)
    try:
        sock, _ = open_socket(dial_address(address), table.connect)
    except socket.timeout:
        raise StageTimeout("connect", table.connect) from None
    if settings is not None:
        sock = wrap_implicit(sock, settings, name, table.command)
    client = Client(sock, name, timeout=table.greeting, redact=options.redact)
    # Our own socket: the kernel can enforce the timeouts (one system call
    # per send or recv instead of a poll more, and none to change them).
    client.transport.use_kernel_timeouts()
    return run(opened(client, table, options))
