"""The dev server's SMTP side: aiosmtpd's protocol, extended, and its handler.

One :class:`DevSMTP` per connection (aiosmtpd makes one protocol object per
connection) adds to aiosmtpd:

* CRAM-MD5 (RFC 2195) beside aiosmtpd's PLAIN and LOGIN;
* PIPELINING advertised (aiosmtpd reads pipelined commands in order anyway);
* STARTTLS refused with 554 once the connection is encrypted (RFC 3207
  section 4.2 says the extension is not offered after TLS; Postfix answers
  such a second STARTTLS with 554 as well);
* ``--require-auth`` (530) and failure injection from the :class:`Policy`;
* the limits of :mod:`.limits`: connections at once (421), a timeout
  that says so (421), failed logins per client address (454).

:class:`MailHandler` is the aiosmtpd handler: recipient and VRFY policy,
and storage in the catcher's :class:`~smtp_core.devserver.mailbox.store.MailStore`
(nothing received stays in memory).  Every
client-chosen value that goes into a reply, a stored header or a log line
passes through :func:`~smtp_core.devserver.mailbox.received.escape_controls`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
import socket
import ssl
import time
from typing import Any
from collections.abc import Awaitable, Callable

from aiosmtpd.smtp import (
    MISSING,
    SMTP,
    AuthResult,
    Envelope,
    LoginPassword,
    Session,
    TLSSetupException,
    auth_mechanism,
)

from .policy import Policy, ReplyOverride
from ..failurebudget import FailureBudget
from .limits import TIMEOUT_EXCEEDED, TOO_MANY_CONNECTIONS, TOO_MANY_RECIPIENTS, SmtpLimits, auth_throttled
from ..mailbox.received import ReceivedMessage, escape_controls
from ..features import RuntimeStats
from ..mailbox.store import MailStore, PartLimitError, StoredEnvelope

__all__ = ["DevSMTP", "ImplicitTLS", "MailHandler", "make_authenticator", "install_log_filter", "received_from"]

log = logging.getLogger(__name__)

# RFC 2195: the response is the user name, one space, and the HMAC-MD5 digest
# as 32 lower-case hex digits (upper case accepted, as servers commonly do).
_CRAM_MD5_RESPONSE = re.compile(r"(?P<user>.+) (?P<digest>[0-9a-fA-F]{32})", re.DOTALL)


def _text(raw: str | bytes) -> str:
    # aiosmtpd hands over non-UTF-8 bytes as surrogate escapes; keep them
    # round-trippable rather than failing on a client's odd bytes.
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "surrogateescape")
    return raw


class _AiosmtpdLogFilter(logging.Filter):
    """Applied to aiosmtpd's logger ("mail.log") and ours.

    aiosmtpd logs client values with ``%s`` (an unrecognised command, the
    sender, the recipients): the message is escaped once formatted.  Its
    warning for a client's ``*`` (cancelling an AUTH exchange, RFC 4954) is
    the client's right, not a server problem: it becomes a debug record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "%r aborted AUTH with '*'":
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        message = record.getMessage()
        safe = escape_controls(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True


_LOG_FILTER = _AiosmtpdLogFilter()


def install_log_filter() -> None:
    """Install the log filter (idempotent: ``addFilter`` keeps one copy)."""
    for name in ("mail.log", __name__):
        logging.getLogger(name).addFilter(_LOG_FILTER)


class _QuietSession(Session):
    """aiosmtpd's Session without the deprecation *log warning* that its own
    smtp_AUTH triggers on every successful login (via ``login_data``)."""

    @property  # type: ignore[override]
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


def _injectable(stage: str, command: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """aiosmtpd's ``command``, answered instead by the failure the policy
    injects at ``stage``, if any (a :class:`DevSMTP` method)."""

    @functools.wraps(command)
    async def answer(self: DevSMTP, arg: str | None) -> None:
        if not await self._answer_with_injected_failure(stage):
            await command(self, arg)

    return answer


class DevSMTP(SMTP):
    """One SMTP connection.  aiosmtpd creates a protocol object per
    connection, so per-connection state lives in plain attributes."""

    def __init__(
        self,
        handler: MailHandler,
        *,
        policy: Policy,
        implicit_tls: bool,
        live_connections: set[DevSMTP],
        limits: SmtpLimits,
        auth_budget: FailureBudget,
        **smtp_options: Any,
    ):
        # Set before SMTP.__init__, which introspects the instance.
        self._policy = policy
        self.implicit_tls = implicit_tls
        self.limits = limits
        #: Whether this session holds one of the ``max_connections`` slots
        #: (a refused one is greeted with 421 and closed).
        self.admitted = False
        self._live_connections = live_connections
        self._auth_budget = auth_budget
        self._next_reply_override: ReplyOverride | None = None
        self._advertise_pipelining = False
        self._corked = False
        super().__init__(handler, timeout=limits.idle_timeout, **smtp_options)
        # The first reply on a connection is the greeting.
        self._next_reply_override = policy.injected_failure("connect", self.hostname)

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self in self._live_connections:  # called again after STARTTLS
            return
        admitted = sum(connection.admitted for connection in self._live_connections)
        self._live_connections.add(self)
        if admitted >= self.limits.max_connections:
            # Replaces the greeting (connect-stage injection included).
            text = TOO_MANY_CONNECTIONS.format(host=self.hostname)
            self._next_reply_override = ReplyOverride(text=text, close=True)
            log.warning("refused a connection from %s: %d connections already", self._client_address(),
                        admitted)
        else:
            self.admitted = True

    def connection_lost(self, error: Exception | None) -> None:
        self._live_connections.discard(self)
        super().connection_lost(error)

    def _timeout_cb(self) -> None:
        # aiosmtpd closes a timed-out session without a word; RFC 5321
        # section 3.8 asks for a 421 first, as Postfix sends.
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(TIMEOUT_EXCEEDED.format(host=self.hostname).encode() + b"\r\n")
        super()._timeout_cb()

    def _client_address(self) -> str:
        peer = self.session.peer if self.session is not None else None
        return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)

    def login_failed(self) -> AuthResult:
        """Count a failed login against this client's address; the result
        makes aiosmtpd answer 535 (``handled=False``: with ``True`` it would
        send nothing and leave the client waiting).  An injected failure
        (``fail_auth``) is the test's wish, not a guess: it is not counted."""
        if not self._policy.fail_auth:
            self._auth_budget.failed(self._client_address())
        return AuthResult(success=False, handled=False)

    def abort_connection(self) -> None:
        """Drop the connection at once (server shutdown)."""
        # After STARTTLS self.transport is the TLS transport; aborting it
        # also aborts the TCP transport underneath and marks both closed.
        if self.transport is not None:
            self.transport.abort()

    def _cork_until_idle(self) -> None:
        """Hold this connection's replies in the kernel (TCP_CORK) until the
        loop is idle again, so that the replies to a pipelined group leave in
        one segment instead of one each.  Each segment wakes the client; on
        a busy machine those wake-ups, not the work, bounded the intake."""
        if self._corked or self.transport is None or not hasattr(socket, "TCP_CORK"):
            return
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        except OSError:  # not TCP, or closed meanwhile: send as usual
            return
        self._corked = True
        # Runs once the command loop waits for more input (pipelined commands
        # already received are answered without returning to the loop).
        self.loop.call_soon(self._uncork, sock)

    def _uncork(self, sock: socket.socket) -> None:
        self._corked = False
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        except OSError:  # closed meanwhile; closing sent what was held
            pass

    def replace_next_reply(self, override: ReplyOverride) -> None:
        """Send ``override.text`` instead of the next reply (used by the
        handler, whose DATA reply aiosmtpd sends after the hook returns)."""
        self._next_reply_override = override

    async def push(self, status: str | bytes) -> None:
        self._cork_until_idle()
        if self._advertise_pipelining and status == "250 HELP":
            await super().push("250-PIPELINING")
        override, self._next_reply_override = self._next_reply_override, None
        if override is None:
            await super().push(status)
            return
        if override.text is not None:
            await super().push(override.text)
        if override.close and self.transport is not None:
            # Closing cancels the command loop through connection_lost().
            self.transport.close()

    async def _answer_with_injected_failure(self, stage: str) -> bool:
        failure = self._policy.injected_failure(stage, self.hostname)
        if failure is None:
            return False
        # Through push(), so that 421 also closes the connection.
        self.replace_next_reply(failure)
        await self.push(failure.text or "")
        return True

    async def check_auth_needed(self, caller_method: str) -> bool:
        # aiosmtpd's own auth_required=True warns (UserWarning) when TLS is
        # not required for AUTH, which it deliberately is not on loopback.
        assert self.session is not None
        if self._policy.require_auth and not self.session.authenticated:
            await self.push("530 5.7.0 Authentication required")
            return True
        return False

    # The overrides keep aiosmtpd's HELP texts via functools.wraps.
    smtp_HELO = _injectable("ehlo", SMTP.smtp_HELO)
    smtp_MAIL = _injectable("mail", SMTP.smtp_MAIL)
    smtp_RCPT = _injectable("rcpt", SMTP.smtp_RCPT)
    smtp_DATA = _injectable("data", SMTP.smtp_DATA)

    @functools.wraps(SMTP.smtp_EHLO)
    async def smtp_EHLO(self, hostname: str) -> None:
        if await self._answer_with_injected_failure("ehlo"):
            return
        # aiosmtpd builds the EHLO reply itself and ends it with "250 HELP";
        # PIPELINING goes in just before that last line.
        self._advertise_pipelining = True
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self._advertise_pipelining = False

    @functools.wraps(SMTP.smtp_STARTTLS)
    async def smtp_STARTTLS(self, arg: str) -> None:
        assert self.session is not None
        if self.implicit_tls or self.session.ssl is not None:
            # aiosmtpd would start a second TLS layer inside the first.
            await self.push("554 5.5.1 Error: TLS already active")
            return
        await super().smtp_STARTTLS(arg)

    @functools.wraps(SMTP.smtp_AUTH)
    async def smtp_AUTH(self, arg: str) -> None:
        wait = self._auth_budget.retry_after(self._client_address())
        if wait:
            await self.push(auth_throttled(wait))
            return
        await super().smtp_AUTH(arg)

    # aiosmtpd discovers mechanisms from methods named auth_*, deriving the
    # name by turning "__" into "-"; the decorator names it explicitly.
    @auth_mechanism("CRAM-MD5")
    async def auth_CRAM_MD5(self, _: Any, args: list[str]) -> AuthResult:
        """RFC 2195: challenge ``<random.time@host>``, answer ``user hmac``."""
        if len(args) > 1:
            # CRAM-MD5 has no initial response (the client cannot know the
            # challenge yet).
            await self.push("501 5.5.2 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = f"<{secrets.randbits(64)}.{int(time.time())}@{self.hostname}>".encode()
        response = await self.challenge_auth(challenge)
        if response is MISSING:  # "*" or bad base64: already answered 501
            return AuthResult(success=False, handled=True)
        parsed = _CRAM_MD5_RESPONSE.fullmatch(_text(response))
        if parsed is None:
            await self.push("501 5.5.2 CRAM-MD5 response must be a user name, a space and 32 hex digits")
            return AuthResult(success=False, handled=True)
        user, digest = parsed["user"], parsed["digest"]
        if self._policy.cram_md5_matches(user, challenge, digest):
            return AuthResult(success=True, auth_data=user)
        return self.login_failed()


class ImplicitTLS(asyncio.Protocol):
    """A connection to the implicit-TLS port until its handshake is done;
    then it hands the TLS transport to a new :class:`DevSMTP`.

    asyncio's own ``create_server(ssl=...)`` tells the protocol nothing
    until the handshake succeeded, so a connection that never sends a
    ClientHello would hold a descriptor unseen.  Here each one is in
    ``pending`` from its first moment: at most ``limits.max_connections``
    handshakes at once (one more is dropped at once, before any TLS, so
    there is no one to say 421 to), each within ``limits.tls_handshake_timeout``.
    """

    def __init__(self, make_session: Callable[[], DevSMTP], context: ssl.SSLContext,
                 limits: SmtpLimits, pending: set[ImplicitTLS]):
        self._make_session = make_session
        self._context = context
        self._limits = limits
        self._pending = pending
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if len(self._pending) >= self._limits.max_connections:
            log.warning("dropped a TLS connection: %d handshakes already under way", len(self._pending))
            transport.abort()
            return
        self._pending.add(self)
        # The ClientHello must reach start_tls(), not this protocol: reading
        # is paused on the next turn, because Python 3.10's transport adds its
        # reader after connection_made() whatever pause_reading() said there.
        asyncio.get_running_loop().call_soon(self._begin)

    def _begin(self) -> None:
        assert self._transport is not None
        if self._transport.is_closing():
            self._pending.discard(self)
            return
        self._transport.pause_reading()
        asyncio.get_running_loop().create_task(self._handshake())

    def data_received(self, data: bytes) -> None:
        # Nothing may arrive here (reading is paused until start_tls takes
        # over); if it did, the handshake could only time out: say so.
        log.warning("dropped a TLS connection: %d bytes arrived before the handshake began", len(data))
        self._transport.abort()

    async def _handshake(self) -> None:
        assert self._transport is not None
        try:
            tls = await asyncio.get_running_loop().start_tls(
                self._transport, self, self._context, server_side=True,
                ssl_handshake_timeout=self._limits.tls_handshake_timeout)
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as error:
            # A client that rejects our certificate, or never says hello.
            log.info("TLS handshake failed: %r", error)
            self._transport.abort()
            return
        except BaseException:  # cancelled: the server stops
            self.abort()
            raise
        finally:
            self._pending.discard(self)
        if tls is None:  # the connection closed during the handshake
            return
        session = self._make_session()
        tls.set_protocol(session)
        session.connection_made(tls)

    def abort(self) -> None:
        """Drop the connection at once (server shutdown)."""
        if self._transport is not None:
            self._transport.abort()

    def connection_lost(self, error: Exception | None) -> None:
        self._pending.discard(self)


def make_authenticator(policy: Policy) -> Callable[..., AuthResult]:
    """aiosmtpd ``authenticator`` callback for PLAIN and LOGIN."""

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword) and isinstance(server, DevSMTP)
        user, password = _text(auth_data.login), _text(auth_data.password)
        if policy.password_matches(user, password):
            return AuthResult(success=True, auth_data=user)
        return server.login_failed()

    return authenticate


class MailHandler:
    """aiosmtpd handler: applies the recipient/VRFY policy and stores mail
    in the catcher's :class:`~smtp_core.devserver.mailbox.store.MailStore`."""

    def __init__(
        self,
        policy: Policy,
        store: MailStore,
        on_message: Callable[[ReceivedMessage], None] | None,
        *,
        stats: RuntimeStats | None = None,
    ):
        self._policy = policy
        self._stats = stats
        #: Where accepted mail goes (the dev server's one :class:`MailStore`).
        self.store = store
        self._on_message = on_message

    # ---- access from other threads ----

    def received(self) -> list[ReceivedMessage]:
        """Every stored message, read back from the store, oldest first."""
        return received_from(self.store)

    def wait_for(self, count: int, timeout: float) -> list[ReceivedMessage]:
        if not self.store.wait_for_count(count, timeout):
            raise TimeoutError(
                f"expected {count} message(s) within {timeout} s, "
                f"got {self.store.counts()[0]}"
            )
        return self.received()

    # ---- aiosmtpd hooks (run on the server thread) ----

    async def handle_AUTH(self, server: DevSMTP, session: Session, envelope: Envelope, args: list[str]) -> Any:
        # aiosmtpd calls this once the mechanism is known to be offered, as
        # Mailpit strikes: before the exchange.  MISSING: go on with it.
        chaos = self._policy.chaos_failure("Authentication")
        return MISSING if chaos is None else chaos.text or ""

    async def handle_MAIL(
        self, server: DevSMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        chaos = self._policy.chaos_failure("Sender")
        if chaos is not None:
            return chaos.text or ""
        # What aiosmtpd does without this hook.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: DevSMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        chaos = self._policy.chaos_failure("Recipient")
        if chaos is not None:
            return chaos.text or ""
        if len(envelope.rcpt_tos) >= server.limits.max_recipients:
            return TOO_MANY_RECIPIENTS
        if self._policy.rejects_recipient(address):
            self._count_rejection()
            return f"550 5.1.1 <{escape_controls(address)}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_VRFY(
        self, server: DevSMTP, session: Session, envelope: Envelope, address: str
    ) -> str:
        user = self._policy.known_user(address)
        if user is not None:
            return f"250 2.1.5 <{escape_controls(address)}>"
        return "252 2.1.5 Cannot VRFY user, but will accept message and attempt delivery"

    async def handle_DATA(self, server: DevSMTP, session: Session, envelope: Envelope) -> str:
        failure = self._policy.injected_failure("dot", server.hostname)
        if failure is not None:
            self._count_rejection()
            server.replace_next_reply(failure)
            return failure.text or ""
        try:
            record = await self._save(server, session, envelope)
        except PartLimitError as error:
            self._count_rejection()
            return f"552 5.3.4 Message refused: {error}"
        except Exception as error:  # disk full, permissions...: tell the client
            log.exception("storing a message in %s failed", self.store.directory)
            return f"451 4.3.0 Could not store the message: {escape_controls(str(error))}"
        if self._policy.drop_after_data:
            # Stored, but the client never hears so: the classic
            # "did my message go through?" situation it must handle.
            server.replace_next_reply(ReplyOverride(text=None, close=True))
        return f"250 2.0.0 OK: queued as {record.maildir_key}"

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            # Expected whenever a client rejects our certificate, which is
            # exactly what certificate tests do; not worth a traceback.
            log.info("TLS handshake failed: %r", error.__cause__)
            return "421 4.7.0 TLS handshake failed"
        log.exception("SMTP session error")
        return f"500 5.3.0 Internal server error: {type(error).__name__}"

    def _count_rejection(self) -> None:
        if self._stats is not None:
            self._stats.rejected()

    async def _save(self, server: DevSMTP, session: Session, envelope: Envelope) -> ReceivedMessage:
        # aiosmtpd stores the null reverse-path MAIL FROM:<> as the string "<>".
        sender = envelope.mail_from or ""
        sender = "" if sender == "<>" else _text(sender)
        recipients = tuple(_text(r) for r in envelope.rcpt_tos)
        raw = bytes(envelope.original_content or b"")
        authenticated_as = session.auth_data if session.authenticated else None
        # Parsing a message takes time (its structure, its HTML): off the
        # loop, which meanwhile serves the other connections and HTTP.
        _, stored = await server.loop.run_in_executor(None, functools.partial(
            self.store.receive,
            raw,
            envelope_from=sender,
            envelope_to=recipients,
            mail_options=tuple(envelope.mail_options),
            authenticated_as=str(authenticated_as) if authenticated_as is not None else None,
            tls=server.implicit_tls or session.ssl is not None,
        ))
        record = _record(stored, raw)
        if self._on_message is not None:
            try:
                self._on_message(record)
            except Exception:  # a broken callback must not fail the delivery
                log.exception("on_message callback failed")
        return record


def _record(envelope: StoredEnvelope, raw: bytes) -> ReceivedMessage:
    return ReceivedMessage(
        envelope_from=envelope.envelope_from,
        envelope_to=envelope.envelope_to,
        raw=raw,
        maildir_key=envelope.maildir_key,
        mail_options=envelope.mail_options,
        authenticated_as=envelope.authenticated_as,
        tls=envelope.tls,
        id=envelope.id,
    )


def received_from(store: MailStore) -> list[ReceivedMessage]:
    """Every message in ``store`` as :class:`ReceivedMessage` records, oldest first."""
    records = []
    for envelope in store.envelopes():
        raw = store.received_bytes(envelope.id)
        if raw is not None:  # None: deleted meanwhile
            records.append(_record(envelope, raw))
    return records
