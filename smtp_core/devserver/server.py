"""The dev server itself: aiosmtpd handler, store, console summaries and command line.

See the package docstring (:mod:`smtp_core.devserver`) for what it does.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.message
import email.policy
import functools
import hmac
import ipaddress
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

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

from smtp_core.devserver import catcher, pki
from smtp_core.devserver.store import MailStore, StoredEnvelope, envelope_headers

__all__ = [
    "DevServer",
    "ReceivedMessage",
    "FAILURE_STAGES",
    "INJECTABLE_CODES",
    "DEFAULT_PORT",
    "DEFAULT_SIZE_LIMIT",
    "parse_fail_at",
    "main",
]

log = logging.getLogger(__name__)

#: Where ``--fail-at`` can strike: the greeting, EHLO/HELO, MAIL, RCPT, the
#: DATA command itself, and the reply to the final dot.
FAILURE_STAGES: Tuple[str, ...] = ("connect", "ehlo", "mail", "rcpt", "data", "dot")
#: 421 (service closing: the connection is closed after the reply) and 451
#: (local error: the session goes on).
INJECTABLE_CODES: Tuple[int, ...] = (421, 451)
DEFAULT_PORT = 2525
#: aiosmtpd's own default, advertised as ``SIZE 33554432``.
DEFAULT_SIZE_LIMIT = 32 * 1024 * 1024

_GREETING_IDENT = "ESMTP gostd-smtp devserver"
_FAILURE_TEXTS = {
    421: "421 4.3.2 {host} Service not available, closing transmission channel",
    451: "451 4.3.0 Requested action aborted: local error in processing",
}
# Bound every wait on the server thread, so a wedged loop cannot hang a test
# run or the CLI forever.
_THREAD_TIMEOUT = 10.0


# --------------------------------------------------------------------------
# What the server received
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted message, in the order messages arrived.

    ``raw`` holds the exact bytes received between DATA and the final dot,
    dot-unstuffed; :attr:`message` parses the stored copy.  ``envelope_from``
    is ``""`` for the null reverse-path ``MAIL FROM:<>``.  Records are read
    back from the store when asked for; the server keeps none in memory.
    """

    envelope_from: str
    envelope_to: Tuple[str, ...]
    raw: bytes
    maildir_key: str
    #: MAIL parameters as sent, upper-cased, e.g. ``("SIZE=120", "SMTPUTF8")``.
    mail_options: Tuple[str, ...]
    #: User name that authenticated the session, ``None`` without AUTH.
    authenticated_as: Optional[str]
    #: Whether the message travelled over TLS (STARTTLS or implicit TLS).
    tls: bool
    #: The message's ID in the API (``/api/v1/message/{id}``).
    id: str = ""

    @property
    def message(self) -> email.message.EmailMessage:
        """The stored copy parsed with ``email.policy.default``: the message
        with the added ``Return-Path``, ``X-Envelope-From`` and
        ``X-Envelope-To`` headers (parsed anew on each access)."""
        stored = envelope_headers(self.envelope_from, self.envelope_to) + self.raw
        return email.message_from_bytes(stored, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def size(self) -> int:
        """Size of the message as received, in bytes."""
        return len(self.raw)

    @property
    def subject(self) -> str:
        """The decoded Subject header, ``""`` if there is none."""
        return str(self.message.get("Subject", ""))

    def summary(self) -> str:
        """One console line: ``from <a> to <b>, <c>: "Subject" (123 bytes)``."""
        recipients = ", ".join(f"<{address}>" for address in self.envelope_to)
        secured = ", TLS" if self.tls else ""
        login = f", AUTH {self.authenticated_as}" if self.authenticated_as else ""
        return (
            f"from <{self.envelope_from}> to {recipients}: {self.subject!r} "
            f"({self.size} bytes{secured}{login}) -> {self.maildir_key}"
        )


# --------------------------------------------------------------------------
# Configuration shared by every connection
# --------------------------------------------------------------------------


def parse_fail_at(spec: Union[None, str, Mapping[str, int], Iterable[str]]) -> Dict[str, int]:
    """Normalise failure-injection settings to ``{stage: code}``.

    Accepts ``None``, ``"rcpt:451"``, a ``{stage: code}`` mapping, or an
    iterable of ``"stage:code"`` strings (the CLI's repeated ``--fail-at``).

    >>> parse_fail_at("dot:421")
    {'dot': 421}
    >>> parse_fail_at(["mail:451", "connect:421"])
    {'mail': 451, 'connect': 421}
    """
    if spec is None:
        return {}
    if isinstance(spec, str):
        stage, colon, code = spec.partition(":")
        if not colon:
            raise ValueError(f"failure injection expects STAGE:CODE, got {spec!r}")
        items: List[Tuple[str, Any]] = [(stage, code)]
    elif isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        parsed: Dict[str, int] = {}
        for entry in spec:
            parsed.update(parse_fail_at(entry))
        return parsed
    result: Dict[str, int] = {}
    for stage, code in items:
        stage = str(stage).strip().lower()
        if stage not in FAILURE_STAGES:
            raise ValueError(
                f"unknown failure stage {stage!r}; expected one of {', '.join(FAILURE_STAGES)}"
            )
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise ValueError(f"failure code must be a number, got {code!r}") from None
        if code not in INJECTABLE_CODES:
            raise ValueError(f"failure code must be 421 or 451, got {code}")
        result[stage] = code
    return result


def _parse_users(users: Union[None, Mapping[str, str], Iterable[str]]) -> Dict[str, str]:
    """``{"alice": "pw"}`` or ``["alice:pw"]`` (the CLI form) to a dict."""
    if users is None:
        return {}
    if isinstance(users, Mapping):
        return {str(name): str(password) for name, password in users.items()}
    parsed = {}
    for entry in users:
        name, colon, password = str(entry).partition(":")
        if not colon or not name:
            raise ValueError(f"users must be given as NAME:PASSWORD, got {entry!r}")
        parsed[name] = password
    return parsed


@dataclass(frozen=True)
class _ReplyOverride:
    """What to do instead of the next reply: send ``text`` (or nothing if
    ``None``), then close the connection if ``close``."""

    text: Optional[str]
    close: bool


@dataclass(frozen=True)
class _Policy:
    """Everything that decides how a session is answered."""

    users: Mapping[str, str]
    accept_any_login: bool
    require_auth: bool
    rejected_recipients: frozenset  # casefolded addresses
    fail_auth: bool
    fail_at: Mapping[str, int]
    drop_after_data: bool

    def injected_failure(self, stage: str, hostname: str) -> Optional[_ReplyOverride]:
        code = self.fail_at.get(stage)
        if code is None:
            return None
        text = _FAILURE_TEXTS[code].format(host=hostname) + f" (injected at {stage})"
        return _ReplyOverride(text=text, close=code == 421)

    def rejects_recipient(self, address: str) -> bool:
        return address.casefold() in self.rejected_recipients

    def known_user(self, address: str) -> Optional[str]:
        """The configured user an address names (whole address or local part)."""
        wanted = address.casefold()
        local_part = wanted.rpartition("@")[0] or wanted
        for name in self.users:
            if name.casefold() in (wanted, local_part):
                return name
        return None

    def password_matches(self, user: str, password: str) -> bool:
        if self.fail_auth:
            return False
        if self.accept_any_login:
            return True
        expected = self.users.get(user)
        return expected is not None and hmac.compare_digest(
            expected.encode("utf-8"), password.encode("utf-8", "surrogateescape")
        )

    def cram_md5_matches(self, user: str, challenge: bytes, digest: str) -> bool:
        if self.fail_auth:
            return False
        if self.accept_any_login:
            return True
        password = self.users.get(user)
        if password is None:
            return False
        expected = hmac.new(password.encode("utf-8"), challenge, "md5").hexdigest()
        return hmac.compare_digest(expected, digest.lower())


def _text(raw: Union[str, bytes]) -> str:
    # aiosmtpd hands over non-UTF-8 bytes as surrogate escapes; keep them
    # round-trippable rather than failing on a client's odd bytes.
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "surrogateescape")
    return raw


