"""The socket side of the engine: sending lines, reading replies, TLS upgrade.

A :class:`Transport` owns one connected socket.  It knows nothing of SMTP
commands: it sends bytes, feeds received bytes to a
:class:`~smtp_core.protocol.reply.ReplyReader`, and upgrades to TLS.  It keeps the
few rules Go's ``net`` and ``crypto/tls`` impose on a connection:

* after ``close()``, every operation fails with an I/O error, a second
  ``close()`` included;
* a TLS handshake that failed fails every later operation with the same
  error (Go caches it), while the connection still counts as TLS;
* when the upgrade starts, bytes already received in plaintext are thrown
  away, so nothing injected before the handshake is ever read as a reply.

Those rules, Go's error texts and the wire log do no I/O: they are
:class:`TransportRules`, which the asyncio driver
(:class:`smtp_core.aio.transport.AsyncTransport`) shares; each driver adds
only its socket.

Deadlines (beyond Go): with ``timeout`` set, each reply must arrive whole
within that many seconds (a trickling server cannot stretch it), and a
timeout closes the connection, since its state is unknown afterwards.

Two ways to enforce them.  By default Python's socket timeout (the
caller's own socket is left as the caller set it when ``timeout`` is
``None``); Python then polls before every send and recv, and each change
of timeout is one more system call.  The Pythonic layer instead calls
:meth:`Transport.use_kernel_timeouts` on the plain TCP connections it opens
itself: the socket becomes blocking, the kernel's ``SO_RCVTIMEO`` /
``SO_SNDTIMEO`` wake a call that waits too long, and the transport keeps
the deadline, so a send or a recv is one system call and changing the
timeout costs none.  TLS keeps Python's timeouts (a blocking
``SSLSocket`` retries a timed-out read forever).

I/O errors read as Go's (``write tcp 127.0.0.1:41234->127.0.0.1:25: write:
broken pipe``, see :mod:`~smtp_core.gocompat.neterror`): the transport knows both
ends of its connection and rewrites every socket error it raises, keeping
its class and errno.  Errors it keeps (a failed handshake) are raised
again without their old traceback, so nothing they once pointed at
(message buffers included) stays alive.
"""

from __future__ import annotations

import errno
import socket
import ssl
import struct
import sys
import time

from . import wirelog
from .errors import ReplyError, ReplyTooLong, ServerClosed, StageTimeout, TLSSetupError
from .gocompat.neterror import CLOSED_TEXT, TIMEOUT_TEXT, GoNetError, ends_of, go_error, op_error, op_text
from .protocol.reply import MAX_LINE, MAX_REPLY, ReplyReader
from .tls import NO_SERVER_NAME_TEXT, ConnectionState, HandshakeWatch, sni_name, wrap_client

__all__ = ["Transport", "TransportRules"]

_RECV_SIZE = 65536

# Where SO_RCVTIMEO/SO_SNDTIMEO take a struct timeval and a timed-out call
# fails with EAGAIN (checked on Linux; elsewhere Python's timeouts are used).
_KERNEL_TIMEOUTS = sys.platform.startswith("linux") and hasattr(socket, "SO_RCVTIMEO")
_MAX_KERNEL_TIMEOUT = 365 * 86400.0  # longer is "forever" for an SMTP reply


def _timeval(seconds: float) -> bytes:
    # Never zero: a zero timeval means "no timeout" to the kernel.
    seconds = min(seconds, _MAX_KERNEL_TIMEOUT)
    whole = int(seconds)
    micro = max(int((seconds - whole) * 1e6), 0 if whole else 1)
    return struct.pack("ll", whole, micro)


