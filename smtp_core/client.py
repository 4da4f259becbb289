"""The SMTP client: Go's ``net/smtp`` semantics with Python manners.

:class:`Client` has one method per SMTP command, and each behaves as the
Go method of the same name (``hello`` is ``Hello``, ``starttls`` is
``StartTLS``, ...): the same bytes on the wire, the same replies accepted,
the same errors, except that errors are raised rather than returned.  The
protocol rules live in the sans-I/O modules (:mod:`~smtp_core.protocol.reply`,
:mod:`~smtp_core.protocol.commands`, :mod:`~smtp_core.protocol.dotstuff`,
:mod:`~smtp_core.protocol.auth`); this module only sequences them over a
:class:`~smtp_core.transport.Transport`.

Contract points worth knowing (all as in Go):

* The first command that needs a greeting sends ``EHLO`` (as ``localhost``
  unless :meth:`Client.hello` chose a name), falling back to ``HELO`` when
  EHLO fails; the outcome is remembered and raised again by later commands.
* :meth:`Client.rcpt` accepts any 25x reply; :meth:`Client.verify` only 250.
* A failed :meth:`Client.auth` sends ``*`` (when the exchange had started)
  and ``QUIT``.
* :meth:`Client.quit` sends ``QUIT`` even when the greeting failed.

Example::

    with dial("127.0.0.1:2525") as c:
        c.mail("me@example.com")
        c.rcpt("you@example.com")
        with c.data() as w:
            w.write(b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
        c.quit()
"""

from __future__ import annotations

import socket
import ssl
from typing import Iterable, Sequence

from .gocompat import netaddr
from . import wirelog
from .protocol.auth import Auth, AuthExchange
from .clientstate import HELLO_TOO_LATE, ClientState, MessageWriter
from .protocol.commands import check_line, command, encode_line, mail_command, rcpt_command
from .protocol.dotstuff import input_before_wire_offset
from .errors import FAILURES, AuthError
from .protocol.reply import MAX_LINE, MAX_REPLY
from .tls import ConnectionState, TLSConfig
from .gocompat.netaddr import split_host_port
from .steps import run
from .transport import Transport

__all__ = ["Client", "DataWriter", "dial", "split_host_port", "send_mail", "HELLO_TOO_LATE"]

_GO_FLUSH = 4096  # Go's bufio.Writer size: it fixes when DATA bytes leave