def _printable(text: str) -> str:
    """``text`` safe to put in a reply (lone surrogates replaced)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --------------------------------------------------------------------------
# The SMTP protocol: aiosmtpd plus CRAM-MD5, require-auth and injections
# --------------------------------------------------------------------------


class _QuietSession(Session):
    """aiosmtpd's Session without the deprecation *log warning* that its own
    smtp_AUTH triggers on every successful login (via ``login_data``)."""

    @property  # type: ignore[override]
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _DevSMTP(SMTP):
    """One SMTP connection.  aiosmtpd creates a protocol object per
    connection, so per-connection state lives in plain attributes."""

    def __init__(
        self,
        handler: "_MailStore",
        *,
        policy: _Policy,
        implicit_tls: bool,
        live_connections: Set["_DevSMTP"],
        **smtp_options: Any,
    ):
        # Set before SMTP.__init__, which introspects the instance.
        self._policy = policy
        self.implicit_tls = implicit_tls
        self._live_connections = live_connections
        self._next_reply_override: Optional[_ReplyOverride] = None
        super().__init__(handler, **smtp_options)
        # The first reply on a connection is the greeting.
        self._next_reply_override = policy.injected_failure("connect", self.hostname)

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._live_connections.add(self)

    def connection_lost(self, error: Optional[Exception]) -> None:
        self._live_connections.discard(self)
        super().connection_lost(error)

    def abort_connection(self) -> None:
        """Drop the connection at once (server shutdown)."""
        # After STARTTLS self.transport is the TLS transport; aborting it
        # also aborts the TCP transport underneath and marks both closed.
        if self.transport is not None:
            self.transport.abort()

    def replace_next_reply(self, override: _ReplyOverride) -> None:
        """Send ``override.text`` instead of the next reply (used by the
        handler, whose DATA reply aiosmtpd sends after the hook returns)."""
        self._next_reply_override = override

    async def push(self, status: Union[str, bytes]) -> None:
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
    @functools.wraps(SMTP.smtp_HELO)
    async def smtp_HELO(self, hostname: str) -> None:
        if not await self._answer_with_injected_failure("ehlo"):
            await super().smtp_HELO(hostname)

    @functools.wraps(SMTP.smtp_EHLO)
    async def smtp_EHLO(self, hostname: str) -> None:
        if not await self._answer_with_injected_failure("ehlo"):
            await super().smtp_EHLO(hostname)

    @functools.wraps(SMTP.smtp_MAIL)
    async def smtp_MAIL(self, arg: Optional[str]) -> None:
        if not await self._answer_with_injected_failure("mail"):
            await super().smtp_MAIL(arg)

    @functools.wraps(SMTP.smtp_RCPT)
    async def smtp_RCPT(self, arg: Optional[str]) -> None:
        if not await self._answer_with_injected_failure("rcpt"):
            await super().smtp_RCPT(arg)

    @functools.wraps(SMTP.smtp_DATA)
    async def smtp_DATA(self, arg: str) -> None:
        if not await self._answer_with_injected_failure("data"):
            await super().smtp_DATA(arg)

    # aiosmtpd discovers mechanisms from methods named auth_*, deriving the
    # name by turning "__" into "-"; the decorator names it explicitly.
    @auth_mechanism("CRAM-MD5")
    async def auth_CRAM_MD5(self, _: Any, args: List[str]) -> AuthResult:
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
        user, _space, digest = _text(response).rpartition(" ")
        if self._policy.cram_md5_matches(user, challenge, digest):
            return AuthResult(success=True, auth_data=user)
        # handled=False makes smtp_AUTH send 535; handled=True would send
        # nothing and leave the client waiting forever.
        return AuthResult(success=False, handled=False)


def _make_authenticator(policy: _Policy) -> Callable[..., AuthResult]:
    """aiosmtpd ``authenticator`` callback for PLAIN and LOGIN."""

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user, password = _text(auth_data.login), _text(auth_data.password)
        if policy.password_matches(user, password):
            return AuthResult(success=True, auth_data=user)
        # See auth_CRAM_MD5: a failure must be handled=False to get a 535.
        return AuthResult(success=False, handled=False)

    return authenticate


# --------------------------------------------------------------------------
# The handler: recipients, VRFY, storage
# --------------------------------------------------------------------------


class _MailStore:
    """aiosmtpd handler: applies the recipient/VRFY policy and stores mail
    in the catcher's :class:`~smtp_core.devserver.store.MailStore`."""

    def __init__(
        self,
        policy: _Policy,
        mail: MailStore,
        on_message: Optional[Callable[[ReceivedMessage], None]],
    ):
        self._policy = policy
        self.mail = mail
        self._on_message = on_message

    # ---- access from other threads ----

    def received(self) -> List[ReceivedMessage]:
        """Every stored message, read back from the store, oldest first."""
        records = []
        for envelope in self.mail.envelopes():
            raw = self.mail.received_bytes(envelope.id)
            if raw is not None:  # None: deleted meanwhile
                records.append(_record(envelope, raw))
        return records

    def wait_for(self, count: int, timeout: float) -> List[ReceivedMessage]:
        if not self.mail.wait_for_count(count, timeout):
            raise TimeoutError(
                f"expected {count} message(s) within {timeout} s, "
                f"got {self.mail.counts()[0]}"
            )
        return self.received()

    # ---- aiosmtpd hooks (run on the server thread) ----

    async def handle_RCPT(
        self, server: _DevSMTP, session: Session, envelope: Envelope, address: str, rcpt_options: List[str]
    ) -> str:
        if self._policy.rejects_recipient(address):
            return f"550 5.1.1 <{_printable(address)}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_VRFY(
        self, server: _DevSMTP, session: Session, envelope: Envelope, address: str
    ) -> str:
        user = self._policy.known_user(address)
        if user is not None:
            return f"250 2.1.5 <{_printable(address)}>"
        return "252 2.1.5 Cannot VRFY user, but will accept message and attempt delivery"

    async def handle_DATA(self, server: _DevSMTP, session: Session, envelope: Envelope) -> str:
        failure = self._policy.injected_failure("dot", server.hostname)
        if failure is not None:
            server.replace_next_reply(failure)
            return failure.text or ""
        try:
            record = self._store(server, session, envelope)
        except Exception as error:  # disk full, permissions...: tell the client
            log.exception("storing a message in %s failed", self.mail.directory)
            return f"451 4.3.0 Could not store the message: {_printable(str(error))}"
        if self._policy.drop_after_data:
            # Stored, but the client never hears so: the classic
            # "did my message go through?" situation it must handle.
            server.replace_next_reply(_ReplyOverride(text=None, close=True))
        return f"250 2.0.0 OK: queued as {record.maildir_key}"

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            # Expected whenever a client rejects our certificate, which is
            # exactly what certificate tests do; not worth a traceback.
            log.info("TLS handshake failed: %r", error.__cause__)
            return "421 4.7.0 TLS handshake failed"
        log.exception("SMTP session error")
        return f"500 5.3.0 Internal server error: {type(error).__name__}"

    def _store(self, server: _DevSMTP, session: Session, envelope: Envelope) -> ReceivedMessage:
        # aiosmtpd stores the null reverse-path MAIL FROM:<> as the string "<>".
        sender = envelope.mail_from or ""
        sender = "" if sender == "<>" else _text(sender)
        recipients = tuple(_text(r) for r in envelope.rcpt_tos)
        raw = bytes(envelope.original_content or b"")
        authenticated_as = session.auth_data if session.authenticated else None
        summary = self.mail.add(
            raw,
            envelope_from=sender,
            envelope_to=recipients,
            mail_options=tuple(envelope.mail_options),
            authenticated_as=str(authenticated_as) if authenticated_as is not None else None,
            tls=server.implicit_tls or session.ssl is not None,
        )
        stored = self.mail.envelope(summary["ID"])
        assert stored is not None  # just added, under our own loop
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


