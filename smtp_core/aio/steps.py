"""The asyncio runner of the Pythonic layer's conversations.

The conversations (:mod:`smtp_core.steps`) yield each I/O step as
``(function, *args)``; here the function is a coroutine method of an
:class:`~smtp_core.aio.client.Client` or its
:class:`~smtp_core.aio.transport.AsyncTransport`.  Rules of :func:`run`:

* **Between replies, no task.**  A transport step with a "soon" twin
  (:data:`~smtp_core.aio.transport.SOON`: a send, a reply) is done at
  once; a reply not received yet leaves the conversation parked on its
  :class:`~smtp_core.aio.transport.ReplyWait`, and the protocol callback
  that completes it goes on with the conversation there: the next
  commands are written from ``buffer_updated``, and the awaiting task is
  woken once, when the conversation ends or needs a coroutine step (a
  client command such as RSET or STARTTLS, a send waiting for the
  buffer to drain), which the task awaits.  The callbacks run in (a copy
  of) the task's context variables, taken when the conversation started.
* **Errors go in at the yield.**  A step's exception (a refusal, a
  timeout, ``CancelledError``) is thrown into the conversation at its
  ``yield``, so the conversation closes the connection and marks the
  messages in flight exactly as under the blocking driver.
* **Cancellation** of the task while the conversation waits for a reply
  cancels that wait, which closes the connection, and throws
  ``CancelledError`` in.

>>> import asyncio
>>> async def double(x):
...     return 2 * x
>>> def talk():
...     return (yield double, 21)
>>> asyncio.run(run(talk()))
42
"""

from __future__ import annotations

import asyncio
import contextvars
from types import CoroutineType

from ..steps import Steps, advance
from .transport import SOON, ReplyWait
from .wakeup import Wakeup

__all__ = ["run"]


class _Return:
    """What a finished conversation returned (the task's result)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


class _Conversation:
    """One conversation, advanced from the task or from a protocol callback.

    ``finished`` is what the task awaits: a :class:`_Return`, or an
    awaitable (a coroutine step) for the task to await and send back, or
    the conversation's exception.  ``waiting`` is the reply it is parked on.
    ``context`` is the task's context variables, as they were when it
    started the conversation: the callbacks run in it, so code the
    conversation calls (a caller's iterable of messages) sees them.
    """

    __slots__ = ("steps", "finished", "waiting", "context")

    def __init__(self, steps: Steps, context: contextvars.Context) -> None:
        self.steps = steps
        self.finished: Wakeup | None = None
        self.waiting: ReplyWait | None = None
        self.context = context

    def go(self, value, error: BaseException | None) -> None:
        """Advance until the conversation ends, parks on a reply, or needs the task."""
        steps = self.steps
        while True:
            try:
                step = advance(steps, value, error)
            except StopIteration as stop:
                self.finished.set_result(_Return(stop.value))
                return
            except BaseException as err:  # the conversation's own error: the task's
                self.finished.set_exception(err)
                return
            function = step[0]
            soon = SOON.get(getattr(function, "__func__", None))
            try:
                if soon is None:
                    self.finished.set_result(function(*step[1:]))  # the task awaits it
                    return
                value, error = soon(function.__self__, *step[1:]), None
            except BaseException as err:
                value, error = None, err
                continue
            kind = type(value)
            if kind is ReplyWait:
                self.waiting = value
                value.add_done_callback(self.replied, context=self.context)
                return
            if kind is CoroutineType:  # a send waiting for the buffer to drain
                self.finished.set_result(value)
                return

    def replied(self, waiter: ReplyWait) -> None:
        """The reply parked on is in (or failed): go on, inside the callback that woke it."""
        self.waiting = None
        error = waiter.exception()
        self.go(None if error is not None else waiter.result(), error)

    def stop(self) -> None:
        """The task was cancelled: cancel the reply waited for (it closes the
        connection), or close a coroutine step handed over and not awaited."""
        waiter, self.waiting = self.waiting, None
        if waiter is not None:
            waiter.remove_done_callback(self.replied)
            waiter.cancel()
        elif self.finished.done() and self.finished.exception() is None:
            handed = self.finished.result()
            if type(handed) is CoroutineType:
                handed.close()


async def run(steps: Steps):
    """Run a conversation on the event loop; return what it returns."""
    loop = asyncio.get_running_loop()
    talk = _Conversation(steps, contextvars.copy_context())
    value = error = None
    while True:
        finished = talk.finished = Wakeup(loop)  # resumes the task in the callback that sets it
        talk.go(value, error)
        try:
            outcome = await finished
        except asyncio.CancelledError as cancel:
            if finished.done() and not finished.cancelled() and finished.exception() is cancel:
                raise  # the conversation ended with it
            talk.stop()
            value, error = None, cancel
            continue
        if type(outcome) is _Return:
            return outcome.value
        try:
            value, error = await outcome, None
        except BaseException as err:  # the conversation decides
            value, error = None, err
