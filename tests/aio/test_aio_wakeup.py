"""smtp_core.aio.wakeup: a reply is handled on the loop turn it arrives on.

The counts here are of loop turns (``select`` calls), not of time: with
:class:`asyncio.Future` waits every reply costs two turns, with
:class:`~smtp_core.aio.wakeup.Wakeup` one.  And a pipelined conversation
goes on inside the protocol's callback (no task between replies); replies
longer than the one buffer asyncio reads into arrive whole.
"""

from __future__ import annotations

import asyncio
import contextvars
import selectors

import pytest

from smtp_core import SendResult, aio
from smtp_core.aio.transport import RECV_SIZE
from smtp_core.aio.wakeup import Wakeup

N = 40
EHLO_PLAIN = "250-test.example\n250 8BITMIME"
EHLO_PIPE = "250-test.example\n250-PIPELINING\n250 8BITMIME"
BODY = b"Subject: wakeup\r\n\r\nhello\r\n"


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


def _send_many_noting(scripted, n: int, note, setup=lambda: None) -> list:
    """``send_many`` of ``n`` messages to a scripted server; ``note()`` is
    called as each message is taken from the iterable, ``setup()`` in the
    task once connected.  Returns the notes."""
    srv = scripted(["220 hi", EHLO_PIPE] + ["250 ok", "250 ok", "354 go", "250 queued"] * n + ["221 bye"])
    notes = []

    def items():
        for _ in range(n):
            notes.append(note())
            yield ("a@x.org", ["b@x.org"], BODY)

    async def main():
        async with await aio.connect(srv.address, tls="none", timeout=10) as c:
            setup()
            results = await aio.send_many(c, items())
            await c.quit()
        return results

    assert [type(r) for r in asyncio.run(main())] == [SendResult] * n
    return notes


def test_send_many_goes_on_inside_the_protocol_callback_between_replies(scripted):
    # Each message after the first is taken from the iterable when the
    # previous envelope's replies are in: inside the protocol's callback,
    # where no task runs (a task resumed per reply would be current there).
    tasks = _send_many_noting(scripted, 6, asyncio.current_task)
    assert tasks[0] is not None  # the first, when the task called send_many
    assert tasks[1:] == [None] * 5, tasks


REQUEST = contextvars.ContextVar("request")


def test_the_protocol_callback_sees_the_tasks_context_variables(scripted):
    # A web application's request id, set in the task, is what its iterable
    # of messages reads, even when taken inside the protocol's callback.  Set
    # after connecting: asyncio's reading callback keeps the context of the
    # moment the connection was made (a pooled connection's sends have their own).
    seen = _send_many_noting(scripted, 4, lambda: REQUEST.get("unset"), setup=lambda: REQUEST.set("request-7"))
    assert seen == ["request-7"] * 4


def test_a_reply_longer_than_the_read_buffer_arrives_whole(scripted):
    lines = ["250-line %05d %s" % (i, "x" * 60) for i in range(2 * RECV_SIZE // 70)]
    srv = scripted(["220 hi", EHLO_PLAIN, "\n".join(lines + ["250 done"]), "221 bye"])

    async def main():
        async with await aio.dial(srv.address, timeout=10) as c:
            await c.hello("localhost")
            reply = await c.command("NOOP", 250)
            await c.quit()
        return reply

    code, text = asyncio.run(main())
    assert code == 250
    assert text.split("\n") == [line[4:] for line in lines] + ["done"]
