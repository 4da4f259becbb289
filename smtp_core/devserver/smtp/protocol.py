"""The dev server's SMTP sessions: the driver of :mod:`.grammar`, on asyncio.

One :class:`DevSMTP` per connection, an ``asyncio.Protocol``: each
``data_received`` splits the bytes into lines and answers every complete
command at once, then writes the replies in one go, so a pipelined burst
costs one write, no coroutine per command and no ``drain()`` per reply.  It
leaves that synchronous path only where it must wait: for the store at the
final dot (the ``250`` only once the message is in the Maildir and the
index) and for the STARTTLS handshake; lines that arrive meanwhile wait in
order.  AUTH exchanges are :mod:`.auth`'s generators, fed line by line.

The rules are aiosmtpd 1.4.6's, whose replies clients and tests know
(:mod:`.grammar`), with the dev server's additions:

* CRAM-MD5 beside PLAIN and LOGIN; PIPELINING advertised;
* STARTTLS refused with 554 once the connection is encrypted (RFC 3207
  section 4.2), and the plaintext pipelined after a STARTTLS dropped
  (CVE-2024-34083: it must not be answered inside TLS);
* ``--require-auth`` (530) and the injected failures of the :class:`Policy`;
* the limits of :mod:`.limits`: connections at once (421), a timeout that
  says so (421), failed logins per client address (454);
* the fifth unknown command in a session closes it (502), as aiosmtpd does;
* the DATA payload read in whole chunks by :mod:`.dataread`.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from base64 import b64encode
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from . import grammar
from .auth import ABORTED, MECHANISMS, Credentials
from .dataread import DataReader
from .handler import Envelope, MailHandler
from .limits import TIMEOUT_EXCEEDED, TOO_MANY_CONNECTIONS, SmtpLimits, auth_throttled
from .policy import Policy, ReplyOverride
from ..failurebudget import FailureBudget
from ..mailbox.received import escape_controls

__all__ = ["DevSMTP", "SessionSettings", "install_log_filter"]

log = logging.getLogger(__name__)

# The unknown commands a session may send; the last one closes it.
_BOGUS_LIMIT = 5
# Bytes of pipelined input held while the session waits (store, handshake);
# beyond them the socket is not read until the wait is over.
_HELD_WHILE_WAITING = 1 << 16
# The commands ``--fail-at`` can answer instead, by their stage.
_INJECTABLE = {"HELO": "ehlo", "EHLO": "ehlo", "MAIL": "mail", "RCPT": "rcpt", "DATA": "data"}
_AUTH_REQUIRED = "530 5.7.0 Authentication required"


class _EscapingLogFilter(logging.Filter):
    """Client values in our log records (an unknown command, a peer's
    text) are escaped once formatted: a log line is one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = escape_controls(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True


_LOG_FILTER = _EscapingLogFilter()


def install_log_filter() -> None:
    """Install the log filter (idempotent: ``addFilter`` keeps one copy)."""
    logging.getLogger(__name__).addFilter(_LOG_FILTER)


@dataclass(frozen=True)
class SessionSettings:
    """What every session of one server shares."""

    handler: MailHandler
    policy: Policy
    limits: SmtpLimits
    #: Failed logins per client address, one budget for both ports.
    auth_budget: FailureBudget
    #: The sessions open now (admitted or being refused).
    live_connections: set
    hostname: str
    ident: str
    #: SIZE advertised and enforced; ``None``: unlimited.
    size_limit: int | None
    #: For STARTTLS on the plain port (``None``: not offered).
    tls_context: ssl.SSLContext | None
    #: AUTH only inside TLS (off a loopback address).
    auth_require_tls: bool


class DevSMTP(asyncio.Protocol):
    """One SMTP session (a new one for each connection)."""

    def __init__(self, settings: SessionSettings, *, implicit_tls: bool):
        self._settings = settings
        self._policy = settings.policy
        self._handler = settings.handler
        self.implicit_tls = implicit_tls
        self.limits = settings.limits
        #: Whether this session holds one of the ``max_connections`` slots.
        self.admitted = False
        self.transport: asyncio.Transport | None = None
        self._lines = grammar.CommandLines()
        self._replies: list[bytes] = []
        self._closing = False
        # The store or the handshake is under way: lines wait.
        self._waiting = False
        # Reading paused: too much arrived while waiting.
        self._paused = False
        self._payload: DataReader | None = None
        self._exchange: Generator[bytes, bytes, Credentials | str] | None = None
        self._bogus_left = _BOGUS_LIMIT
        self._peer: Any = None
        self._tls = implicit_tls
        self._loop = asyncio.get_running_loop()  # sessions are made in the server's loop
        self._timer: asyncio.TimerHandle | None = None
        self._last_command = 0.0
        self._new_session()

    def _new_session(self) -> None:
        # A connection, and again after STARTTLS (RFC 3207 section 4.2).
        self._host_name: str | None = None
        self._extended = False
        self._authenticated_as: str | None = None
        self._envelope = Envelope()

    # ---- asyncio's calls ----

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._peer = transport.get_extra_info("peername")
        live = self._settings.live_connections
        admitted = sum(connection.admitted for connection in live)
        live.add(self)
        self._touch()
        if admitted >= self.limits.max_connections:
            log.warning("refused a connection from %s: %d connections already", self._client_address(), admitted)
            self._answer(ReplyOverride(TOO_MANY_CONNECTIONS.format(host=self._settings.hostname), close=True))
        else:
            self.admitted = True
            greeting = f"220 {self._settings.hostname} {self._settings.ident}"
            self._answer(self._policy.injected_failure("connect", self._settings.hostname)
                         or ReplyOverride(greeting, close=False))
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if self._payload is not None and not self._waiting:
            self._feed_payload(data)
        else:
            self._lines.feed(data)
        self._run()

    def eof_received(self) -> bool:
        # The client is done sending: nothing more can be answered in order.
        self._closing = True
        return False

    def connection_lost(self, error: Exception | None) -> None:
        self._closing = True
        if self.transport is not None:
            # Python 3.10's TLS transport is not marked closed when the peer
            # ends an established session: closing it here (a no-op on other
            # transports and Pythons) keeps it from warning when collected.
            self.transport.close()
        self._settings.live_connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()

    def abort_connection(self) -> None:
        """Drop the connection at once (server shutdown)."""
        if self.transport is not None:
            self.transport.abort()

    # ---- the loop over what arrived ----

    def _run(self) -> None:
        """Answer every complete line held, until one needs a wait; then
        send the replies gathered, in one write."""
        lines = self._lines
        while not self._waiting and not self._closing and self._payload is None:
            line = lines.next_line()
            if line is None:
                break
            if self._exchange is not None:
                self._auth_step(line)
            else:
                self._command(line)
        self._flush()
        if self._waiting and not self._paused and lines.pending() > _HELD_WHILE_WAITING:
            assert self.transport is not None
            self._paused = True
            self.transport.pause_reading()

    def _command(self, line: bytes | object) -> None:
        if line is grammar.TOO_LONG_LINE:
            self._reply(grammar.TOO_LONG)
            return
        assert isinstance(line, bytes)
        parsed = grammar.parse_command(line, extended=self._extended)
        if isinstance(parsed, str):
            self._refuse(line, parsed)
            return
        verb, arg = parsed
        self._touch()  # a valid command restarts the idle clock
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%r >> %s %s", self._peer, verb, _loggable(verb, arg))
        stage = _INJECTABLE.get(verb)
        failure = self._policy.injected_failure(stage, self._settings.hostname) if stage else None
        if failure is not None:
            self._answer(failure)
            return
        try:
            _VERBS[verb](self, arg)
        except Exception as error:  # a bug of ours: say so, keep the session
            log.exception("SMTP session error")
            self._reply(f"500 5.3.0 Internal server error: {type(error).__name__}")

    def _refuse(self, line: bytes, reply: str) -> None:
        if not reply.startswith('500 Error: command "'):
            self._reply(reply)
            return
        log.warning("%r unrecognised: %s", self._peer, line.partition(b" ")[0].decode("ascii", "replace"))
        self._bogus_left -= 1
        if self._bogus_left < 1:
            log.warning("%r too many bogus commands", self._peer)
            self._answer(ReplyOverride("502 5.5.1 Too many unrecognized commands, goodbye.", close=True))
        else:
            self._reply(reply)

    # ---- replies ----

    def _reply(self, text: str) -> None:
        # surrogateescape: a client's own odd bytes go back as they came.
        self._replies.append(text.encode("utf-8", "surrogateescape") + b"\r\n")

    def _answer(self, override: ReplyOverride) -> None:
        """Send ``override.text`` (if any), then close if ``override.close``."""
        if override.text is not None:
            self._reply(override.text)
        if override.close:
            self._closing = True

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            self._replies.clear()
            return
        if self._replies:
            transport.write(b"".join(self._replies))
            self._replies.clear()
        if self._closing:
            transport.close()

    # ---- the idle timeout ----

    def _touch(self) -> None:
        # One timer a session, moved on lazily: a command costs a clock read.
        loop = self._loop
        self._last_command = loop.time()
        if self._timer is None:
            self._timer = loop.call_at(self._last_command + self.limits.idle_timeout, self._timed_out)

    def _timed_out(self) -> None:
        loop = self._loop
        deadline = self._last_command + self.limits.idle_timeout
        if loop.time() < deadline:
            self._timer = loop.call_at(deadline, self._timed_out)
            return
        self._timer = None
        log.info("%r connection timeout", self._peer)
        # RFC 5321 section 3.8 asks for a 421 first, as Postfix sends.
        self._answer(ReplyOverride(TIMEOUT_EXCEEDED.format(host=self._settings.hostname), close=True))
        self._flush()

    # ---- checks several commands share ----

    def _client_address(self) -> str:
        peer = self._peer
        return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)

    def _needs_helo(self, verb: str = "HELO") -> bool:
        if self._host_name is None:
            self._reply(f"503 Error: send {verb} first")
            return True
        return False

    def _needs_auth(self) -> bool:
        if self._policy.require_auth and self._authenticated_as is None:
            self._reply(_AUTH_REQUIRED)
            return True
        return False

    # ---- the commands ----

    def _helo(self, hostname: str | None) -> None:
        if not hostname:
            self._reply("501 Syntax: HELO hostname")
            return
        self._new_transaction(extended=False, host_name=hostname)
        self._reply(f"250 {self._settings.hostname}")

    def _ehlo(self, hostname: str | None) -> None:
        if not hostname:
            self._reply("501 Syntax: EHLO hostname")
            return
        self._new_transaction(extended=True, host_name=hostname)
        settings = self._settings
        offers_auth = not settings.auth_require_tls or self._tls
        for line in grammar.ehlo_lines(settings.hostname, size_limit=settings.size_limit,
                                       starttls=settings.tls_context is not None and not self._tls,
                                       mechanisms=list(MECHANISMS) if offers_auth else None):
            self._reply(line)

    def _new_transaction(self, *, extended: bool, host_name: str) -> None:
        self._envelope = Envelope()
        self._extended, self._host_name = extended, host_name

    def _out_of_order(self, missing: str | None = None) -> bool:
        """MAIL, RCPT and DATA's first checks, in aiosmtpd's order: HELO,
        AUTH, then the step before (``missing``: its refusal, if not done)."""
        if self._needs_helo() or self._needs_auth():
            return True
        if missing is not None:
            self._reply(missing)
            return True
        return False

    def _mail(self, arg: str | None) -> None:
        if self._out_of_order():
            return
        parsed = grammar.mail_arguments(arg, extended=self._extended, size_limit=self._settings.size_limit,
                                        nested=bool(self._envelope.mail_from))
        if isinstance(parsed, str):
            self._reply(parsed)
            return
        refusal = self._handler.sender_refusal()
        if refusal is not None:
            self._reply(refusal)
            return
        self._envelope.mail_from, self._envelope.mail_options = parsed
        self._reply("250 OK")

    def _rcpt(self, arg: str | None) -> None:
        if self._out_of_order(None if self._envelope.mail_from else "503 Error: need MAIL command"):
            return
        parsed = grammar.rcpt_arguments(arg, extended=self._extended)
        if isinstance(parsed, str):
            self._reply(parsed)
            return
        self._reply(self._handler.recipient_reply(self._envelope, parsed[0], self.limits.max_recipients))

    def _data(self, arg: str | None) -> None:
        if self._out_of_order(None if self._envelope.rcpt_tos else "503 Error: need RCPT command"):
            return
        if arg:
            self._reply("501 Syntax: DATA")
            return
        self._reply("354 End data with <CR><LF>.<CR><LF>")
        self._payload = DataReader(size_limit=self._settings.size_limit, line_length_limit=grammar.LINE_LIMIT)
        rest = self._lines.take_rest()
        if rest:
            self._feed_payload(rest)

    def _feed_payload(self, data: bytes) -> None:
        payload = self._payload
        assert payload is not None
        if not payload.feed(data):
            return
        self._payload = None
        self._lines.feed(payload.rest)  # the client's next commands
        envelope, self._envelope = self._envelope, Envelope()
        if payload.error is not None:
            self._reply(payload.error)
            return
        refused = self._handler.deliver(envelope, payload.content, hostname=self._settings.hostname,
                                        authenticated_as=self._authenticated_as, tls=self._tls,
                                        answer=self._delivered)
        if refused is not None:
            self._answer(refused)
        else:
            self._waiting = True

    def _delivered(self, reply: ReplyOverride) -> None:
        """The reply to the final dot, once the store is done; then the
        lines that waited."""
        self._waiting = False
        if self._closing:  # the client left meanwhile
            return
        self._answer(reply)
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        self._run()

    def _rset(self, arg: str | None) -> None:
        if arg:
            self._reply("501 Syntax: RSET")
            return
        self._envelope = Envelope()
        self._reply("250 OK")

    def _noop(self, arg: str | None) -> None:
        self._reply("250 OK")

    def _quit(self, arg: str | None) -> None:
        if arg:
            self._reply("501 Syntax: QUIT")
            return
        self._answer(ReplyOverride("221 Bye", close=True))

    def _vrfy(self, arg: str | None) -> None:
        if self._needs_auth():
            return
        if not arg:
            self._reply("501 Syntax: VRFY <address>")
            return
        address, _ = grammar.address_of(arg)
        if address is None:
            self._reply("502 Could not VRFY " + escape_controls(arg))
            return
        self._reply(self._handler.vrfy_reply(address))

    def _help(self, arg: str | None) -> None:
        if self._needs_auth():
            return
        self._reply(grammar.help_reply(arg, extended=self._extended,
                                       starttls=self._settings.tls_context is not None))

    def _expn(self, arg: str | None) -> None:
        self._reply("502 EXPN not implemented")

    # ---- STARTTLS ----

    def _starttls(self, arg: str | None) -> None:
        if self._tls:  # a second TLS layer inside the first: no
            self._reply("554 5.5.1 Error: TLS already active")
            return
        if arg:
            self._reply("501 Syntax: STARTTLS")
            return
        context = self._settings.tls_context
        if context is None:
            self._reply("454 TLS not available")
            return
        self._reply("220 Ready to start TLS")
        # What the client pipelined after STARTTLS was sent in the clear:
        # dropped, never answered inside TLS (CVE-2024-34083).
        self._lines.take_rest()
        self._waiting = True
        assert self.transport is not None
        # The ClientHello must reach start_tls(), not this protocol.
        self.transport.pause_reading()
        asyncio.get_running_loop().create_task(self._start_tls(context))

    async def _start_tls(self, context: ssl.SSLContext) -> None:
        transport = self.transport
        assert transport is not None
        try:
            encrypted = await asyncio.get_running_loop().start_tls(
                transport, self, context, server_side=True,
                ssl_handshake_timeout=self.limits.tls_handshake_timeout)
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as error:
            # A client that rejects our certificate, or never says hello.
            log.info("TLS handshake failed: %r", error)
            transport.abort()
            return
        if encrypted is None or self._closing:  # closed during the handshake
            return
        self.transport, self._tls, self._waiting = encrypted, True, False
        self._new_session()
        self._touch()
        self._run()

    # ---- AUTH ----

    def _auth(self, arg: str | None) -> None:
        wait = self._settings.auth_budget.retry_after(self._client_address())
        if wait:
            self._reply(auth_throttled(wait))
            return
        if self._needs_helo("EHLO"):
            return
        if not self._extended:
            self._reply("500 Error: command 'AUTH' not recognized")
        elif self._settings.auth_require_tls and not self._tls:
            self._reply("538 5.7.11 Encryption required for requested authentication mechanism")
        elif self._authenticated_as is not None:
            self._reply("503 Already authenticated")
        elif not arg:
            self._reply("501 Not enough value")
        elif len(arg.split()) > 2:
            self._reply("501 Too many values")
        elif arg.split()[0] not in MECHANISMS:
            self._reply("504 5.5.4 Unrecognized authentication type")
        else:
            refusal = self._handler.auth_refusal()
            if refusal is not None:
                self._reply(refusal)
                return
            args = arg.split()
            self._exchange = MECHANISMS[args[0]](args, self._settings.hostname)
            self._auth_step(None)

    def _auth_step(self, line: bytes | object | None) -> None:
        """Send the exchange the client's line (``None`` to start it)."""
        exchange = self._exchange
        assert exchange is not None
        try:
            if line is None:
                challenge = next(exchange)
            elif line is grammar.TOO_LONG_LINE:
                exchange.close()
                self._exchange = None
                self._reply(grammar.TOO_LONG)
                return
            else:
                assert isinstance(line, bytes)
                challenge = exchange.send(line)
        except StopIteration as done:
            self._exchange = None
            self._auth_result(done.value)
            return
        self._reply("334 " + b64encode(challenge).decode("ascii"))

    def _auth_result(self, result: Credentials | str) -> None:
        if isinstance(result, str):
            if result == ABORTED:  # the client's right (RFC 4954), not a server problem
                log.debug("%r aborted AUTH with '*'", self._peer)
            self._reply(result)
        elif result.accepted_by(self._policy):
            self._authenticated_as = result.user
            self._reply("235 2.7.0 Authentication successful")
        else:
            # An injected failure (``fail_auth``) is the test's wish, not a
            # guess: it is not counted against the client.
            if not self._policy.fail_auth:
                self._settings.auth_budget.failed(self._client_address())
            self._reply("535 5.7.8 Authentication credentials invalid")


def _loggable(verb: str, arg: str | None) -> str:
    """A command's argument as the debug log shows it: an AUTH initial
    response is a credential (base64 is no secret-keeping), so only the
    mechanism is shown."""
    if arg is None:
        return ""
    if verb == "AUTH":
        mechanism, _, response = arg.partition(" ")
        return mechanism + (" [response not logged]" if response else "")
    return arg


#: Each verb of :data:`grammar.COMMANDS` and the method answering it.
_VERBS: dict[str, Callable[[DevSMTP, str | None], None]] = {
    "AUTH": DevSMTP._auth, "DATA": DevSMTP._data, "EHLO": DevSMTP._ehlo, "EXPN": DevSMTP._expn,
    "HELO": DevSMTP._helo, "HELP": DevSMTP._help, "MAIL": DevSMTP._mail, "NOOP": DevSMTP._noop,
    "QUIT": DevSMTP._quit, "RCPT": DevSMTP._rcpt, "RSET": DevSMTP._rset, "STARTTLS": DevSMTP._starttls,
    "VRFY": DevSMTP._vrfy,
}
assert _VERBS.keys() == grammar.COMMANDS.keys()