# --------------------------------------------------------------------------
# The server object
# --------------------------------------------------------------------------


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

    Parameters (all optional):

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
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: Optional[int] = None,
        tls_port: Union[bool, int, None] = False,
        users: Union[None, Mapping[str, str], Iterable[str]] = None,
        accept_any_login: bool = False,
        require_auth: bool = False,
        size_limit: Optional[int] = None,
        maildir: Union[None, str, "os.PathLike[str]"] = None,
        reject_rcpt: Iterable[str] = (),
        fail_auth: bool = False,
        fail_at: Union[None, str, Mapping[str, int], Iterable[str]] = None,
        drop_after_data: bool = False,
        cert: Optional[Sequence[Union[str, "os.PathLike[str]"]]] = None,
        quiet: bool = True,
        *,
        cert_dir: Union[None, str, "os.PathLike[str]"] = None,
        on_message: Optional[Callable[[ReceivedMessage], None]] = None,
        http_port: Optional[int] = None,
        http_host: str = "127.0.0.1",
        http_auth: Union[None, str, Tuple[str, str]] = None,
        http_no_auth: bool = False,
        max_messages: int = catcher.DEFAULT_MAX_MESSAGES,
    ):
        if tls_port is True:
            raise ValueError("tls_port: give a port number, None/0 for a free one, or False")
        if size_limit is not None and size_limit < 0:
            raise ValueError("size_limit must be >= 0")
        if cert is not None and len(cert) not in (2, 3):
            raise ValueError("cert must be (cert_file, key_file) or (cert_file, key_file, ca_file)")
        self.host = host
        self._requested_port = port or 0
        self._requested_tls_port: Optional[int] = None if tls_port is False else (tls_port or 0)
        self._policy = _Policy(
            users=_parse_users(users),
            accept_any_login=accept_any_login,
            require_auth=require_auth,
            rejected_recipients=frozenset(address.casefold() for address in reject_rcpt),
            fail_auth=fail_auth,
            fail_at=parse_fail_at(fail_at),
            drop_after_data=drop_after_data,
        )
        self._size_limit = DEFAULT_SIZE_LIMIT if size_limit is None else (size_limit or None)
        self._requested_maildir = Path(maildir) if maildir is not None else None
        self._cert = tuple(Path(p) for p in cert) if cert is not None else None
        self._cert_dir = Path(cert_dir) if cert_dir is not None else None
        self._quiet = quiet
        self._on_message = on_message
        if isinstance(http_auth, str):
            http_auth = catcher.parse_credentials(http_auth)
        if http_port is not None:
            catcher.check_http_exposure(http_host, http_auth, http_no_auth)
        if max_messages < 0:
            raise ValueError(f"max_messages must be >= 0, got {max_messages}")
        self._http_request = None if http_port is None else (http_host, http_port, http_auth)
        self._max_messages = max_messages
        self._http: Optional[catcher.HttpSide] = None
        self._snapshot: List[ReceivedMessage] = []

        #: Bound port numbers (set by :meth:`start`); ``tls_port`` stays
        #: ``None`` without an implicit-TLS port.
        self.port: Optional[int] = None
        self.tls_port: Optional[int] = None
        #: PEM file clients should trust (``None`` if a custom ``cert`` came
        #: without a CA file).
        self.ca_path: Optional[Path] = None
        self.cert_path: Optional[Path] = None
        #: The Maildir directory messages are stored in.
        self.maildir: Optional[Path] = None
        #: The web page's address, ``http://host:port/`` (``None`` without HTTP).
        self.url: Optional[str] = None
        self.http_port: Optional[int] = None

        self._store: Optional[_MailStore] = None
        self._owns_maildir = False
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._listeners: List[asyncio.AbstractServer] = []
        self._live_connections: Set[_DevSMTP] = set()

    # ---- lifecycle ----

    def __enter__(self) -> "DevServer":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Bind the ports and serve on a background thread.

        Raises ``OSError`` if a port is taken and
        :class:`smtp_core.devserver.pki.PKIError` if no certificate can be made.
        """
        if self._thread is not None:
            raise RuntimeError("DevServer is already running")
        tls_context = self._make_tls_context()
        self._open_maildir()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run_loop, name="smtp-devserver", daemon=True
        )
        self._thread.start()
        try:
            self._call_on_loop(self._open_listeners(tls_context))
            if self._http_request is not None:
                self._call_on_loop(self._start_http(*self._http_request))
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
                self._call_on_loop(self._close_everything())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_THREAD_TIMEOUT)
            if not thread.is_alive():
                loop.close()
            self._thread = self._loop = None
            self._listeners = []
            if self._store is not None:
                if self._owns_maildir:
                    self._snapshot = self._store.received()
                self._store.mail.close()
                self._store = None
            if self._owns_maildir and self.maildir is not None:
                shutil.rmtree(self.maildir, ignore_errors=True)

    # ---- received mail ----

    def messages(self) -> List[ReceivedMessage]:
        """Every message stored (and not deleted or pruned), in arrival order."""
        if self._store is not None:
            return self._store.received()
        if self._owns_maildir or self.maildir is None or not self.maildir.exists():
            return list(self._snapshot)
        # Stopped, with the caller's folder: read it back.
        reader = _MailStore(self._policy, MailStore(self.maildir, max_messages=0), None)
        try:
            return reader.received()
        finally:
            reader.mail.close()

    def wait_for(self, count: int, timeout: float = 5.0) -> List[ReceivedMessage]:
        """Block until at least ``count`` messages arrived; return them all.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        if self._store is None:
            stored = self.messages()
            if len(stored) >= count:
                return stored
            raise RuntimeError(f"DevServer is not running (and holds {len(stored)} of {count} message(s))")
        return self._store.wait_for(count, timeout)

    @property
    def store(self) -> Optional[MailStore]:
        """The catcher's store (``None`` while stopped)."""
        return self._store.mail if self._store is not None else None

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
        return context

    def _certificate_names(self) -> Tuple[str, ...]:
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
        self._store = _MailStore(self._policy, MailStore(self.maildir, max_messages=self._max_messages), on_message)

    def _run_loop(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _call_on_loop(self, coroutine: Any) -> Any:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(_THREAD_TIMEOUT)

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
        hostname = "localhost" if _is_loopback(self.host) else socket.gethostname()
        common = dict(
            policy=self._policy,
            live_connections=self._live_connections,
            loop=loop,
            hostname=hostname,
            ident=_GREETING_IDENT,
            data_size_limit=self._size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,  # keeps bytes intact and advertises 8BITMIME
            authenticator=_make_authenticator(self._policy),
        )
        store = self._store

        def plain_session() -> _DevSMTP:
            return _DevSMTP(
                store,
                implicit_tls=False,
                tls_context=tls_context,
                auth_require_tls=not _is_loopback(self.host),
                **common,
            )

        def implicit_tls_session() -> _DevSMTP:
            # aiosmtpd cannot tell that this socket is already encrypted,
            # so AUTH must not wait for a STARTTLS that will never come.
            return _DevSMTP(store, implicit_tls=True, auth_require_tls=False, **common)

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
                ssl=tls_context,
            )
            self._listeners.append(implicit)
            self.tls_port = implicit.sockets[0].getsockname()[1]

    async def _start_http(self, host: str, port: int, basic_auth: Optional[Tuple[str, str]]) -> None:
        assert self._store is not None
        self._http = catcher.HttpSide(self._store.mail, host, port, basic_auth)
        await self._http.start()
        self.http_port, self.url = self._http.port, self._http.url

    async def _close_everything(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.stop()
        for listener in self._listeners:
            listener.close()
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
        await asyncio.get_running_loop().shutdown_asyncgens()


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

_EPILOG = """\
examples:
  smtp-devserver                                 plain port 2525 with STARTTLS
  smtp-devserver --tls-port 2465 --user alice:secret --require-auth
  smtp-devserver --reject-rcpt nobody@example.com --fail-at dot:451

failure stages: connect, ehlo, mail, rcpt, data (the DATA command), dot (the
reply to the final dot).  421 closes the connection after the reply; 451 does
not.  AUTH works without TLS on loopback addresses.
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smtp-devserver",
        description=(
            "Development SMTP server: accepts mail on this machine, stores it "
            "in a Maildir and prints a summary. Nothing is relayed."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listen = parser.add_argument_group("listening")
    listen.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    listen.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="plain port offering STARTTLS, 0 for a free one (default: %(default)s)")
    listen.add_argument("--tls-port", type=int, default=None, metavar="PORT",
                        help="also listen with implicit TLS (SMTPS) on PORT, 0 for a free one")
    tls = parser.add_argument_group("certificate")
    tls.add_argument("--cert", metavar="FILE", help="PEM certificate (chain) to use instead of the generated one")
    tls.add_argument("--key", metavar="FILE", help="PEM private key for --cert")
    tls.add_argument("--cert-dir", metavar="DIR",
                     help="where the generated CA and certificate are kept "
                          f"(default: {pki.default_devserver_directory()})")
    auth = parser.add_argument_group("authentication")
    auth.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD",
                      help="accept this login for AUTH PLAIN/LOGIN/CRAM-MD5 (repeatable)")
    auth.add_argument("--accept-any-login", action="store_true", help="every user name and password succeeds")
    auth.add_argument("--require-auth", action="store_true",
                      help="refuse MAIL/RCPT/DATA/VRFY with 530 until AUTH succeeded")
    mail = parser.add_argument_group("mail")
    mail.add_argument("--size-limit", type=int, default=DEFAULT_SIZE_LIMIT, metavar="BYTES",
                      help="maximum message size, advertised as SIZE; 0 for none (default: %(default)s)")
    mail.add_argument("--maildir", metavar="DIR",
                      help=f"store messages here, kept across restarts (default: {catcher.default_maildir()})")
    mail.add_argument("--quiet", action="store_true", help="do not print a line per received message")
    mail.add_argument("-v", "--verbose", action="store_true", help="log the SMTP conversation (aiosmtpd debug log)")
    failures = parser.add_argument_group("failure injection")
    failures.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDR",
                          help="answer RCPT TO:<ADDR> with 550 (repeatable)")
    failures.add_argument("--fail-auth", action="store_true", help="answer every AUTH with 535")
    failures.add_argument("--fail-at", action="append", default=[], metavar="STAGE:CODE",
                          help="answer CODE (421 or 451) at STAGE (repeatable)")
    failures.add_argument("--drop-after-data", action="store_true",
                          help="store the message, then close the connection without replying to the final dot")
    catcher.add_arguments(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``smtp-devserver`` and ``python -m smtp_core.devserver``.

    Serves until Ctrl-C (SIGINT) or SIGTERM, then exits with status 0.
    """
    parser = _build_parser()
    options = parser.parse_args(argv)
    if (options.cert is None) != (options.key is None):
        parser.error("--cert and --key go together")
    try:
        fail_at = parse_fail_at(options.fail_at)
        users = _parse_users(options.user)
    except ValueError as error:
        parser.error(str(error))
    if options.size_limit < 0:
        parser.error("--size-limit must be >= 0")
    http = catcher.http_options(parser, options)

    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    maildir = options.maildir or catcher.default_maildir()
    server = DevServer(
        host=options.host,
        port=options.port,
        tls_port=False if options.tls_port is None else options.tls_port,
        users=users,
        accept_any_login=options.accept_any_login,
        require_auth=options.require_auth,
        size_limit=options.size_limit,
        maildir=maildir,  # kept after exit, so it can be inspected
        reject_rcpt=options.reject_rcpt,
        fail_auth=options.fail_auth,
        fail_at=fail_at,
        drop_after_data=options.drop_after_data,
        cert=(options.cert, options.key) if options.cert else None,
        quiet=options.quiet,
        cert_dir=options.cert_dir,
        max_messages=options.max_messages,
        **({} if http is None else dict(http_host=http[0], http_port=http[1], http_auth=http[2],
                                        http_no_auth=options.http_no_auth)),
    )
    try:
        server.start()
    except (OSError, ValueError, pki.PKIError, ssl.SSLError) as error:
        print(f"smtp-devserver: cannot start: {error}", file=sys.stderr)
        return 1

    stop_requested = threading.Event()
    # Signal handlers can only be installed from the main thread (main() may
    # also be called from elsewhere, e.g. an embedding program's thread).
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous_sigterm = signal.signal(
            signal.SIGTERM, lambda signum, frame: stop_requested.set()
        )
    try:
        _print_banner(server, options)
        try:
            # Event.wait() is interrupted by Ctrl-C (KeyboardInterrupt) and
            # returns once the SIGTERM handler sets the event.
            stop_requested.wait()
        except KeyboardInterrupt:
            pass
        print("smtp-devserver: stopping", flush=True)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_sigterm)
        server.stop()
    return 0


