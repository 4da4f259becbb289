"""The asyncio socket driver: lines out, replies in, TLS on demand, never blocking the loop.

:class:`AsyncTransport` is :class:`smtp_core.transport.Transport` for an
event loop: the same methods (``send``, ``read_reply``, ``start_tls``,
``set_timeout``, ``close``, ``connection_state``), the same
:class:`~smtp_core.protocol.reply.ReplyReader` under them, the same errors (Go's
texts, :class:`~smtp_core.errors.StageTimeout` naming the stage), but
``send``, ``read_reply`` and ``start_tls`` are coroutines.  So the
conversations of :mod:`smtp_core.pythonic` run on it unchanged
(:mod:`smtp_core.aio.steps`).  Rules beyond the blocking transport's:

* **An asyncio buffered Protocol, not streams.**  asyncio reads into one
  buffer kept for the connection (a plain Protocol gets a fresh 256 KiB
  ``bytes`` allocated and shrunk per read, which cost more than the rest
  of a reply's handling); the bytes go straight into the reply reader.  A
  reply that is not whole yet is a :class:`ReplyWait`, woken by the next
  bytes.  On a plain TCP connection whoever waits (a task, or a step
  runner's callback) goes on inside ``buffer_updated``, on the loop turn
  the reply arrived on (a future would cost a second turn); under TLS,
  where asyncio's SSL protocol is mid-read when it hands bytes on, on the
  next turn as with a future.  A reply already received costs no wait,
  and no coroutine (the ``*_soon`` methods, :data:`SOON`).
* **Deadlines are loop timers** (``loop.call_at``): each reply must arrive
  whole within ``timeout`` (a trickling server cannot stretch it), a send
  whose bytes the kernel will not take within it times out too.  A
  timeout closes the connection, as in the blocking driver.
* **Cancellation closes.**  A task cancelled while it waits for a reply, a
  send or a handshake leaves the stream in an unknown state: the
  connection is aborted and ``CancelledError`` goes on.  The bounded
  waits of connecting and of a TLS handshake (:func:`within`) never lose
  a cancellation, as ``asyncio.wait_for`` did before Python 3.12.
* **Bounded buffering.**  Bytes the client is not reading yet (a server
  talking while we send) are buffered up to :data:`READ_PAUSE`; past it
  the transport stops reading until a reply is asked for.
* **STARTTLS** is ``loop.start_tls``; plaintext buffered before it is
  dropped, and a failed handshake is kept and raised by every later
  operation until the caller closes, as in Go.
* **Closing** aborts the asyncio transport (nothing of ours is pending
  after a QUIT), so the socket is released on the loop's next turn and no
  "unclosed transport" is left behind.
"""

from __future__ import annotations

import asyncio
import socket
import ssl

from .. import wirelog
from ..errors import TLSSetupError
from ..gocompat.neterror import ends_of
from ..protocol.reply import MAX_LINE, MAX_REPLY, ReplyReader
from ..tls import check_client_name, sni_name
from ..transport import TransportRules
from .wakeup import Wakeup

__all__ = ["AsyncTransport", "Receiver", "ReplyWait", "READ_PAUSE", "SOON", "within"]

#: Unread bytes past which the transport stops reading until asked for a reply.
READ_PAUSE = 1 << 20


#: Bytes read per ``recv``: into one buffer kept for the connection.
RECV_SIZE = 65536


