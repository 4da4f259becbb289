"""The asyncio runner of the Pythonic layer's conversations.

The conversations (:mod:`smtp_core.pythonic.steps`) yield each I/O step as
``(function, *args)``; here the function is a coroutine method of an
:class:`~smtp_core.aio.client.Client` or its
:class:`~smtp_core.aio.transport.AsyncTransport`, and :func:`run` awaits
it.  A step's exception, ``CancelledError`` included, is thrown into the
conversation at its ``yield``, so the conversation closes the connection
and marks the messages in flight exactly as under the blocking driver.

>>> import asyncio
>>> async def double(x):
...     return 2 * x
>>> def talk():
...     return (yield double, 21)
>>> asyncio.run(run(talk()))
42
"""

from __future__ import annotations

from ..pythonic.steps import Steps

__all__ = ["run"]


async def run(steps: Steps):
    """Run a conversation on the event loop; return what it returns."""
    send, throw = steps.send, steps.throw
    value = None
    while True:
        try:
            step = send(value)
        except StopIteration as stop:
            return stop.value
        while True:
            try:
                value = await step[0](*step[1:])
                break
            except BaseException as err:  # the conversation decides
                try:
                    step = throw(err)
                except StopIteration as stop:
                    return stop.value