def _print_banner(server: DevServer, options: argparse.Namespace) -> None:
    assert server.port is not None
    lines = [f"smtp-devserver listening on {_format_address(server.host, server.port)} (plain, STARTTLS)"]
    if server.tls_port is not None:
        lines.append(f"smtp-devserver listening on {_format_address(server.host, server.tls_port)} (implicit TLS)")
    if server.ca_path is not None:
        lines.append(f"trust this CA: {server.ca_path}")
    else:
        lines.append(f"certificate: {server.cert_path} (clients must trust its issuer)")
    lines.append(f"maildir: {server.maildir}")
    if server.url is not None:
        lines.append(f"web page and API: {server.url}")
    if options.fail_auth:
        auth = "every AUTH fails (--fail-auth)"
    elif options.accept_any_login:
        auth = "any login accepted"
    elif options.user:
        auth = "users " + ", ".join(_parse_users(options.user))
    else:
        auth = "no users configured (AUTH always fails)"
    lines.append(f"AUTH PLAIN LOGIN CRAM-MD5: {auth}" + (", required" if options.require_auth else ""))
    injected = [f"--fail-at {stage}:{code}" for stage, code in parse_fail_at(options.fail_at).items()]
    injected += [f"--reject-rcpt {address}" for address in options.reject_rcpt]
    injected += ["--drop-after-data"] if options.drop_after_data else []
    if injected:
        lines.append("failure injection: " + " ".join(injected))
    lines.append("press Ctrl-C to stop")
    print("\n".join(lines), flush=True)