class Client(ClientState):
    """A connection to an SMTP server (Go's ``*smtp.Client``).

    ``Client(sock, host)`` reads the server's 220 greeting from an already
    connected socket; ``host`` is the server name used by authentication
    (PLAIN compares it).  An ``ssl.SSLSocket`` makes the client start out
    as TLS.  On a failed greeting the socket is closed and the error raised.

    ``timeout`` (beyond Go) bounds each reply and each send, in seconds;
    ``None`` keeps the socket's own setting (Go's behaviour).
    ``redact`` keeps credentials out of the wire log.  What the client
    learns of the server (``extensions``, ``auth_mechanisms``, ``tls``,
    ...) is :class:`~smtp_core.clientstate.ClientState`'s.
    """

    #: The class that :meth:`data` returns (front ends put their own here).
    writer_class: "type[DataWriter]"

    def __init__(
        self,
        sock: socket.socket,
        host: str,
        *,
        timeout: float | None = None,
        redact: bool = True,
        max_line: int = MAX_LINE,
        max_reply: int = MAX_REPLY,
    ) -> None:
        self._t = Transport(sock, peer=host, timeout=timeout, redact=redact, max_line=max_line, max_reply=max_reply)
        super().__init__(host)
        try:
            _, self.greeting = self._t.read_reply(220, "greeting")
        except BaseException:
            try:
                self._t.close()
            except OSError:
                pass
            raise

    def __repr__(self) -> str:
        return "<smtp Client %s, %s>" % (self._state_words(), self._greeted_words())

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.closed:
            self._t.close()

    # -- plumbing ------------------------------------------------------
    def command(self, line: str, expect: int = 0) -> tuple[int, str]:
        """Send a command of your own (one line, checked) and read its reply.

        For extensions the client has no method for, as Go's ``Text`` field
        allows.  ``expect`` follows the prefix rule of
        :func:`~smtp_core.protocol.reply.code_matches`; 0 accepts any code.
        """
        return self._cmd(expect, encode_line(check_line(line)), line.split(" ", 1)[0].upper())

    def greet(self) -> None:
        """EHLO (HELO when EHLO fails) as :attr:`local_name`, once.

        Every command that needs a greeting calls this; the outcome is
        remembered and a failed greeting is raised again each time.
        """
        if not self.hello_ok:
            run(self.hello_steps())

    def _helo(self) -> None:
        self._learn_helo()
        self._cmd(250, command("HELO", self.local_name), "HELO")

    def _ehlo(self) -> None:
        self._learn_ehlo(self._cmd(250, command("EHLO", self.local_name), "EHLO")[1])

    # -- commands ------------------------------------------------------
    def hello(self, local_name: str) -> None:
        """Greet the server as ``local_name``; only before any other command."""
        self._hello_as(local_name)
        self.greet()

    def extension(self, name: str) -> tuple[bool, str]:
        """Whether the server advertised ``name`` (any case) and its parameters.

        Greets first if needed; a failed greeting reads as "not supported".
        """
        try:
            self.greet()
        except FAILURES:
            return False, ""
        return self.offers(name)

    def starttls(self, config: TLSConfig | ssl.SSLContext | None, server_name: str = "", *,
                 forget_auth: bool = False) -> None:
        """Send STARTTLS, switch the connection to TLS, and greet again.

        ``config`` is a :class:`~smtp_core.tls.TLSConfig` or a ready
        ``ssl.SSLContext`` (then ``server_name`` is the name to verify).
        Extensions learnt before TLS are replaced by the new EHLO's; the
        AUTH list too when the new EHLO has one, or always with
        ``forget_auth=True`` (beyond Go: RFC 3207).
        """
        ctx, server_name, refusal = self._tls_plan(config, server_name, forget_auth)
        self.greet()
        self._cmd(220, b"STARTTLS\r\n", "STARTTLS")
        self._t.start_tls(ctx, server_name, refusal)
        self._ehlo()
        self._tls_started()

    def tls_connection_state(self) -> tuple[ConnectionState, bool]:
        """The TLS state and True, or the zero state and False without TLS."""
        return self._t.connection_state()

    def verify(self, address: str) -> None:
        """VRFY ``address``; only a 250 reply counts as success."""
        check_line(address)
        self.greet()
        self._cmd(250, command("VRFY", address), "VRFY")

    def auth(self, mechanism: Auth, *, go_abort: bool = True, plaintext_allowed: bool = False) -> None:
        """Authenticate with ``mechanism``; on failure the client QUITs.

        An error the mechanism raises is re-raised unchanged, after the
        client has aborted the exchange.  ``go_abort=False`` (beyond Go)
        sends ``*`` only in answer to a challenge (334), never after the
        server refused or accepted, and leaves the QUIT to the caller;
        ``plaintext_allowed=True`` (beyond Go) lets the mechanisms that
        refuse an unencrypted non-local server send their secret anyway.
        """
        self.greet()
        exchange = AuthExchange(mechanism, self.server_info(plaintext_allowed))
        try:
            line: bytes | None = exchange.begin()
        except Exception:
            if go_abort:
                self.quit_quietly()
            raise
        code, text = self._cmd(0, line, "AUTH", secret=True)
        while True:
            try:
                line = exchange.on_reply(code, text)
            except Exception:
                if go_abort:
                    self._abort_auth()
                elif code == 334:
                    self._cancel_auth()
                raise
            if line is None:
                self._auth_succeeded()
                return
            code, text = self._cmd(0, line, "AUTH", secret=True)

    def _abort_auth(self) -> None:
        self._cancel_auth()
        self.quit_quietly()

    def _cancel_auth(self) -> None:
        try:
            self._cmd(501, AuthExchange.ABORT, "AUTH abort")
        except FAILURES:
            pass

    def quit_quietly(self, *, then_close: bool = False) -> None:
        """QUIT, ignoring a failure (Go does so after a failed AUTH).

        A failed QUIT leaves the connection as it was, as in Go;
        ``then_close=True`` closes it then, so it ends whatever happens
        (the Pythonic layer's way of leaving).  Nothing is sent when the
        connection is already closed.
        """
        if self._t.closed:
            return
        try:
            self.quit()
        except FAILURES:
            if then_close and not self._t.closed:
                try:
                    self.close()
                except OSError:
                    pass

    def mail(self, sender: str, params: str = "") -> None:
        """MAIL FROM:<sender>, with BODY=8BITMIME/SMTPUTF8 when advertised.

        ``params`` (beyond Go) adds ESMTP parameters such as ``SIZE=1000``.
        """
        check_line(sender)
        self.greet()
        self._cmd(250, mail_command(sender, self.extensions, params=params), "MAIL")

    def rcpt(self, recipient: str) -> None:
        """RCPT TO:<recipient>; any 25x reply is success."""
        self._cmd(25, rcpt_command(recipient), "RCPT")

    def data(self) -> "DataWriter":
        """Send DATA and return the writer for the message; close it to finish."""
        self._cmd(354, b"DATA\r\n", "DATA")
        self._writer = self.writer_class(self)
        return self._writer

    def reset(self) -> None:
        """RSET: abort the current mail transaction."""
        self.greet()
        self._cmd(250, b"RSET\r\n", "RSET")

    def noop(self) -> None:
        """NOOP: check that the server still answers."""
        self.greet()
        self._cmd(250, b"NOOP\r\n", "NOOP")

    def quit(self) -> None:
        """QUIT and close; a failed greeting does not stop the QUIT."""
        try:
            self.greet()
        except FAILURES:
            pass
        self._cmd(221, b"QUIT\r\n", "QUIT")
        self._t.close()

    def close(self) -> None:
        """Close the connection without QUIT; a second close raises OSError."""
        self._writer = None
        self._t.close()


