"""A waiter that resumes its task on the event-loop turn that wakes it.

An :class:`asyncio.Future` runs its done callbacks with ``call_soon``: a
task awaiting a reply is woken by ``data_received`` on one loop turn and
runs on the next, so every reply costs two turns (two ``select`` calls,
a handle, a future).  The blocking driver pays one ``recv``.  A
:class:`Wakeup` is awaited like a future (it follows the "future-like"
protocol of :func:`asyncio.isfuture`: ``_asyncio_future_blocking``,
``add_done_callback``, ``result``, ``cancel``), but its rules differ:

* **Woken outside a task, it resumes the task at once**, inside the
  protocol callback (``data_received``, a timer, ``connection_lost``)
  that woke it: the reply is handled on the turn it arrived.  Woken from
  inside a running task, or when made with ``eager=False``, it schedules
  the task with ``call_soon``, as a future does.
* **Cancelling it** (``Task.cancel`` while the task waits) schedules the
  task with ``call_soon``, as a future does; the task then sees
  ``CancelledError`` at its ``await``.
* **One waiter, one wake-up**: the first of ``set_result``,
  ``set_exception`` and ``cancel`` counts, later ones do nothing.
* **What wakes it is its own business**: a protocol calls :meth:`~Wakeup.wake`
  when something the wait may be for happened (bytes, end of file, a
  drained buffer) and a timer calls :meth:`~Wakeup.expire` when its time
  is up; a plain :class:`Wakeup` is then done (``None``, or
  ``socket.timeout``), a subclass may look first and wait on.

>>> import asyncio
>>> async def demo():
...     loop = asyncio.get_running_loop()
...     w = Wakeup(loop)
...     order = []
...     loop.call_soon(lambda: (w.set_result(None), order.append("after the wake-up")))
...     await w
...     order.append("task resumed")
...     return order
>>> asyncio.run(demo())
['task resumed', 'after the wake-up']
"""

from __future__ import annotations

import asyncio
import socket

__all__ = ["Wakeup"]

_current_task = asyncio.current_task


class Wakeup:
    """One wait of one task (see the module's rules)."""

    # ``_asyncio_future_blocking`` is the future-like marker :func:`asyncio.isfuture`
    # and ``Task`` look for (a slot is a class attribute too, as isfuture wants).
    __slots__ = ("_asyncio_future_blocking", "_loop", "_eager", "_done", "_value", "_error", "_cancelled",
                 "_callback", "_context")

    def __init__(self, loop: asyncio.AbstractEventLoop, eager: bool = True) -> None:
        self._asyncio_future_blocking = False
        self._loop = loop
        self._eager = eager
        self._done = False
        self._value = None
        self._error: BaseException | None = None
        self._cancelled: asyncio.CancelledError | None = None
        self._callback = None
        self._context = None

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def done(self) -> bool:
        return self._done

    def cancelled(self) -> bool:
        return self._cancelled is not None

    def result(self):
        if self._cancelled is not None:
            raise self._cancelled
        if not self._done:
            raise asyncio.InvalidStateError("the wait is not over")
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self) -> BaseException | None:
        if self._cancelled is not None:
            raise self._cancelled
        return self._error

    def add_done_callback(self, fn, *, context=None) -> None:
        if self._done:
            self._loop.call_soon(fn, self, context=context)
        else:  # only the awaiting task registers: one callback
            self._callback, self._context = fn, context

    def remove_done_callback(self, fn) -> int:
        if self._callback is not None and self._callback == fn:
            self._callback = self._context = None
            return 1
        return 0

    def set_result(self, value=None) -> None:
        if not self._done:
            self._done, self._value = True, value
            self._resume(self._eager)

    def set_exception(self, error: BaseException) -> None:
        if not self._done:
            self._done, self._error = True, error
            self._resume(self._eager)

    def cancel(self, msg=None) -> bool:
        if self._done:
            return False
        self._done = True
        self._cancelled = asyncio.CancelledError() if msg is None else asyncio.CancelledError(msg)
        self._resume(False)
        return True

    def wake(self) -> None:
        """Something the wait may be for happened: done (a subclass may look first)."""
        self.set_result(None)

    def expire(self) -> None:
        """The wait's time is up."""
        self.set_exception(socket.timeout("timed out"))

    def _resume(self, eager: bool) -> None:
        callback, context = self._callback, self._context
        if callback is None:
            return
        self._callback = self._context = None
        if eager and _current_task(self._loop) is None:
            if context is None:
                callback(self)
            else:
                context.run(callback, self)
        else:
            self._loop.call_soon(callback, self, context=context)

    def __await__(self):
        if not self._done:
            self._asyncio_future_blocking = True
            yield self
        if self._error is None and self._cancelled is None and self._done:
            return self._value
        return self.result()

    __iter__ = __await__