class Receiver(asyncio.BufferedProtocol):
    """The asyncio side of one connection: feeds the reply reader, wakes the waiter.

    A buffered protocol: asyncio reads into one buffer of ours, where a
    plain protocol gets a new 256 KiB ``bytes`` made (and shrunk) per read.
    """

    __slots__ = ("reader", "transport", "waiter", "drain", "lost", "write_paused", "read_paused", "unread",
                 "_buffer")

    def __init__(self, reader: ReplyReader) -> None:
        self.reader = reader
        self.transport: asyncio.Transport | None = None
        self.waiter: ReplyWait | None = None  # a reply waited for
        self.drain: Wakeup | None = None  # a send waiting for the buffer to empty
        self.lost: BaseException | None = None  # why the connection broke (None: it has not)
        self.write_paused = False
        self.read_paused = False
        self.unread = 0
        self._buffer = memoryview(bytearray(RECV_SIZE))

    def connection_made(self, transport) -> None:
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.reader.feed(self._buffer[:nbytes])  # copied: the buffer is read into again
        waiter = self.waiter
        if waiter is not None:
            waiter.wake()
            return
        self.unread += nbytes
        if self.unread > READ_PAUSE and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        self.reader.feed_eof()
        self._wake(None)
        return False  # let asyncio close our side

    def connection_lost(self, exc: BaseException | None) -> None:
        if exc is not None:
            self.lost = exc
        elif not self.reader.at_eof:
            self.reader.feed_eof()
        self._wake(exc)
        self._wake_drain(exc)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._wake_drain(None)

    def _wake(self, exc: BaseException | None) -> None:
        waiter = self.waiter
        if waiter is not None:
            waiter.wake()

    def _wake_drain(self, exc: BaseException | None) -> None:
        drain = self.drain
        if drain is not None:
            drain.wake()

    def wanted(self) -> None:
        """A reply is being asked for: read again if reading was paused."""
        self.unread = 0
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()


async def within(operation, seconds: float | None, discard=None):
    """Await ``operation`` for at most ``seconds`` (``None``: no bound), as
    :func:`asyncio.wait_for` does, but never lose a cancellation.

    Before Python 3.12, ``wait_for`` returns the result when the operation
    ends on the loop turn the caller is cancelled on: the cancellation is
    swallowed and a cancelled send goes on talking.  Here it always goes
    on: the operation is cancelled and waited for, and what it produced
    anyway (a transport, say) is handed to ``discard`` to be closed.  When
    time is up, the same, and ``asyncio.TimeoutError`` is raised.
    """
    task = asyncio.ensure_future(operation)
    try:
        done, _ = await asyncio.wait((task,), timeout=seconds)
    except asyncio.CancelledError:
        await _ended(task, discard)
        raise
    if not done:
        await _ended(task, discard)
        raise asyncio.TimeoutError()
    return task.result()


async def _ended(task: asyncio.Future, discard) -> None:
    # Cancel the operation, wait for it to end, and discard what it made anyway.
    task.cancel()
    await asyncio.wait((task,))
    if not task.cancelled() and task.exception() is None and discard is not None:
        discard(task.result())


def _abort_connection(made) -> None:
    made[0].abort()  # create_connection's (transport, protocol)


def _handshake_bound(timeout: float | None) -> float | None:
    # asyncio's own handshake limit, kept beyond ours so that ours fires first.
    return None if timeout is None else timeout * 2 + 1


_EARLY = 1e-3  # a timer may fire this much before its time and still count as on time


class ReplyWait(Wakeup):
    """One reply waited for (:meth:`AsyncTransport.read_reply_soon` makes it).

    The protocol wakes it at each event (bytes, end of file, loss); it is
    done once the reply is whole (its result) or the read failed (the error
    :meth:`~AsyncTransport.read_reply` raises: a refusal, a timeout, the
    connection lost), and waits on otherwise.  A task awaits it, or a step
    runner follows it with a done callback and goes on inside the
    protocol's callback (:mod:`smtp_core.aio.steps`).  Cancelling it closes
    the connection: where the stream stands is unknown.
    """

    __slots__ = ("transport", "expect", "stage", "secret")

    def __init__(self, transport: "AsyncTransport", expect: int, stage: str, secret: bool) -> None:
        super().__init__(transport.loop, eager=not transport.is_tls)
        self.transport, self.expect, self.stage, self.secret = transport, expect, stage, secret

    def wake(self) -> None:
        if self._done:
            return
        transport = self.transport
        try:
            reply = transport.ready_reply(self.expect, self.stage, self.secret)
        except Exception as failure:
            transport.stop_waiting(self)
            self.set_exception(failure)
            return
        if reply is not None:
            transport.stop_waiting(self)
            self.set_result(reply)

    def expire(self) -> None:
        if not self._done:
            failure = self.transport.timed_out(self.stage)
            self.transport.stop_waiting(self)
            self.set_exception(failure)

    def cancel(self, msg=None) -> bool:
        if self._done:
            return False
        self.transport.stop_waiting(self)
        self.transport.abandon()
        return super().cancel(msg)


