"""The asyncio SMTP client: :class:`smtp_core.client.Client`'s commands as coroutines.

One coroutine per SMTP command over one ``_cmd``, in the order and with
the rules of the blocking client (Go's ``net/smtp``): the same bytes on
the wire (built by :mod:`~smtp_core.protocol.commands`), the same replies accepted
(:mod:`~smtp_core.protocol.reply`), the same AUTH exchanges
(:class:`~smtp_core.protocol.auth.AuthExchange`), the same errors, raised.  Only
the transport differs (:class:`~smtp_core.aio.transport.AsyncTransport`).
The Go names (``Mail``, ``Rcpt``, ``Data``, ...) are the same coroutines.

Differences from the blocking client, both because nothing blocks:

* :meth:`DataWriter.write` is a coroutine that queues encoded bytes and
  sends them in blocks of :data:`FLUSH` bytes (Go's 4096-byte steps, and
  the ``bytes_accepted`` count they give a failed write, are the blocking
  writer's business);
* ``async with`` closes the connection on the way out.

Example::

    async with await dial("127.0.0.1:2525") as c:
        await c.mail("me@example.com")
        await c.rcpt("you@example.com")
        w = await c.data()
        await w.write(b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
        await w.close()
        await c.quit()
"""

from __future__ import annotations

import asyncio
import socket
import ssl

from ..gocompat import netaddr
from .. import wirelog
from ..protocol.auth import Auth, AuthExchange
from ..clientstate import ClientState, MessageWriter
from ..errors import FAILURES
from ..protocol.commands import check_line, command, encode_line, mail_command, rcpt_command
from ..gocompat.neterror import op_error
from ..protocol.reply import MAX_LINE, MAX_REPLY
from ..tls import ConnectionState, TLSConfig
from .steps import run
from .transport import AsyncTransport, within

__all__ = ["Client", "DataWriter", "dial", "open_socket", "FLUSH"]

FLUSH = 64 * 1024  # encoded bytes queued by DataWriter.write before they are sent


class Client(ClientState):
    """A connection to an SMTP server on an event loop (make one with :func:`dial`
    or :meth:`greeted`); the state of :class:`smtp_core.client.Client`
    (:class:`~smtp_core.clientstate.ClientState`, the same object type)."""

    def __init__(self, transport: AsyncTransport, host: str) -> None:
        self._t = transport
        super().__init__(host)

    @classmethod
    async def greeted(cls, transport: AsyncTransport, host: str) -> "Client":
        """A client on ``transport`` once the server's 220 greeting is read;
        on a failed greeting the connection is closed and the error raised."""
        client = cls(transport, host)
        try:
            _, client.greeting = await transport.read_reply(220, "greeting")
        except BaseException:
            if not transport.closed:
                transport.close()
            raise
        return client

    def __repr__(self) -> str:
        return "<smtp aio Client %s>" % self._state_words()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.closed:
            self._t.close()

    # -- plumbing ------------------------------------------------------
    async def command(self, line: str, expect: int = 0) -> tuple[int, str]:
        """Send a command of your own (one line, checked) and read its reply."""
        return await self._cmd(expect, encode_line(check_line(line)), line.split(" ", 1)[0].upper())

    async def greet(self) -> None:
        """EHLO (HELO when EHLO fails) as :attr:`local_name`, once; a failure is kept."""
        if not self.hello_ok:
            await run(self.hello_steps())

    async def _ehlo(self) -> None:
        self._learn_ehlo((await self._cmd(250, command("EHLO", self.local_name), "EHLO"))[1])

    async def _helo(self) -> None:
        self._learn_helo()
        await self._cmd(250, command("HELO", self.local_name), "HELO")

    # -- commands ------------------------------------------------------
    async def hello(self, local_name: str) -> None:
        """Greet the server as ``local_name``; only before any other command."""
        self._hello_as(local_name)
        await self.greet()

    async def extension(self, name: str) -> tuple[bool, str]:
        """Whether the server advertised ``name`` (any case) and its parameters."""
        try:
            await self.greet()
        except FAILURES:
            return False, ""
        return self.offers(name)

    async def starttls(self, config: TLSConfig | ssl.SSLContext | None, server_name: str = "", *,
                       forget_auth: bool = False) -> None:
        """STARTTLS, the handshake (``loop.start_tls``), and a new EHLO
        (see :meth:`smtp_core.client.Client.starttls`)."""
        ctx, server_name, refusal = self._tls_plan(config, server_name, forget_auth)
        await self.greet()
        await self._cmd(220, b"STARTTLS\r\n", "STARTTLS")
        await self._t.start_tls(ctx, server_name, refusal)
        await self._ehlo()
        self._tls_started()

    def tls_connection_state(self) -> tuple[ConnectionState, bool]:
        return self._t.connection_state()

    async def verify(self, address: str) -> None:
        check_line(address)
        await self.greet()
        await self._cmd(250, command("VRFY", address), "VRFY")

    async def auth(self, mechanism: Auth, *, go_abort: bool = True, plaintext_allowed: bool = False) -> None:
        """Authenticate with ``mechanism`` (see :meth:`smtp_core.client.Client.auth`)."""
        await self.greet()
        exchange = AuthExchange(mechanism, self.server_info(plaintext_allowed))
        try:
            line: bytes | None = exchange.begin()
        except Exception:
            if go_abort:
                await self.quit_quietly()
            raise
        code, text = await self._cmd(0, line, "AUTH", secret=True)
        while True:
            try:
                line = exchange.on_reply(code, text)
            except Exception:
                if go_abort or code == 334:
                    try:
                        await self._cmd(501, AuthExchange.ABORT, "AUTH abort")
                    except FAILURES:
                        pass
                if go_abort:
                    await self.quit_quietly()
                raise
            if line is None:
                self._auth_succeeded()
                return
            code, text = await self._cmd(0, line, "AUTH", secret=True)

    async def quit_quietly(self, *, then_close: bool = False) -> None:
        """QUIT, ignoring a failure; ``then_close`` closes whatever happens."""
        if self._t.closed:
            return
        try:
            await self.quit()
        except FAILURES:
            if then_close and not self._t.closed:
                self._t.close()

    async def mail(self, sender: str, params: str = "") -> None:
        check_line(sender)
        await self.greet()
        await self._cmd(250, mail_command(sender, self.extensions, params=params), "MAIL")

    async def rcpt(self, recipient: str) -> None:
        await self._cmd(25, rcpt_command(recipient), "RCPT")

    async def data(self) -> "DataWriter":
        await self._cmd(354, b"DATA\r\n", "DATA")
        self._writer = DataWriter(self)
        return self._writer

    async def reset(self) -> None:
        await self.greet()
        await self._cmd(250, b"RSET\r\n", "RSET")

    async def noop(self) -> None:
        await self.greet()
        await self._cmd(250, b"NOOP\r\n", "NOOP")

    async def quit(self) -> None:
        try:
            await self.greet()
        except FAILURES:
            pass
        await self._cmd(221, b"QUIT\r\n", "QUIT")
        self._t.close()

    def close(self) -> None:
        """Close without QUIT; a second close raises OSError."""
        self._writer = None
        self._t.close()

    # The Go names, for readers of Go's documentation.
    Hello, Extension, StartTLS, TLSConnectionState, Verify, Auth = hello, extension, starttls, \
        tls_connection_state, verify, auth
    Mail, Rcpt, Data, Reset, Noop, Quit, Close = mail, rcpt, data, reset, noop, quit, close


