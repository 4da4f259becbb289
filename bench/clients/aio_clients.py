"""smtp_core.aio, the asyncio driver: one connection (or a pool), n messages.

Same shape as :mod:`bench.clients.pythonic_clients` and
:mod:`bench.clients.aiosmtplib_clients`, so rows compare like with like:

- ``lockstep``: the coroutine client's MAIL, RCPT, DATA, write, close per
  message, awaiting each reply: four round trips, aiosmtplib's conversation;
- ``send_1``: ``aio.send`` once per message, awaited before the next (one
  message at a time; PIPELINING within it, two round trips);
- ``send_many``: ``aio.send_many`` of the n messages (pipelined across
  messages, one round trip each);
- ``pool``: n concurrent ``Pool.send`` tasks through a pool of 4.
"""

from __future__ import annotations

import asyncio

from smtp_core import aio, pythonic

from bench.clients import RECIPIENT, SENDER

POOL_SIZE = 4


def _checked(results: list, n: int) -> tuple[int, int]:
    failed = [r for r in results if type(r) is not pythonic.SendResult]
    if failed:
        raise RuntimeError("%d of %d messages failed, the first: %r" % (len(failed), n, failed[0]))
    return n


def lockstep(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    async def main() -> None:
        c = await aio.dial(addr)
        async with c:
            for _ in range(n):
                await c.mail(SENDER)
                await c.rcpt(RECIPIENT)
                w = await c.data()
                await w.write(msg)
                await w.close()
            await c.quit()

    asyncio.run(main())
    return n, n * len(msg)


def send_1(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    async def main() -> None:
        recipients = [RECIPIENT]
        async with await aio.connect(addr, tls="none") as c:
            for _ in range(n):
                await aio.send(c, SENDER, recipients, msg)
            await c.quit()

    asyncio.run(main())
    return n, n * len(msg)


def send_many(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    async def main() -> list:
        item = (SENDER, [RECIPIENT], msg)
        async with await aio.connect(addr, tls="none") as c:
            results = await aio.send_many(c, (item for _ in range(n)))
            await c.quit()
        return results

    return _checked(asyncio.run(main()), n), n * len(msg)


def pool(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    async def main() -> list:
        recipients = [RECIPIENT]
        async with aio.Pool(addr, size=POOL_SIZE, tls="none") as p:
            return await asyncio.gather(*(p.send(SENDER, recipients, msg) for _ in range(n)))

    return _checked(asyncio.run(main()), n), n * len(msg)
