"""``smtp_core.aio``: the Pythonic layer on asyncio, over the same engine.

For programs that run an event loop (aiohttp, Starlette, an asyncio
worker): :func:`send`, :func:`send_many`, :func:`connect`,
:func:`dial_tls` and :func:`prepare` take exactly the arguments of
:mod:`smtp_core.pythonic`'s functions and give the same results
(``SendResult``, ``MessageNotSent``, ``BatchAborted``, refusals,
``uncertain``), as coroutines; :class:`Pool` keeps a few connections open
and spreads sends over them.  The rules are the blocking layer's own
objects (:mod:`smtp_core.steps`); only the socket driver is new.

Python::

    import asyncio
    from smtp_core import aio

    async def main():
        result = await aio.send("127.0.0.1:2525", "me@example.com", ["you@example.com"],
                                b"Subject: hi\\r\\n\\r\\nhello\\r\\n", tls="none")
        async with aio.Pool("127.0.0.1:2525", size=4, tls="none") as pool:
            await asyncio.gather(*(pool.send("me@example.com", [to], msg) for to, msg in outbox))

    asyncio.run(main())

One topic per module:

========================  ===================================================
:mod:`.transport`         :class:`AsyncTransport`: the asyncio socket driver
:mod:`.client`            :class:`Client`: one coroutine per SMTP command;
                          :func:`dial`
:mod:`.steps`             the runner that awaits the shared conversations
:mod:`.api`               connect, dial_tls, prepare, send, send_many
:mod:`.pool`              :class:`Pool`
========================  ===================================================

See ``docs/async.md`` for the guide.
"""

from __future__ import annotations

from .api import connect, dial_tls, prepare, send, send_many
from .client import Client, DataWriter, dial
from .pool import Pool
from .transport import AsyncTransport

__all__ = ["connect", "dial_tls", "prepare", "send", "send_many", "dial", "Client", "DataWriter", "Pool",
           "AsyncTransport"]