class TransportRules:
    """The half of a transport that does no I/O, shared by both drivers
    (this module's :class:`Transport` and
    :class:`smtp_core.aio.transport.AsyncTransport`): the connection's
    state, Go's error texts for it, what a failed read, write or handshake
    becomes, the wire log of replies and closing.  A driver adds the
    socket: ``_drop()`` releases it, ``_ssl_object()`` finds its SSL
    object, ``_waited()`` says which bound ran out.
    """

    __slots__ = (
        "reader", "peer", "timeout", "redact", "closed", "closed_by_caller",
        "is_tls", "tls_error", "tls_server_name", "tls_version_seen", "net", "local_addr", "remote_addr",
    )

    # -- errors --------------------------------------------------------
    def io_error(self, op: str, err: OSError) -> OSError:
        """``err`` as Go reports it for operation ``op`` (``read``, ``write``) on this connection."""
        return op_error(op, err, net=self.net, source=self.local_addr, addr=self.remote_addr)

    def closed_error(self, op: str) -> OSError:
        """Go's error for ``op`` on a connection this side closed.

        Go's ``tls.Conn`` answers a closed connection itself (bare
        ``use of closed network connection``); a TCP connection names the
        operation and both ends.
        """
        err = OSError(errno.EBADF, CLOSED_TEXT)
        if self.is_tls:
            return go_error(err, CLOSED_TEXT)
        return go_error(err, op_text(op, self.net, self.local_addr, self.remote_addr, CLOSED_TEXT))

    def _waited(self) -> float | None:
        return self.timeout

    def _timeout(self, op: str, stage: str) -> StageTimeout:
        # The engine's own deadline names its stage; a caller's socket
        # timeout (Go's SetDeadline) reads as Go's.
        text = None
        if self.timeout is None:
            text = op_text(op, self.net, self.local_addr, self.remote_addr, TIMEOUT_TEXT)
        return StageTimeout(stage, self._waited(), text)

    def _check_usable(self, op: str) -> None:
        # As Go's tls.Conn: the handshake's error until the caller closes.
        if self.tls_error is not None and not self.closed_by_caller:
            raise self.tls_error.with_traceback(None)
        if self.closed:
            raise self.closed_error(op)

    def _write_failure(self, exc: OSError, stage: str) -> OSError:
        """What a send raises for ``exc``: a timeout names its stage and
        closes the connection; other errors read as Go's."""
        if isinstance(exc, socket.timeout):
            failure = self._timeout("write", "sending " + (stage or "data"))
            self._abandon()
            return failure
        return self.io_error("write", exc)

    def _read_failure(self, exc: Exception, stage: str) -> Exception:
        """What :meth:`read_reply` raises for ``exc``.

        A refusal is logged and raised as it is; a runaway reply closes the
        connection (its position in the stream is lost); errors already
        Go's pass; a timeout names its stage and closes; other socket
        errors read as Go's.
        """
        if isinstance(exc, ReplyError):
            if wirelog.enabled():
                wirelog.log_reply(self.peer, exc.Code, exc.Msg)
            return exc
        if isinstance(exc, ReplyTooLong):
            self._abandon()
            return exc
        if isinstance(exc, (GoNetError, ServerClosed, StageTimeout, TLSSetupError)):
            return exc
        if isinstance(exc, socket.timeout):
            failure = self._timeout("read", stage or "reply")
            self._abandon()
            return failure
        if isinstance(exc, OSError):
            return self.io_error("read", exc)
        return exc

    def buffered_reply(self) -> tuple[int, str] | None:
        """The next reply when the bytes already received hold it whole, logged
        as :meth:`read_reply` logs one (any code is accepted), else ``None``:
        no system call, no wait, no timeout (pipelined replies tend to arrive
        together)."""
        reply = self.reader.next_reply(0)
        if reply is not None and wirelog.enabled():
            wirelog.log_reply(self.peer, reply[0], reply[1])
        return reply

    def _replied(self, reply: tuple[int, str], secret: bool) -> tuple[int, str]:
        if wirelog.enabled():
            wirelog.log_reply(self.peer, reply[0], reply[1], secret and self.redact)
        return reply

    # -- TLS -----------------------------------------------------------
    def _tls_begin(self, ctx: ssl.SSLContext | None, refusal: str | None) -> None:
        """The start of every upgrade: buffered plaintext dropped (and
        logged), the connection TLS from now on, ``ctx=None`` refused."""
        dropped = self.reader.discard_buffered()
        if wirelog.enabled():
            wirelog.log_event(self.peer, "TLS handshake (dropped %d buffered plaintext bytes)" % dropped)
        self.is_tls = True
        if ctx is None:
            raise TLSSetupError(refusal or NO_SERVER_NAME_TEXT)

    def _tls_failure(self, err: OSError) -> OSError:
        """Keep (and return) the error a failed upgrade leaves: Go caches it.
        A timeout closes the connection; the handshake both writes and
        reads, and Go names the call that failed."""
        if isinstance(err, socket.timeout):
            self.tls_error = self._timeout("read", "TLS handshake")
            self._abandon()
        elif isinstance(err, TLSSetupError):
            self.tls_error = err
        else:
            self.tls_error = self.io_error("write" if err.errno == errno.EPIPE else "read", err)
        return self.tls_error

    def connection_state(self) -> tuple[ConnectionState, bool]:
        """Go's ``TLSConnectionState``: the zero state and False without TLS;
        after a failed handshake, what is known of it (name, version seen)."""
        if not self.is_tls:
            return ConnectionState(), False
        obj = self._ssl_object() if self.tls_error is None and not self.closed else None
        if obj is not None:
            try:
                if obj.version() is not None:
                    return ConnectionState.of(obj, self.tls_server_name), True
            except (OSError, ValueError):
                pass
        return ConnectionState(Version=self.tls_version_seen, ServerName=self.tls_server_name), True

    def _ssl_object(self):
        raise NotImplementedError  # each driver knows where its SSL object is

    # -- closing -------------------------------------------------------
    def close(self) -> None:
        """Close the connection; a second call fails like Go's (use of closed connection)."""
        if self.closed:
            raise self.closed_error("close")
        self.closed = self.closed_by_caller = True
        if wirelog.enabled():
            wirelog.log_event(self.peer, "connection closed by client")
        self._drop()

    def _abandon(self) -> None:
        # After a timeout or a runaway reply the stream position is unknown:
        # nothing more can be read from it safely.
        if not self.closed:
            self.closed = True
            self._drop()

    def _drop(self) -> None:
        raise NotImplementedError  # each driver releases its own socket


