"""What a client knows of its connection: :class:`ClientState`, shared by both drivers.

The blocking :class:`smtp_core.client.Client` and the asyncio
:class:`smtp_core.aio.client.Client` send the same commands in the same
order; only their I/O differs.  What they *learn* is written once, here,
with no I/O: the greeting's outcome, the EHLO keywords and AUTH
mechanisms, whether TLS is on, whether AUTH succeeded.  Rules:

* **One writer.**  These attributes change only through the client's own
  commands (``hello``, ``greet``, ``starttls``, ``auth``) and the
  transitions below; the layers above read them, and ask the client's
  public methods for a change (the Pythonic layer's
  :class:`~smtp_core.pythonic.session.Session` included).
* **Greeting**: EHLO, and HELO when EHLO is refused, once
  (:meth:`ClientState.hello_steps`, run by both drivers' ``greet``); the
  outcome is kept and a failed greeting raised again each time.  No HELO
  after an EHLO that left the connection closed (a timeout, a runaway
  reply): its "closed" error would hide the cause.
* **EHLO** replaces the keywords; the AUTH list only when the reply has an
  AUTH keyword (Go's rule: the old list survives an EHLO without one).
  **HELO** leaves no keywords (``extensions`` is ``None``).
* **STARTTLS** forgets that AUTH succeeded (the server forgets it too,
  RFC 3207); asked to (``forget_auth=True``, beyond Go), it also forgets
  the AUTH list learnt before TLS, which a man in the middle may have
  written.
* **DATA**: while a writer is open no command may be sent; a closed
  writer takes nothing (a write is EPIPE, a second close EBADF, both of
  our own text: Go's would send stray bytes).  :class:`MessageWriter`
  keeps that rule for both drivers' writers.
* ``session`` is room for the layer above to keep what it knows of the
  connection; it lives and dies with the client, and the engine never
  reads it.

>>> state = ClientState()
>>> state._learn_ehlo("mx.example\\nPIPELINING\\nAUTH PLAIN LOGIN")
>>> state.extensions, state.auth_mechanisms
({'PIPELINING': '', 'AUTH': 'PLAIN LOGIN'}, ['PLAIN', 'LOGIN'])
>>> state._learn_ehlo("mx.example\\nSTARTTLS")
>>> state.auth_mechanisms  # Go keeps the list of an EHLO without AUTH
['PLAIN', 'LOGIN']
>>> state.offers("starttls"), state.offers("AUTH")
((True, ''), (False, ''))
"""

from __future__ import annotations

import errno
import ssl

from .errors import FAILURES, HelloError, SMTPError
from .gocompat.goformat import go_upper
from .gocompat.neterror import go_error
from .protocol.auth import ServerInfo
from .protocol.commands import check_line, parse_ehlo
from .protocol.dotstuff import DotEncoder
from .steps import Steps
from .tls import TLSConfig

__all__ = ["ClientState", "MessageWriter", "HELLO_TOO_LATE", "writer_error"]

HELLO_TOO_LATE = "smtp: Hello called after other methods"


