"""The Pythonic layer's public functions: :func:`connect`, :func:`dial_tls`,
:func:`prepare`, :func:`send` and :func:`send_many`.

Rules of this module:

* each function turns its keyword arguments into one
  :class:`~smtp_core.pythonic.options.Options`, the one declaration of
  them, which also gives it its signature (checked before anything else:
  a misspelt keyword or a bad ``tls=`` costs no connection) and hands the
  work on;
* arguments that can be refused without the server are refused before
  connecting; an empty batch costs no connection;
* a call that opened the connection ends it (QUIT, then close whatever
  happens), also on failure; a client handed in is left open unless
  ``quit=True``, ready for the next message after a refusal, closed after
  an I/O error or a timeout.
"""

from __future__ import annotations

import email.message
import itertools
from typing import Callable, Iterable, NamedTuple

from ..client import Client
from ..errors import FAILURES, BatchAborted
from ..mail.signing import signers
from .session import Session, open_client
from .message import Message, check_arguments
from .options import Options, takes_options
from .result import SendResult
from ..steps import Steps, run
from .timeouts import resolve

__all__ = ["connect", "dial_tls", "prepare", "send", "send_many", "preparing", "sending", "sending_many", "Driver", "BLOCKING"]

_END = object()


@takes_options
def connect(address: str, **options) -> Client:
    """Connect to ``host:port``, greet, apply the TLS policy, authenticate.

    Returns a ready :class:`~smtp_core.client.Client` (a context manager;
    its Go-named methods stay available).  ``tls`` is one of
    :data:`TLS_POLICIES`; ``tls_config`` a :class:`~smtp_core.tls.TLSConfig`
    (e.g. ``TLSConfig(root_cas="ca.pem")``) or a ready ``ssl.SSLContext``;
    ``verify=False`` turns certificate and host-name checks off;
    ``server_name`` is the name the certificate must carry and the one sent
    in SNI and given to authentication, when ``address`` is an IP address
    or another name.  ``auth`` is an :class:`~smtp_core.protocol.auth.Auth`, or a list
    of them from which the strongest the server offers is picked.
    ``local_name`` is the EHLO name (``localhost`` by default, as in Go).
    ``timeout``: ``None`` for :data:`RFC5321_TIMEOUTS`, a number for every
    step, or a :class:`Timeouts`; ``connect_timeout`` bounds the TCP
    connection.  ``redact=False`` shows credentials in the wire log.

    ``auth`` is refused (:class:`~smtp_core.errors.TLSRequiredError`, before
    any AUTH line) when the connection is not encrypted and the server's
    name is not ``localhost``, ``127.0.0.1`` or ``::1``: a man in the
    middle may have stripped STARTTLS.  ``allow_plaintext_auth=True``
    allows it, for a network you trust.

    On any failure the connection is closed and the error raised.
    """
    return open_client(address, Options.taking("connect", options))


@takes_options
def dial_tls(address: str, **options) -> Client:
    """Connect with implicit TLS (SMTPS, usually port 465): :func:`connect` with ``tls="implicit"``.

    The returned client is TLS from its first byte (``client.tls`` is True),
    so mechanisms that need an encrypted channel work at once.
    """
    return open_client(address, Options.taking("dial_tls", options, tls="implicit"))


@takes_options
def prepare(client: Client, **options) -> Client:
    """Make a client you built yourself (``Client(sock, host)``, ``dial``)
    ready the way :func:`connect` does: greet, apply the TLS policy,
    authenticate.  ``timeout`` is remembered for later :func:`send` calls.
    Returns ``client``.  Errors are raised; the client is left as it is.
    """
    return run(preparing(client, Options.taking("prepare", options)))


def preparing(client, options: Options) -> Steps:
    """:func:`prepare`'s work as steps."""
    timeout = options.timeout
    session = Session.of(client, timeout)
    if timeout is not None:
        session.timeouts = resolve(timeout, None)
    yield from session.preparing(options)
    return client


class Driver(NamedTuple):
    """What :func:`sending` and :func:`sending_many` need of a driver: its
    client class, and the step that opens a prepared connection
    (``open_client(address, options)``)."""

    client_class: type
    open_client: Callable


