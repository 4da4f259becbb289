"""smtp_core.aio.wakeup: a reply is handled on the loop turn it arrives on.

The counts here are of loop turns (``select`` calls), not of time: with
:class:`asyncio.Future` waits every reply costs two turns, with
:class:`~smtp_core.aio.wakeup.Wakeup` one.
"""

from __future__ import annotations

import asyncio
import selectors

import pytest

from smtp_core import aio
from smtp_core.aio.wakeup import Wakeup

N = 40
EHLO_PLAIN = "250-test.example\n250 8BITMIME"


class CountingSelector(selectors.DefaultSelector):
    turns = 0

    def select(self, timeout=None):
        self.turns += 1
        return super().select(timeout)


def on_counting_loop(coroutine_function):
    selector = CountingSelector()
    loop = asyncio.SelectorEventLoop(selector)
    try:
        loop.run_until_complete(asyncio.wait_for(coroutine_function(), 10))
    finally:
        loop.close()
    return selector.turns


def test_each_reply_costs_one_loop_turn_on_plain_tcp(scripted):
    srv = scripted(["220 hi", EHLO_PLAIN] + ["250 ok"] * N + ["221 bye"])
    counts = {}

    async def main():
        async with await aio.dial(srv.address) as c:
            await c.hello("localhost")
            before = asyncio.get_running_loop()._selector.turns
            for _ in range(N):
                await c.noop()
            counts["noops"] = asyncio.get_running_loop()._selector.turns - before
            await c.quit()

    on_counting_loop(main)
    # One turn per reply (select wakes, data_received resumes the task);
    # Futures made it two.  A little slack for a reply split in two reads.
    assert counts["noops"] <= N + N // 4, counts


def test_a_wakeup_from_inside_a_task_waits_for_the_next_turn():
    # Resuming the waiting task inside another running task would enter a
    # task within a task (asyncio refuses, and the waiter would be stuck);
    # it is scheduled instead.
    async def main():
        loop = asyncio.get_running_loop()
        w = Wakeup(loop)
        order = []

        async def waiter():
            await w
            order.append("waiter resumed")

        async def waker():
            try:
                w.set_result(None)
            except RuntimeError as err:
                order.append(str(err))
            order.append("waker went on")

        task = loop.create_task(waiter())
        await asyncio.sleep(0)  # the waiter is now awaiting w
        await loop.create_task(waker())
        for _ in range(10):  # bounded: a stuck waiter must not hang the test
            if task.done():
                break
            await asyncio.sleep(0)
        return order

    loop = asyncio.new_event_loop()
    try:
        order = loop.run_until_complete(main())
    finally:
        loop.close()
    assert order == ["waker went on", "waiter resumed"]


def test_a_wakeup_outside_a_task_resumes_it_at_once_with_the_error():
    async def main():
        loop = asyncio.get_running_loop()
        w = Wakeup(loop)
        order = []
        loop.call_soon(lambda: (w.set_exception(OSError("lost")), order.append("callback went on")))
        with pytest.raises(OSError, match="lost"):
            await w
        order.append("waiter resumed")
        await asyncio.sleep(0)
        return order

    assert asyncio.run(main()) == ["waiter resumed", "callback went on"]


def test_cancelling_a_task_that_waits_on_a_wakeup_raises_cancelled_error():
    async def main():
        loop = asyncio.get_running_loop()
        w = Wakeup(loop)
        task = loop.create_task(_wait(w))
        await asyncio.sleep(0)
        task.cancel("stop")
        with pytest.raises(asyncio.CancelledError):
            await task
        assert w.cancelled() and w.done()
        w.set_result(None)  # too late: the first outcome counts
        assert w.cancelled()

    asyncio.run(main())


async def _wait(w):
    await w
