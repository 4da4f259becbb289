"""A pool of connections to one server: :class:`Pool`.

Rules of this module:

* **At most ``size`` connections**, each used by one send at a time, kept
  open after it and reused (most recently used first); a send waits for a
  free one rather than opening more.
* **Options once.**  The pool's keyword arguments are those of
  :func:`smtp_core.aio.send` (TLS policy, auth, timeouts, DKIM, ...),
  checked when the pool is made; every send uses them.
* **Reconnecting.**  A connection is given up, and the next send opens a
  new one, when the server closed it or said 421, when it sat idle longer
  than ``max_idle`` seconds, or when it carried
  ``max_messages_per_connection`` messages (servers that cap a session,
  as OpenSMTPD does at 100): then it is ended with QUIT.
* **Never twice.**  A message that failed on a *reused* connection before
  its end of data went out (the server had dropped the idle connection,
  or said 421) is sent again once, on a new connection: the server cannot
  have it.  A message whose end of data may have reached the server
  (:class:`~smtp_core.errors.MessageNotSent` with ``uncertain``) is
  reported, never sent again by the pool; so is any failure on a
  connection opened for that very send.
* **Results** are :func:`smtp_core.aio.send`'s and
  :func:`smtp_core.aio.send_many`'s: a ``SendResult``, or the error
  raised (``send``) or put in the message's entry (``send_many``, whose
  batch is spread over the connections and never raises
  ``BatchAborted``: each entry says what happened to its message).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from typing import Iterable

from ..errors import BatchAborted, MessageNotSent, MessageRefused
from ..pythonic import api as blocking
from ..pythonic.options import Options
from ..mail.signing import signers
from .api import ASYNC
from .client import Client
from .steps import run

__all__ = ["Pool"]

_OPENED_HERE = ("client_or_address", "sender", "recipients", "message", "quit")


class Pool:
    """Up to ``size`` connections to ``address``, reused across sends (see the module's rules).

    ``await pool.send(sender, recipients, message)`` and ``await
    pool.send_many(messages)``; ``await pool.close()`` or ``async with``.
    """

    def __init__(self, address: str, size: int = 4, *, max_idle: float = 30.0,
                 max_messages_per_connection: int | None = None, **options) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("Pool size must be a positive whole number, got %r" % (size,))
        if not (isinstance(max_idle, (int, float)) and not isinstance(max_idle, bool) and max_idle > 0):
            raise ValueError("max_idle must be a positive number of seconds, got %r" % (max_idle,))
        cap = max_messages_per_connection
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ValueError("max_messages_per_connection must be a positive whole number or None, got %r"
                             % (cap,))
        for name in _OPENED_HERE:
            if name in options:
                raise TypeError("Pool: %s is given per send, not to the pool" % name)
        # Checked now, as send would check them: a bad tls= costs no connection.
        self._options = Options.taking("send", options)
        signers(self._options.dkim)
        self.address = address
        self.size = size
        self.max_idle = float(max_idle)
        self.max_messages_per_connection = cap
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[Client, float, int]] = []  # (client, idle since, messages carried)
        self._busy: set[Client] = set()
        #: How many connections the pool has opened so far.
        self.opened = 0
        self.closed = False

    def __repr__(self) -> str:
        return "<aio Pool %s size=%d idle=%d busy=%d%s>" % (
            self.address, self.size, len(self._idle), len(self._busy), " closed" if self.closed else "")

    async def __aenter__(self) -> "Pool":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- connections ---------------------------------------------------------
    async def _checkout(self) -> tuple[Client, int, bool]:
        """A live connection (reused when one is idle), its message count, and whether it was reused."""
        if self.closed:
            raise RuntimeError("smtp: the Pool is closed")
        now = asyncio.get_running_loop().time()
        while self._idle:
            client, since, carried = self._idle.pop()
            cap = self.max_messages_per_connection
            if client.transport.alive and now - since <= self.max_idle and (cap is None or carried < cap):
                self._busy.add(client)
                return client, carried, True
            _drop(client)
        client = await ASYNC.open_client(self.address, self._options)
        self.opened += 1
        self._busy.add(client)
        return client, 0, False

    async def _checkin(self, client: Client, carried: int) -> None:
        self._busy.discard(client)
        cap = self.max_messages_per_connection
        if self.closed or (cap is not None and carried >= cap):
            await client.quit_quietly(then_close=True)
        elif client.transport.alive:
            self._idle.append((client, asyncio.get_running_loop().time(), carried))
        else:
            _drop(client)

    async def _batch(self, items: list) -> list:
        """Send ``items`` over pooled connections, one at a time (a new one past
        the per-connection cap); their entries, in order.  Resends what the
        rules allow, once."""
        results: list = []
        resent = False
        # Each round takes at least one message, but for the one resend: bounded.
        for _ in range(len(items) + 1):
            if len(results) == len(items):
                break
            todo = items[len(results):]
            async with self._slots:
                try:
                    client, carried, reused = await self._checkout()
                except Exception as err:  # no connection: nothing of these was sent
                    results.extend(MessageNotSent(err, False) for _ in todo)
                    break
                cap = self.max_messages_per_connection
                chunk = todo if cap is None else todo[:cap - carried]
                try:
                    entries = await run(blocking.sending_many(ASYNC, client, chunk, replace(self._options, quit=False)))
                except BatchAborted as aborted:
                    entries = aborted.results
                except BaseException:
                    self._busy.discard(client)
                    _drop(client)
                    raise
                await self._checkin(client, carried + len(chunk))
            first = next((i for i, entry in enumerate(entries) if _may_resend(entry)), None)
            if first is not None and not resent and (reused or first > 0):
                # The connection failed before these messages' end of data went
                # out (a server that dropped it while idle, or said 421): again,
                # once, on a new connection.
                resent = True
                entries = entries[:first]
            results.extend(entries)
        return results

    # -- sending ---------------------------------------------------------------
    async def send(self, sender, recipients=None, message=None):
        """Send one message over a pooled connection; what :func:`smtp_core.aio.send` returns or raises."""
        if message is None and recipients is None:
            sender, message = None, sender
        entry = (await self._batch([(sender, recipients, message)]))[0]  # never empty
        if isinstance(entry, BaseException):
            raise entry
        return entry

    async def send_many(self, messages: Iterable) -> list:
        """Send ``messages`` spread over the pool's connections; one entry per message, in order."""
        items = list(messages)
        if not items:
            return []
        parts = min(self.size, len(items))
        step = math.ceil(len(items) / parts)
        chunks = [items[start:start + step] for start in range(0, len(items), step)]
        done = await asyncio.gather(*(self._batch(chunk) for chunk in chunks))
        return [entry for chunk in done for entry in chunk]

    async def close(self) -> None:
        """QUIT every idle connection; those in use end after their send.  Idempotent."""
        self.closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(client.quit_quietly(then_close=True) for client, _, _ in idle))


def _may_resend(entry) -> bool:
    """Whether a failed message certainly did not reach the server: not sent
    and not ``uncertain``, or refused with 421 (the server was closing)."""
    if isinstance(entry, MessageNotSent):
        return not entry.uncertain
    return isinstance(entry, MessageRefused) and entry.code == 421


def _drop(client: Client) -> None:
    if not client.closed:
        client.close()