#: The blocking driver: :class:`~smtp_core.client.Client` over a socket.
BLOCKING = Driver(Client, open_client)


def _open(driver: Driver, client_or_address, options: Options) -> Steps:
    """The given client (prepared as needed) or a new connection, its
    session, this call's timeouts, and whether the call opened it.

    The caller keeps the client: its session holds it only weakly.
    """
    if isinstance(client_or_address, driver.client_class):
        session = Session.of(client_or_address, options.timeout)
        table = yield from session.readying(options)
        return client_or_address, session, table, False
    client = yield driver.open_client, client_or_address, options
    return client, client.session, client.session.timeouts, True


@takes_options
def send(
    client_or_address: Client | str,
    sender: str | email.message.Message | None,
    recipients: Iterable[str] | str | None = None,
    message: Message | None = None,
    **options,
) -> SendResult:
    """Send one message to many recipients; return a :class:`SendResult`.

    ``client_or_address``: a ``"host:port"`` to connect to (with the TLS
    and auth options of :func:`connect`), or a
    :class:`~smtp_core.client.Client` to reuse, which is greeted, put under
    the TLS policy and authenticated if that has not happened yet.

    ``message``: bytes (dots are stuffed), a file opened in binary mode
    (read in 64 KiB chunks, never whole), or an
    ``email.message.EmailMessage``, which also gives the envelope when
    ``sender``/``recipients`` are ``None`` (Sender or From; To, Cc and Bcc)
    and is sent without its Bcc and Resent-Bcc headers; a header that would
    turn into more than one header line is refused (:class:`HeaderError`).
    Every bare CR and bare LF becomes CRLF, so a message cannot smuggle an
    end of data past a lenient server (SMTP smuggling);
    ``normalize_line_ends=False`` sends the bytes as Go's DotWriter does (a
    bare LF becomes CRLF, a bare CR goes as it is).

    A message alone is the same: ``send(address, smtp_core.message({...}))``.

    ``dkim``: sign the message as it goes (what is sent is exactly the
    signed bytes): a map of :func:`~smtp_core.dkim_sign`'s arguments
    (``{"domain": .., "selector": .., "private_key": ..}``, keywords or
    strings), a :class:`~smtp_core.DKIMSigner`, or a list of them for
    several signatures.  The key is loaded and tried before connecting.

    On the wire: ``MAIL FROM`` with ``BODY=8BITMIME`` and ``SIZE=n`` when
    the server offers them (a message larger than the server's limit is
    refused before anything is sent), ``SMTPUTF8`` only when a local part
    needs it, IDNA 2008 A-labels for non-ASCII domains (an address that
    holds ``<``, ``>``, a space or a control character, or whose domain
    cannot be converted, is an :class:`EnvelopeError`); with PIPELINING,
    MAIL, every RCPT and DATA go in one write and the body with its end in
    one more.

    Returns when the server accepted the message for at least one
    recipient; recipients it refused are in ``result.refused``.  Raises
    :class:`RecipientsRefused` when it accepted none,
    :class:`MessageRefused` when it refused MAIL, DATA or the message,
    :class:`MessageTooLarge`, :class:`EnvelopeError`, :class:`HeaderError`, and I/O errors
    (``OSError``, :class:`~smtp_core.errors.StageTimeout`).  After a
    refusal the client has sent RSET and is ready for another message;
    after an I/O error, or a 421 (:class:`MessageRefused` with code 421:
    the server is closing the session), it is closed.

    ``quit``: send QUIT at the end; by default only when this call opened
    the connection.  ``pipelining=False`` waits for each reply even when
    the server offers PIPELINING.  For many messages on one connection,
    :func:`send_many` saves a round trip per message.
    """
    return run(sending(BLOCKING, client_or_address, sender, recipients, message, Options.taking("send", options)))