class Transport(TransportRules):
    """One SMTP connection's bytes: lines out, replies in, TLS on demand."""

    __slots__ = ("sock", "kernel_timeouts", "_rcvtimeo", "_sndtimeo")

    def __init__(
        self,
        sock: socket.socket,
        *,
        peer: str = "",
        timeout: float | None = None,
        redact: bool = True,
        max_line: int = MAX_LINE,
        max_reply: int = MAX_REPLY,
    ) -> None:
        self.sock = sock
        self.reader = ReplyReader(max_line, max_reply)
        self.peer = peer
        self.timeout = timeout
        self.redact = redact
        self.closed = False
        self.closed_by_caller = False  # closed by close(), not given up by the engine
        self.is_tls = isinstance(sock, ssl.SSLSocket)
        self.tls_error: OSError | None = None
        self.tls_server_name = sni_name(getattr(sock, "server_hostname", None) or "") if self.is_tls else ""
        self.tls_version_seen = 0
        #: Whether ``timeout`` is enforced by the kernel (see :meth:`use_kernel_timeouts`).
        self.kernel_timeouts = False
        self._rcvtimeo: float | None = None  # the kernel's current values
        self._sndtimeo: float | None = None
        #: Go's names for the network and the two ends (``tcp``, ``127.0.0.1:41234``, ...).
        self.net, self.local_addr, self.remote_addr = ends_of(sock)
        if timeout is not None:
            sock.settimeout(timeout)

    # -- timeouts ------------------------------------------------------
    def use_kernel_timeouts(self) -> bool:
        """Let the kernel enforce ``timeout`` from now on; return whether it does.

        Only for a plain TCP socket this transport's owner opened itself,
        with ``timeout`` set: the socket becomes blocking, and the kernel's
        ``SO_RCVTIMEO``/``SO_SNDTIMEO`` wake a send or recv that waits too
        long.  Those act as a tick, never longer than the time left: when
        one runs out before the deadline the call simply waits again.  So
        the options are set only when a shorter bound is wanted (or a much
        longer one), not at every change between RFC 5321's per-stage
        values, and a send or recv is one system call.  Not for TLS, nor
        for a socket a caller handed over (its settings are the caller's);
        a STARTTLS goes back to Python's timeouts.
        """
        if (not _KERNEL_TIMEOUTS or self.kernel_timeouts or self.timeout is None or self.closed
                or self.is_tls or type(self.sock) is not socket.socket):
            return self.kernel_timeouts
        self.sock.settimeout(None)
        self.kernel_timeouts = True
        self._rcvtimeo = self._sndtimeo = None
        return True

    def _python_timeouts(self) -> None:
        """Back to Python's own timeouts: for a STARTTLS, or for a caller who
        removed the bound (``client.timeout = None``)."""
        self.kernel_timeouts = False
        if not self.closed:
            no_timeout = struct.pack("ll", 0, 0)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, no_timeout)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, no_timeout)
            self.sock.settimeout(self.timeout)

    def set_timeout(self, seconds: float | None) -> None:
        """Bound the next sends and replies by ``seconds`` (``None``: no bound).

        The one place a connection's timeout changes.  Under kernel
        timeouts the socket stays blocking (a Python timeout on it would
        restart at every recv, letting a trickling server stretch a wait
        to nearly twice the bound); ``None`` there goes back to Python's
        timeouts.  Unchanged values cost nothing.
        """
        if self.timeout == seconds:
            return
        self.timeout = seconds
        if self.closed:
            return
        if self.kernel_timeouts:
            if seconds is None:
                self._python_timeouts()
        else:
            self.sock.settimeout(seconds)

    def _tick(self, option: int, current: float | None, left: float) -> None:
        # Keep the kernel's value while it wakes us no later than the time
        # left and not needlessly often; otherwise make it the time left.
        if current is None or current > left or current * 8 < left:
            self.sock.setsockopt(socket.SOL_SOCKET, option, _timeval(left))
            if option == socket.SO_RCVTIMEO:
                self._rcvtimeo = left
            else:
                self._sndtimeo = left

    def _send_by_deadline(self, sock: socket.socket, data) -> None:
        """``sendall`` under kernel timeouts, within ``timeout`` in all.

        A failure carries ``bytes_sent``; running out of time raises
        ``socket.timeout`` (the connection is not closed here).
        """
        left = self.timeout
        deadline = time.monotonic() + left
        total, sent, view = len(data), 0, None
        try:
            while True:
                if left <= 0:
                    raise socket.timeout("timed out")
                self._tick(socket.SO_SNDTIMEO, self._sndtimeo, left)
                try:
                    sent += sock.send(data if view is None else view[sent:])
                except BlockingIOError:  # the tick ran out; the deadline may not have
                    pass
                if sent >= total:
                    return
                if view is None:  # no new export of a caller's view (see send_partial)
                    view = data if isinstance(data, memoryview) else memoryview(data)
                left = deadline - time.monotonic()
        except OSError as exc:
            exc.bytes_sent = sent  # type: ignore[attr-defined]
            raise

    def _recv_by_deadline(self, sock: socket.socket, deadline: float, left: float) -> bytes:
        """One recv under kernel timeouts that gives up at ``deadline`` (``left`` from now)."""
        while True:
            if left <= 0:
                raise socket.timeout("timed out")
            self._tick(socket.SO_RCVTIMEO, self._rcvtimeo, left)
            try:
                return sock.recv(_RECV_SIZE)
            except BlockingIOError:  # the tick ran out; the deadline may not have
                left = deadline - time.monotonic()

    # -- sending -------------------------------------------------------
    def _usable(self, op: str) -> socket.socket:
        self._check_usable(op)
        return self.sock

    def send(self, data: bytes, stage: str = "", secret: bool = False, log: bool = True) -> None:
        """Send ``data`` whole (one command line or a block of message).

        ``log=False`` keeps ``data`` out of the wire log: message bodies
        (the caller logs their size instead) and batches of pipelined
        commands (the caller logs them one line at a time).
        """
        sock = self._usable("write")
        if log and wirelog.enabled():
            wirelog.log_sent(self.peer, data, secret and self.redact)
        try:
            if self.kernel_timeouts and self.timeout is not None:
                self._send_by_deadline(sock, data)
            else:
                if self.kernel_timeouts:
                    self._python_timeouts()
                sock.sendall(data)
        except OSError as exc:
            failure = self._write_failure(exc, stage)
        else:
            return
        raise failure  # outside the handler: no chain to Python's error

    def send_partial(self, data, stage: str = "data") -> int:
        """Send all of ``data`` (bytes or a memoryview); return the count, or raise
        with ``bytes_sent`` set on the error (the DATA writer and the end of
        data in :mod:`.pythonic.pipeline` need to know).  ``stage`` names a timeout.

        No view of ``data`` outlives the call, even on failure: the caller
        may resize the buffer behind it.
        """
        sock = self._usable("write")
        sent = 0
        with memoryview(data) as view:
            try:
                if self.kernel_timeouts and self.timeout is not None:
                    self._send_by_deadline(sock, view)
                    sent = len(view)
                else:
                    if self.kernel_timeouts:
                        self._python_timeouts()
                    while sent < len(view):
                        sent += sock.send(view[sent:])
            except OSError as exc:
                sent = getattr(exc, "bytes_sent", sent)
                failure = self._write_failure(exc, stage)
            else:
                return sent
        failure.bytes_sent = sent  # type: ignore[attr-defined]
        raise failure

    # -- receiving -----------------------------------------------------
    def read_reply(self, expect: int, stage: str = "", secret: bool = False) -> tuple[int, str]:
        """Read one whole reply; raise its error when the code is not ``expect``."""
        reader = self.reader
        deadline = None
        narrowed = False  # whether the socket's timeout was cut to the deadline
        try:
            while True:
                reply = reader.next_reply(expect)
                if reply is not None:
                    break
                sock = self._usable("read")
                if self.kernel_timeouts and self.timeout is not None:
                    if deadline is None:
                        left = self.timeout
                        deadline = time.monotonic() + left
                    else:  # the reply comes in pieces: only what is left of its time
                        left = deadline - time.monotonic()
                    data = self._recv_by_deadline(sock, deadline, left)
                else:
                    if self.kernel_timeouts:
                        self._python_timeouts()
                    if self.timeout is not None:
                        now = time.monotonic()
                        if deadline is None:
                            deadline = now + self.timeout
                        elif now >= deadline:
                            raise socket.timeout()
                        else:
                            sock.settimeout(deadline - now)
                            narrowed = True
                    data = sock.recv(_RECV_SIZE)
                if data:
                    reader.feed(data)
                else:
                    reader.feed_eof()
        except Exception as exc:
            failure: Exception | None = self._read_failure(exc, stage)
        else:
            failure = None
        finally:
            # Only when it was cut: each settimeout is a system call, and a
            # reply usually arrives in one piece.
            if narrowed and not self.closed:
                self.sock.settimeout(self.timeout)
        if failure is not None:
            raise failure  # outside the handler: no chain to Python's error
        return self._replied(reply, secret)

    def exchange(self, line: bytes, expect: int, stage: str = "", secret: bool = False) -> tuple[int, str]:
        """Send one command line and read its reply."""
        self.send(line, stage, secret)
        return self.read_reply(expect, stage, secret)

    # -- TLS -----------------------------------------------------------
    def start_tls(self, ctx: ssl.SSLContext | None, server_name: str, refusal: str | None = None) -> None:
        """Switch to TLS after the server's 220; ``ctx=None`` means "cannot start" (``refusal`` says why).

        Plaintext already buffered is dropped first.  A failure is cached:
        every later operation re-raises it.
        """
        if self.kernel_timeouts:
            # A blocking SSLSocket retries a read the kernel timed out, forever.
            self._python_timeouts()
        try:
            self._tls_begin(ctx, refusal)
            watch = HandshakeWatch()
            watched = watch.start(ctx)  # before the wrap: the SSL object copies the callback
            try:
                tls_sock = wrap_client(self.sock, ctx, server_name)
                self.tls_server_name = sni_name(server_name)
                self.sock = tls_sock
                tls_sock.do_handshake()
            except OSError as err:
                raise watch.explain(err, server_name)
            finally:
                if watched:
                    watch.stop(ctx)
                self.tls_version_seen = watch.version
        except OSError as err:
            failure = self._tls_failure(err)
        else:
            return
        raise failure

    def _ssl_object(self):
        sock = self.sock
        return sock if isinstance(sock, ssl.SSLSocket) else None

    # -- closing -------------------------------------------------------
    def _drop(self) -> None:
        self.sock.close()

    def _waited(self) -> float | None:
        # Without ``timeout`` the socket's own setting (the caller's
        # settimeout) is what ran out; name it rather than "None".
        return self.timeout if self.timeout is not None else self.sock.gettimeout()
