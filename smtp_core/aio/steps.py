"""The asyncio runner of the Pythonic layer's conversations.

The conversations (:mod:`smtp_core.pythonic.steps`) yield each I/O step as
``(function, *args)``; here the function is a coroutine method of an
:class:`~smtp_core.aio.client.Client` or its
:class:`~smtp_core.aio.transport.AsyncTransport`, and :func:`run` awaits
it (a send or a reply that need not wait is done at once, no coroutine
made).  A step's exception, ``CancelledError`` included, is thrown into the
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

from types import CoroutineType

from ..pythonic.steps import Steps, advance
from .transport import SOON

__all__ = ["run"]


async def run(steps: Steps):
    """Run a conversation on the event loop; return what it returns.

    A transport step with a "soon" twin (:data:`~smtp_core.aio.transport.SOON`:
    a send, a reply) is done at once, and awaited only when it must wait.
    """
    value = error = None
    while True:
        try:
            step = advance(steps, value, error)
        except StopIteration as stop:
            return stop.value
        function = step[0]
        try:
            soon = SOON.get(getattr(function, "__func__", None))
            if soon is None:
                value = await function(*step[1:])
            else:
                value = soon(function.__self__, *step[1:])
                if type(value) is CoroutineType:
                    value = await value
            error = None
        except BaseException as err:  # the conversation decides
            value, error = None, err