def sending(driver: Driver, client_or_address, sender, recipients, message, options: Options) -> Steps:
    """:func:`send`'s work as steps for ``driver``."""
    if message is None and recipients is None and isinstance(sender, email.message.Message):
        sender, message = None, sender  # send(address, m): the envelope from m's headers
    if message is None:
        raise TypeError("send: no message; pass (sender, recipients, message) or a composed message alone")
    chosen = signers(options.dkim)
    if not isinstance(client_or_address, driver.client_class):
        # Arguments that can be refused now cost no connection.
        if recipients is not None and not isinstance(recipients, str):
            recipients = list(recipients)  # may be an iterator: read it once
        check_arguments(sender, recipients, message)
    client, session, table, owned = yield from _open(driver, client_or_address, options)  # client: kept alive here
    results: list = []
    try:
        yield from session.delivering(table, ((sender, recipients, message),), options.pipelining, results,
                                     options.normalize_line_ends, chosen)
    except BaseException:
        if owned:
            yield from session.leaving()
        raise
    result = results[0]
    if type(result) is not SendResult:
        if owned:
            yield from session.leaving()
        raise result
    yield from session.finishing(table, options.quit, owned)
    return result


@takes_options
def send_many(client_or_address: Client | str, messages: Iterable, **options) -> list:
    """Send many messages over one connection; return one entry per message, in order.

    ``messages``: any iterable (a generator is read as the messages go, at
    most one message ahead of the one being sent) of ``(sender,
    recipients, message)`` tuples, as :func:`send` takes them, or of
    ``EmailMessage`` objects (envelope from their headers), such as
    :func:`~smtp_core.message` makes.  The other arguments are
    :func:`send`'s; ``dkim`` signs every message.

    Each entry is the message's :class:`SendResult`, or the exception
    :func:`send` would have raised for it: a :class:`SendError`
    (:class:`RecipientsRefused`, :class:`MessageRefused`,
    :class:`MessageTooLarge`, :class:`EnvelopeError`, :class:`HeaderError`), or, for a message
    that cannot be sent as given, the ``LineError``/``TypeError`` that says
    why (nothing of it was sent).  A refused message never stops the next.

    With PIPELINING a message costs one round trip: the write that carries
    a message's body and end of data also carries the next message's
    MAIL, RCPT and DATA (RFC 2920, section 3.1).  When the reply to the
    end of data is a refusal, the next envelope is already on its way;
    RFC 5321 (section 4.1.1.4) ends the transaction with that reply
    whatever it says, so the next message starts clean without RSET.

    An I/O error, a timeout or a 421 reply (the server is closing the
    session; that message's entry is its :class:`MessageRefused`) stops
    the batch: the connection is closed and :class:`BatchAborted` is raised, whose ``results`` hold an entry
    for every message taken from ``messages``; those in flight are
    :class:`MessageNotSent` (``uncertain`` when the server had the whole
    message and may have accepted it).  An exception from ``messages``
    itself also raises :class:`BatchAborted`, after the message in flight
    was finished, with the connection still usable.

    Example::

        results = send_many("127.0.0.1:2525", [
            ("me@example.com", ["you@example.com"], b"Subject: 1\\r\\n\\r\\none\\r\\n"),
            ("me@example.com", ["them@example.org"], b"Subject: 2\\r\\n\\r\\ntwo\\r\\n"),
        ], tls="none")
        failed = [r for r in results if not isinstance(r, SendResult)]
    """
    return run(sending_many(BLOCKING, client_or_address, messages, Options.taking("send_many", options)))


def sending_many(driver: Driver, client_or_address, messages: Iterable, options: Options) -> Steps:
    """:func:`send_many`'s work as steps for ``driver``."""
    chosen = signers(options.dkim)
    items = iter(messages)
    if not isinstance(client_or_address, driver.client_class):
        # Nothing to send costs no connection.
        first = next(items, _END)
        if first is _END:
            return []
        items = itertools.chain((first,), items)
    client, session, table, owned = yield from _open(driver, client_or_address, options)  # client: kept alive here
    results: list = []
    try:
        source_error = yield from session.delivering(table, items, options.pipelining, results,
                                                    options.normalize_line_ends, chosen)
    except FAILURES as err:
        raise BatchAborted(results, err) from err
    except BaseException:
        if owned:
            yield from session.leaving()
        raise
    yield from session.finishing(table, options.quit, owned)
    if source_error is not None:
        raise BatchAborted(results, source_error) from source_error
    return results