class DataWriter(MessageWriter):
    """The message writer returned by :meth:`Client.data` (Go's DotWriter).

    :meth:`write` encodes and queues bytes and returns how many input bytes
    it took; bytes leave in the same 4096-byte steps as Go's, so a failed
    connection reports the same count.  :meth:`close` ends the message and
    reads the server's verdict.  Beyond Go, writing to or closing a writer
    that is already closed raises OSError instead of sending stray bytes.
    """

    __slots__ = ("_t", "_flushed", "_error")

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self._t = client._t
        self._flushed = 0  # wire bytes sent
        self._error: OSError | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Encode ``data`` into the message; return ``len(data)`` or raise.

        A raised ``OSError`` carries ``bytes_accepted``: the input bytes Go
        would report as written.
        """
        self._check_writable()
        if self._error is not None:  # sticky, as Go's bufio.Writer
            self._error.bytes_accepted = 0  # type: ignore[attr-defined]
            raise self._error.with_traceback(None)
        state = self._encoder.state
        out = self._encoder.encode(bytes(data))
        self._pending += out
        start = self._wire
        self._wire += len(out)
        # Go sends a full 4096-byte buffer only once the next byte arrives.
        flush_to = ((self._wire - 1) // _GO_FLUSH) * _GO_FLUSH
        if flush_to > self._flushed:
            count = flush_to - self._flushed
            failure: OSError | None = None
            # Views released on every path: a view kept alive (by a
            # traceback) would forbid resizing _pending ever after.
            with memoryview(self._pending) as whole, whole[:count] as chunk:
                try:
                    self._t.send_partial(chunk)
                except OSError as err:
                    failure = err
            if failure is not None:
                sent = getattr(failure, "bytes_sent", 0)
                failed_at = self._flushed + (sent // _GO_FLUSH + 1) * _GO_FLUSH
                failure.bytes_accepted = input_before_wire_offset(  # type: ignore[attr-defined]
                    bytes(data), state, failed_at - start)
                self._error = failure.with_traceback(None)
                raise failure
            del self._pending[:count]
            self._flushed = flush_to
        return len(data)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        """End the message (``.`` line) and read the server's reply (250)."""
        tail = self._finish()
        client = self._client
        self._pending += tail
        send_error: OSError | None = None
        if self._error is None:
            try:
                self._t.send(bytes(self._pending), "DATA body", log=False)
            except OSError as err:  # like Go: the reply, if any, tells more
                send_error = err
        if wirelog.enabled():
            wirelog.log_body(client.server_name, self._wire + len(tail))
        self._pending = bytearray()
        try:
            self._t.read_reply(250, "DATA end")
        except OSError:
            if send_error is not None and self._t.closed:
                raise send_error from None
            raise

    def __enter__(self) -> "DataWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._closed and exc_type is None:
            self.close()


def connect(address: str, timeout: float | None = None) -> tuple[socket.socket, str]:
    """Open a TCP connection to ``host:port`` as Go's ``net.Dial`` does; return it and the host.

    Go's address rules and error texts (see :mod:`~smtp_core.gocompat.netaddr`).
    """
    sock = netaddr.dial(address, timeout if timeout is not None else socket.getdefaulttimeout())
    return sock, split_host_port(address)[0]


def dial(address: str, *, timeout: float | None = None, client_class: type = None, **options) -> Client:
    """Connect to ``host:port`` (a service name such as ``smtp`` works too).

    The host part becomes the server name used by authentication.
    ``client_class`` lets a front end get its own subclass of :class:`Client`.
    """
    sock, host = connect(address, timeout)
    return (client_class or Client)(sock, host, timeout=timeout, **options)


def send_mail(address: str, auth: Auth | None, sender: str, to: Sequence[str], msg: bytes) -> None:
    """Go's ``SendMail``: one message over a new connection.

    Switches to TLS when the server offers STARTTLS (verifying the server
    name against the system's trust store), authenticates when ``auth`` is
    given and the server speaks ESMTP, then sends.  Any failure closes the
    connection without QUIT.
    """
    check_line(sender)
    for recipient in to:
        check_line(recipient)
    client = dial(address)
    try:
        client.greet()
        if client.extension("STARTTLS")[0]:
            client.starttls(TLSConfig(server_name=client.server_name))
        if auth is not None and client.extensions is not None:
            if "AUTH" not in client.extensions:
                raise AuthError("smtp: server doesn't support AUTH")
            client.auth(auth)
        client.mail(sender)
        for recipient in to:
            client.rcpt(recipient)
        writer = client.data()
        writer.write(msg)
        writer.close()
        client.quit()
    finally:
        if not client.closed:
            client.close()


Client.writer_class = DataWriter