class AsyncTransport(TransportRules):
    """One SMTP connection's bytes on an event loop (see the module's rules);
    its state, error texts and wire log are :class:`~smtp_core.transport.TransportRules`'."""

    __slots__ = ("loop", "_t", "_p", "_deadline", "_waiting", "_timer", "_timer_when")

    def __init__(self, transport: asyncio.Transport, protocol: Receiver, *, peer: str = "",
                 timeout: float | None = None, redact: bool = True) -> None:
        self.loop = asyncio.get_running_loop()
        self._t = transport
        self._p = protocol
        self.reader = protocol.reader
        self.peer = peer
        self.timeout = timeout
        self.redact = redact
        self.closed = False
        self.closed_by_caller = False
        self.is_tls = transport.get_extra_info("ssl_object") is not None
        self.tls_error: OSError | None = None
        self.tls_version_seen = 0
        obj = transport.get_extra_info("ssl_object")
        self.tls_server_name = sni_name(getattr(obj, "server_hostname", None) or "") if obj is not None else ""
        self.net, self.local_addr, self.remote_addr = ends_of(transport.get_extra_info("socket"))
        # One loop timer serves every wait (see _park); these say what it guards.
        self._deadline = 0.0
        self._waiting: Wakeup | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0

    @classmethod
    async def connect(cls, sock: socket.socket, *, peer: str = "", timeout: float | None = None,
                      redact: bool = True, ssl_context: ssl.SSLContext | None = None, server_hostname: str = "",
                      max_line: int = MAX_LINE, max_reply: int = MAX_REPLY) -> "AsyncTransport":
        """Take over a connected socket (with implicit TLS when ``ssl_context`` is given)."""
        loop = asyncio.get_running_loop()
        reader = ReplyReader(max_line, max_reply)
        extra = {}
        if ssl_context is not None:
            extra = {"ssl": ssl_context, "server_hostname": server_hostname or None,
                     "ssl_handshake_timeout": _handshake_bound(timeout)}
        # Our deadline, not asyncio's (whose expiry reads as an aborted connection).
        transport, protocol = await within(
            loop.create_connection(lambda: Receiver(reader), sock=sock, **extra), timeout, _abort_connection)
        return cls(transport, protocol, peer=peer, timeout=timeout, redact=redact)

    @property
    def alive(self) -> bool:
        """Whether the connection may still carry a command: open on both sides
        as far as this side knows (a pool checks it before reusing one)."""
        return not self.closed and self.tls_error is None and self._p.lost is None and not self.reader.at_eof

    # -- timeouts and errors -----------------------------------------------
    def set_timeout(self, seconds: float | None) -> None:
        """Bound the next sends and replies by ``seconds`` (``None``: no bound)."""
        self.timeout = seconds

    def _usable(self, op: str) -> Receiver:
        self._check_usable(op)
        return self._p

    def _park(self, protocol: Receiver, slot: str, waiter: Wakeup, deadline: float | None) -> None:
        # One waiter at a time, woken by the protocol (bytes, EOF, loss, drain)
        # or by the timer.  Deadlines only move later from one wait to the next,
        # so one timer serves them all: armed once, and when it fires before
        # the current deadline it is armed again for it (no timer made and
        # cancelled per reply).
        setattr(protocol, slot, waiter)
        if deadline is not None:
            self._deadline, self._waiting = deadline, waiter
            if self._timer is None or self._timer_when > deadline:
                self._arm(deadline)

    def _deadline_from_now(self) -> float | None:
        return None if self.timeout is None else self.loop.time() + self.timeout

    async def _wait_drain(self, protocol: Receiver, deadline: float | None) -> None:
        future = Wakeup(self.loop, eager=not self.is_tls)
        self._park(protocol, "drain", future, deadline)
        try:
            await future
        finally:
            protocol.drain = None
            self._waiting = None

    def stop_waiting(self, waiter: ReplyWait) -> None:
        """``waiter``'s wait is over: the protocol and the timer forget it."""
        if self._p.waiter is waiter:
            self._p.waiter = None
        if self._waiting is waiter:
            self._waiting = None

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_when = self.loop.call_at(when, self._on_timer), when

    def _on_timer(self) -> None:
        self._timer = None
        future = self._waiting
        if future is None or self.closed:
            return
        if self.loop.time() + _EARLY >= self._deadline:
            future.expire()
        else:
            self._arm(self._deadline)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- sending -------------------------------------------------------
    # Each coroutine has a "soon" twin that does the work at once and returns
    # the coroutine to await only when there is a wait (see SOON): most
    # sends and replies need none, and a coroutine made for nothing costs.
    def send_soon(self, data, stage: str = "", secret: bool = False, log: bool = True):
        """:meth:`send`: hand ``data`` to asyncio now; ``None``, or the coroutine
        to await while the kernel's buffer is full."""
        protocol = self._usable("write")
        if log and wirelog.enabled():
            wirelog.log_sent(self.peer, bytes(data), secret and self.redact)
        self._write(protocol, data)
        return self._drain(protocol, stage) if protocol.write_paused else None

    async def send(self, data, stage: str = "", secret: bool = False, log: bool = True) -> None:
        """Send ``data`` whole; wait only when the kernel's buffer is full."""
        waiting = self.send_soon(data, stage, secret, log)
        if waiting is not None:
            await waiting

    def send_partial_soon(self, data, stage: str = "data"):
        """:meth:`send_partial`: the count now, or the coroutine that waits for the drain."""
        try:
            protocol = self._usable("write")
            self._write(protocol, data)
        except OSError as failure:
            failure.bytes_sent = 0  # type: ignore[attr-defined]
            raise
        return self._drain_all(protocol, stage, len(data)) if protocol.write_paused else len(data)

    async def send_partial(self, data, stage: str = "data") -> int:
        """:meth:`send` for the end of a message: return the count, or raise
        with ``bytes_sent`` set on the error, as the blocking transport does.

        A failure before anything was handed to asyncio counts 0 bytes; one
        while waiting for the buffer to drain counts them all, since some of
        them, the end of data included, may have reached the server (the
        safe side: such a message is ``uncertain``, never sent again).
        """
        sent = self.send_partial_soon(data, stage)
        return sent if type(sent) is int else await sent

    async def _drain_all(self, protocol: Receiver, stage: str, count: int) -> int:
        try:
            await self._drain(protocol, stage)
        except OSError as failure:
            failure.bytes_sent = count  # type: ignore[attr-defined]
            raise
        return count

    def _write(self, protocol: Receiver, data) -> None:
        if protocol.lost is not None:
            raise self.io_error("write", protocol.lost)
        self._t.write(data)

    async def _drain(self, protocol: Receiver, stage: str) -> None:
        """Wait, within ``timeout``, until asyncio's buffer has room again."""
        deadline = self._deadline_from_now()
        try:
            while protocol.write_paused and protocol.lost is None and not self.closed:
                await self._wait_drain(protocol, deadline)
        except socket.timeout as exc:
            failure: OSError = self._write_failure(exc, stage)
        except asyncio.CancelledError:
            self._abandon()
            raise
        else:
            if protocol.lost is None:
                return
            failure = self.io_error("write", protocol.lost)
        raise failure

    # -- receiving -----------------------------------------------------
    def read_reply_soon(self, expect: int, stage: str = "", secret: bool = False):
        """:meth:`read_reply`: the reply when the bytes received hold it whole,
        else the :class:`ReplyWait` for it (awaited, it gives the reply)."""
        reply = self.ready_reply(expect, stage, secret)
        if reply is not None:
            return reply
        waiter = ReplyWait(self, expect, stage, secret)
        self._p.wanted()
        self._park(self._p, "waiter", waiter, self._deadline_from_now())
        return waiter

    async def read_reply(self, expect: int, stage: str = "", secret: bool = False) -> tuple[int, str]:
        """Read one whole reply; raise its error when the code is not ``expect``."""
        reply = self.read_reply_soon(expect, stage, secret)
        return reply if type(reply) is tuple else await reply

    def ready_reply(self, expect: int, stage: str = "", secret: bool = False) -> tuple[int, str] | None:
        """The next reply if the bytes received hold it whole (logged), ``None``
        if not yet; raises what :meth:`read_reply` raises (a refusal, a closed
        or lost connection, a runaway reply)."""
        try:
            reply = self.reader.next_reply(expect)
            if reply is None:
                protocol = self._usable("read")
                if protocol.lost is None:
                    return None
                raise protocol.lost
        except Exception as exc:
            failure = self._read_failure(exc, stage)
        else:
            return self._replied(reply, secret)
        raise failure

    def timed_out(self, stage: str) -> Exception:
        """The error of a reply that did not come in time (the connection is closed)."""
        return self._read_failure(socket.timeout("timed out"), stage)

    def abandon(self) -> None:
        """Close now, after a wait was cancelled: where the stream stands is unknown."""
        self._abandon()

    def exchange(self, line: bytes, expect: int, stage: str = "", secret: bool = False):
        """Send one command line and read its reply: an awaitable of the reply
        (the reply's own :class:`ReplyWait` when the send needed no wait:
        no coroutine between the awaiting task and the reply)."""
        waiting = self.send_soon(line, stage, secret)
        if waiting is not None:
            return self._exchange_drained(waiting, expect, stage, secret)
        reply = self.read_reply_soon(expect, stage, secret)
        if type(reply) is ReplyWait:
            return reply
        received = Wakeup(self.loop)
        received.set_result(reply)
        return received

    async def _exchange_drained(self, waiting, expect: int, stage: str, secret: bool) -> tuple[int, str]:
        await waiting
        return await self.read_reply(expect, stage, secret)

    # -- TLS -----------------------------------------------------------
    async def start_tls(self, ctx: ssl.SSLContext | None, server_name: str, refusal: str | None = None) -> None:
        """Switch to TLS after the server's 220 (see the module's rules)."""
        try:
            self._tls_begin(ctx, refusal)
            check_client_name(ctx, server_name)
            self.tls_server_name = sni_name(server_name)
            self._usable("write")
            start = self.loop.start_tls(self._t, self._p, ctx, server_hostname=server_name or None,
                                        ssl_handshake_timeout=_handshake_bound(self.timeout))
            self._t = await within(start, self.timeout, asyncio.Transport.abort)
        except asyncio.TimeoutError:  # not socket.timeout before Python 3.11
            failure = self._tls_failure(socket.timeout())
        except asyncio.CancelledError:
            self._abandon()
            raise
        except OSError as err:
            failure = self._tls_failure(err)
        except ValueError as err:  # asyncio's refusal of a context or name
            failure = self._tls_failure(TLSSetupError("tls: " + str(err)))
        else:
            return
        raise failure

    def _ssl_object(self):
        return self._t.get_extra_info("ssl_object")

    # -- closing -------------------------------------------------------
    def _drop(self) -> None:
        self._disarm()
        self._t.abort()


#: The transport's coroutines and their "soon" twins, which a step runner
#: (:func:`smtp_core.aio.steps.run`) calls instead: a result at once, or a
#: coroutine to await when there is a wait.
SOON = {
    AsyncTransport.send: AsyncTransport.send_soon,
    AsyncTransport.send_partial: AsyncTransport.send_partial_soon,
    AsyncTransport.read_reply: AsyncTransport.read_reply_soon,
}