class DataWriter(MessageWriter):
    """The message writer of :meth:`Client.data`: ``await w.write(b)``, ``await w.close()``."""

    __slots__ = ()

    async def write(self, data: bytes | bytearray | memoryview) -> int:
        """Encode ``data`` into the message; return ``len(data)``."""
        self._check_writable()
        out = self._encoder.encode(bytes(data))
        self._pending += out
        self._wire += len(out)
        if len(self._pending) >= FLUSH:
            chunk, self._pending = bytes(self._pending), bytearray()
            await self._client.transport.send(chunk, "DATA block", log=False)
        return len(data)

    async def close(self) -> None:
        """End the message (``.`` line) and read the server's reply (250)."""
        tail = self._finish()
        client = self._client
        t = client.transport
        waiting = t.send_soon(bytes(self._pending) + tail, "DATA body", log=False)
        if waiting is not None:
            await waiting
        if wirelog.enabled():
            wirelog.log_body(client.server_name, self._wire + len(tail))
        self._pending = bytearray()
        reply = t.read_reply_soon(250, "DATA end")
        if type(reply) is not tuple:
            await reply

    Write, Close = write, close


async def open_socket(address: str, timeout: float | None = None) -> socket.socket:
    """A connected non-blocking TCP socket to ``host:port``, as Go's
    ``net.Dial`` makes it: its address rules (:func:`smtp_core.gocompat.netaddr.resolve`,
    run off the loop when a name must be looked up), one try per address,
    each with its share of ``timeout``, and Go's error texts."""
    loop = asyncio.get_running_loop()
    host = netaddr.split_host_port(address)[0] if address else ""
    try:
        if host and not _is_ip(host):  # a name to look up: not on the loop
            targets = await loop.run_in_executor(None, netaddr.resolve, address)
        else:
            targets = netaddr.resolve(address)
    except (netaddr.AddrError, netaddr.DNSError) as err:
        failure: OSError = err.in_dial()
        raise failure from None
    deadline = None if timeout is None else loop.time() + timeout
    first: OSError | None = None
    for index, target in enumerate(targets):
        sock = socket.socket(target.family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            try:
                share = None if deadline is None else netaddr.dial_share(deadline - loop.time(), len(targets) - index)
                await within(loop.sock_connect(sock, target.sockaddr), share)
            except asyncio.TimeoutError:  # not an OSError before Python 3.11
                raise socket.timeout("timed out") from None
        except OSError as err:  # a timeout too, as Go's "dial tcp ...: i/o timeout"
            sock.close()
            if first is None:
                first = op_error("dial", err, addr=target.text, syscall="connect")
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise first  # type: ignore[misc]


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host.split("%", 1)[0])
    except OSError:
        return False
    return True


async def dial(address: str, *, timeout: float | None = None, redact: bool = True,
               max_line: int = MAX_LINE, max_reply: int = MAX_REPLY) -> Client:
    """Connect to ``host:port`` and read the greeting (:func:`smtp_core.dial` on the loop)."""
    sock = await open_socket(address, timeout)
    host = netaddr.split_host_port(address)[0]
    try:
        transport = await AsyncTransport.connect(sock, peer=host, timeout=timeout, redact=redact,
                                                 max_line=max_line, max_reply=max_reply)
    except BaseException:
        sock.close()
        raise
    return await Client.greeted(transport, host)