class ClientState:
    """The state of one SMTP connection as a client sees it (see the module's rules).

    ``server_name`` is the name given to authentication, ``local_name``
    the EHLO name, ``greeting`` the server's 220 text; ``extensions`` maps
    EHLO keywords (upper-cased) to their parameters (``None`` before EHLO
    and after HELO); ``auth_mechanisms`` is the last AUTH keyword's list;
    ``did_hello`` and ``hello_error`` say whether the greeting was tried
    and how it failed; ``authenticated`` whether AUTH succeeded since the
    last TLS change.  ``_t`` is the driver's transport.
    """

    def __init__(self, host: str = "") -> None:
        self.server_name = host
        self.local_name = "localhost"
        #: EHLO keywords (upper-cased) to their parameters; ``None`` after HELO.
        self.extensions: dict[str, str] | None = None
        #: The mechanisms of the last AUTH keyword seen, or ``None``.
        self.auth_mechanisms: list[str] | None = None
        self.did_hello = False
        self.hello_error: BaseException | None = None
        self._authenticated = False
        self._writer = None
        #: Room for the layer above to keep what it knows of this connection
        #: (the Pythonic layer's :class:`~smtp_core.pythonic.session.Session`);
        #: it lives and dies with the client.  The engine never reads it.
        self.session: object | None = None
        self.greeting = ""

    # -- what the connection is ----------------------------------------------
    @property
    def tls(self) -> bool:
        """Whether the connection is TLS (set by STARTTLS even if its handshake failed)."""
        return self._t.is_tls

    @property
    def closed(self) -> bool:
        return self._t.closed

    @property
    def timeout(self) -> float | None:
        return self._t.timeout

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        # The transport owns the bound and how it is enforced.
        self._t.set_timeout(seconds)

    @property
    def transport(self):
        """The transport under this client (for layers that write several
        commands at once, as pipelining does)."""
        return self._t

    @property
    def writing(self) -> bool:
        """Whether a DATA writer is open (no command may be sent until it is closed)."""
        return self._writer is not None

    @property
    def authenticated(self) -> bool:
        """Whether AUTH succeeded on this connection since its last TLS change (beyond Go)."""
        return self._authenticated

    @property
    def mailer(self) -> object | None:
        """The former name of :attr:`session`."""
        return self.session

    def server_info(self, plaintext_allowed: bool = False) -> ServerInfo:
        """What an authentication mechanism is told about this server."""
        return ServerInfo(self.server_name, self.tls, self.auth_mechanisms, plaintext_allowed)

    def offers(self, name: str) -> tuple[bool, str]:
        """Whether the last EHLO advertised ``name`` (any case), and its parameters; no I/O."""
        if self.extensions is None:
            return False, ""
        params = self.extensions.get(go_upper(name))
        return (params is not None), (params or "")

    def _state_words(self) -> str:
        return "%s %s" % (self.server_name or "?", "closed" if self.closed else ("TLS" if self.tls else "plaintext"))

    def _greeted_words(self) -> str:
        if not self.did_hello:
            return "not greeted"
        return "greeted" if self.hello_error is None else "greeting failed"

    # -- commands --------------------------------------------------------------
    def _cmd(self, expect: int, line: bytes, stage: str, secret: bool = False):
        """Send one command line and read its reply, through the driver's
        transport: the reply (blocking), or an awaitable of it (asyncio).
        Never while the DATA writer is open."""
        if self._writer is not None:
            raise SMTPError("smtp: close the DATA writer before sending another command")
        return self._t.exchange(line, expect, stage, secret)

    # -- the greeting: one rule, each driver's commands ----------------------
    @property
    def hello_ok(self) -> bool:
        """Whether the greeting was done and succeeded (then ``greet`` has nothing to do)."""
        return self.did_hello and self.hello_error is None

    def hello_steps(self) -> Steps:
        """The greeting as steps (:mod:`smtp_core.steps`): the driver's
        ``_ehlo``, and its ``_helo`` when EHLO fails (see the module's rules)."""
        if not self.did_hello:
            self.did_hello = True
            try:
                yield self._ehlo,
            except FAILURES as ehlo_error:
                if self.closed:
                    self.hello_error = ehlo_error
                else:
                    try:
                        yield self._helo,
                    except FAILURES as err:
                        self.hello_error = err
        if self.hello_error is not None:
            raise self.hello_error

    # -- transitions (no I/O; the drivers call them around their commands) ---
    def _hello_as(self, local_name: str) -> None:
        """``hello``'s checks, then the name to greet with."""
        check_line(local_name)
        if self.did_hello:
            raise HelloError(HELLO_TOO_LATE)
        self.local_name = local_name

    def _learn_ehlo(self, text: str) -> None:
        extensions, mechanisms = parse_ehlo(text)
        if mechanisms is not None:
            self.auth_mechanisms = mechanisms
        self.extensions = extensions

    def _learn_helo(self) -> None:
        self.extensions = None

    def _tls_plan(self, config: TLSConfig | ssl.SSLContext | None, server_name: str, forget_auth: bool):
        """``starttls``'s settings: ``(context, server name, refusal)``; with
        ``forget_auth`` the AUTH list is forgotten now, before STARTTLS is sent."""
        if forget_auth:
            self.auth_mechanisms = None
        refusal = None
        if isinstance(config, TLSConfig):
            server_name = config.server_name
            # Settings Go refuses at the handshake fail after STARTTLS, as in Go;
            # the context is built before anything is sent, so a bad CA file
            # costs no round trip.
            refusal = config.handshake_refusal()
            ctx = None if refusal else config.context()
        else:
            ctx = config
        return ctx, server_name, refusal

    def _tls_started(self) -> None:
        """STARTTLS, its handshake and the new EHLO succeeded: AUTH must be done again."""
        self._authenticated = False

    def _auth_succeeded(self) -> None:
        self._authenticated = True


class MessageWriter:
    """What both drivers' DATA writers share: the client they write for,
    the dot-stuffing encoder, the wire bytes counted, and the rule that a
    closed writer takes nothing (see the module's rules)."""

    __slots__ = ("_client", "_encoder", "_pending", "_wire", "_closed")

    def __init__(self, client: ClientState) -> None:
        self._client = client
        self._encoder = DotEncoder()
        self._pending = bytearray()
        self._wire = 0  # wire bytes produced so far
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_writable(self) -> None:
        if self._closed:
            raise writer_error(errno.EPIPE, "smtp: write to a closed DATA writer")

    def _finish(self) -> bytes:
        """Close the writer, free its client for the next command, and
        return the message's last wire bytes (the ``.`` line)."""
        if self._closed:
            raise writer_error(errno.EBADF, "smtp: DATA writer already closed")
        self._closed = True
        self._client._writer = None
        return self._encoder.finish()


def writer_error(code: int, text: str) -> OSError:
    """An I/O error of a DATA writer used wrongly (both drivers raise it)."""
    return go_error(OSError(code, text), text)
