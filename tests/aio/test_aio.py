"""smtp_core.aio beyond the twins of the blocking tests (tests/aio/test_aio_twins_*.py):
the coroutine client's bytes, STARTTLS and AUTH on the dev server, cancellation
at each stage, the loop running while a send waits, deadlines on the loop.

Every wait is bounded (``T``); nothing asserts on elapsed time.
"""

from __future__ import annotations

import asyncio

import pytest
from scripted import Silent, Trickle

from servers import addr
import smtp_core
from smtp_core import PlainAuth, RFC5321_TIMEOUTS, SendResult, StageTimeout, TLSConfig, aio
from smtp_core.aio.steps import run as run_steps
from smtp_core.aio.transport import AsyncTransport

T = 10
SHORT = 0.3
EHLO_PIPE = "250-test.example\n250-PIPELINING\n250-8BITMIME\n250 SIZE 100000"
EHLO_PLAIN = "250-test.example\n250 8BITMIME"
BODY = b"Subject: aio\r\n\r\n.dot\r\nhello\r\n"
LOCKSTEP = ["220 hi", EHLO_PLAIN, "250 ok", "250 ok", "354 go", "250 queued", "221 bye"]


def run(coroutine):
    return asyncio.run(coroutine)


async def until_received(srv, needle: bytes, index: int = 0) -> None:
    """Wait (bounded) until connection ``index`` of ``srv`` has received ``needle``."""
    for _ in range(1000):
        if len(srv.connections) > index and needle in srv.connections[index].data:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server never received %r" % needle)


def awaiting(task: asyncio.Task) -> list:
    """The names of the coroutines ``task`` is suspended in, outermost first."""
    names, coroutine = [], task.get_coro()
    while getattr(coroutine, "cr_frame", None) is not None:
        names.append(coroutine.cr_code.co_name)
        coroutine = coroutine.cr_await
    return names


async def until_awaiting(task: asyncio.Task, name: str) -> None:
    """Wait (bounded) until ``task`` is suspended inside the coroutine ``name``."""
    for _ in range(1000):
        if name in awaiting(task):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the task never waited in %s (it waits in %s)" % (name, awaiting(task)))


# --------------------------------------------------------------------------
# The coroutine client: the blocking client's bytes
# --------------------------------------------------------------------------


def test_the_coroutine_client_sends_the_blocking_clients_bytes(scripted):
    def blocking(address):
        with smtp_core.dial(address) as c:
            c.mail("a@example.com")
            c.rcpt("b@example.com")
            with c.data() as w:
                w.write(BODY)
            c.quit()

    async def coroutines(address):
        async with await aio.dial(address) as c:
            await c.Mail("a@example.com")
            await c.Rcpt("b@example.com")
            w = await c.Data()
            await w.write(BODY)
            await w.close()
            await c.Quit()
            assert c.closed

    one, two = scripted(LOCKSTEP), scripted(LOCKSTEP)
    blocking(one.address)
    run(coroutines(two.address))
    assert two.transcript(0) == one.transcript(0)
    assert b"\r\n..dot\r\n" in two.transcript(0)


def test_a_closed_writer_takes_nothing_and_the_client_goes_on(scripted):
    # The blocking client's rule (tests/client/test_client.py), on the loop.
    srv = scripted(["220 hi", EHLO_PLAIN, "250 ok", "250 ok", "354 go", "250 queued", "221 bye"])

    async def main():
        c = await aio.dial(srv.address)
        await c.mail("a@example.com")
        await c.rcpt("b@example.com")
        w = await c.data()
        await w.write(b"hi")
        with pytest.raises(smtp_core.SMTPError, match="close the DATA writer"):
            await c.noop()
        await w.close()
        assert w.closed and not c.writing
        with pytest.raises(OSError, match="^smtp: write to a closed DATA writer$"):
            await w.write(b"late")
        with pytest.raises(OSError, match="^smtp: DATA writer already closed$"):
            await w.close()
        await c.quit()

    run(main())
    assert srv.transcript(0).endswith(b"DATA\r\nhi\r\n.\r\nQUIT\r\n")


def test_a_refused_command_raises_the_reply_error_and_the_client_goes_on(scripted):
    srv = scripted(["220 hi", EHLO_PLAIN, "550 no such user", "250 ok", "221 bye"])

    async def main():
        async with await aio.dial(srv.address) as c:
            with pytest.raises(smtp_core.ReplyError) as info:
                await c.verify("nobody")
            assert (info.value.Code, info.value.Msg) == (550, "no such user")
            await c.noop()
            await c.quit()

    run(main())
    assert srv.transcript(0) == b"EHLO localhost\r\nVRFY nobody\r\nNOOP\r\nQUIT\r\n"


def test_starttls_and_auth_on_the_dev_server_with_the_go_names(devserver, pki):
    async def main():
        c = await aio.dial(addr(devserver), timeout=T)
        async with c:
            assert (await c.Extension("STARTTLS"))[0]
            await c.StartTLS(TLSConfig(server_name="localhost", root_cas=pki.ca_path))
            assert c.tls and c.TLSConnectionState()[0].HandshakeComplete
            await c.Auth(PlainAuth("", "alice", "wonderland", "127.0.0.1"))
            await c.Mail("a@example.com")
            await c.Rcpt("b@example.com")
            w = await c.Data()
            await w.Write(BODY)
            await w.Close()
            await c.Quit()

    run(main())
    received = devserver.wait_for(1)[0]
    assert received.tls


def test_aio_send_with_required_tls_and_auth_on_the_dev_server(devserver, pki):
    result = run(aio.send(addr(devserver), "a@example.com", ["b@example.com"], BODY, tls="required",
                          tls_config=TLSConfig(root_cas=pki.ca_path), server_name="localhost",
                          auth=PlainAuth("", "bob", "builder", "localhost"), timeout=T))
    assert type(result) is SendResult and result.accepted == ["b@example.com"]
    assert devserver.wait_for(1)[0].tls


def test_the_aio_functions_have_the_blocking_signatures():
    import inspect

    for name in ("send", "send_many", "connect", "dial_tls", "prepare"):
        assert inspect.signature(getattr(aio, name)) == inspect.signature(getattr(smtp_core.pythonic, name))
    with pytest.raises(ValueError, match="tls must be one of"):
        run(aio.send("127.0.0.1:1", "a@x", ["b@x"], b"x", tls="sometimes"))


# --------------------------------------------------------------------------
# Never blocking the loop; deadlines on the loop
# --------------------------------------------------------------------------


def test_the_loop_keeps_running_while_a_send_waits(scripted):
    silent = scripted(["220 hi", EHLO_PIPE, Silent()])
    ready = scripted(LOCKSTEP)

    async def main():
        waiting = asyncio.create_task(aio.send(silent.address, "a@x.org", ["b@x.org"], BODY, tls="none",
                                               timeout=T))
        await until_received(silent, b"MAIL FROM")
        # While the first send waits for its reply, a whole other send happens.
        other = await aio.send(ready.address, "a@x.org", ["b@x.org"], BODY, tls="none", pipelining=False,
                               timeout=T)
        assert not waiting.done()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return other

    assert type(run(main())) is SendResult


def test_a_silent_server_times_out_with_the_stage_named(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, Silent()])
    with pytest.raises(StageTimeout) as info:
        run(aio.send(srv.address, "a@x.org", ["b@x.org"], BODY, tls="none", timeout=SHORT))
    assert info.value.stage == "MAIL"


def test_a_trickled_reply_cannot_outlast_its_timeout(scripted):
    srv = scripted(["220 hi", Trickle(b"250-test.example\r\n250-x\r\n250 PIPELINING\r\n", SHORT / 4)])
    with pytest.raises(StageTimeout) as info:
        run(aio.send(srv.address, "a@x.org", ["b@x.org"], BODY, tls="none", timeout=SHORT))
    assert info.value.stage == "EHLO"


def test_every_wait_of_a_default_send_is_bounded_by_rfc5321(scripted, monkeypatch):
    seen = []
    real = AsyncTransport.set_timeout
    monkeypatch.setattr(AsyncTransport, "set_timeout", lambda self, s: (seen.append(s), real(self, s)))
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go", "250 queued", "221 bye"])
    run(aio.send(srv.address, "a@x.org", ["b@x.org"], BODY, tls="none"))
    assert seen and None not in seen
    assert set(seen) <= {RFC5321_TIMEOUTS.greeting, RFC5321_TIMEOUTS.command, RFC5321_TIMEOUTS.data,
                         RFC5321_TIMEOUTS.block, RFC5321_TIMEOUTS.data_end}


# --------------------------------------------------------------------------
# Cancellation: the connection is closed, CancelledError goes on
# --------------------------------------------------------------------------

# (script, what the server has received when the send is cancelled)
STAGES = {
    "greeting": ([Trickle(b"220 hi there\r\n", 0.2)], None),
    "EHLO": (["220 hi", Silent()], b"EHLO"),
    "envelope": (["220 hi", EHLO_PIPE, Silent()], b"DATA\r\n"),
    "DATA end": (["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go", Silent()], b"\r\n.\r\n"),
    "lockstep RCPT": (["220 hi", EHLO_PLAIN, "250 ok", Silent()], b"RCPT TO"),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_cancelling_a_send_closes_its_connection(scripted, stage):
    script, needle = STAGES[stage]
    srv = scripted(script)

    async def main():
        task = asyncio.create_task(aio.send(srv.address, "a@x.org", ["b@x.org"], BODY, tls="none", timeout=T))
        if needle is None:
            await until_awaiting(task, "greeted")
        else:
            await until_received(srv, needle)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    srv.wait_done()
    assert srv.connections[0].end == "client_closed"
    assert not srv.transcript(0).endswith(b"QUIT\r\n")


def test_a_cancellation_on_any_loop_turn_of_connecting_is_not_lost(scripted):
    # Cancelled on each loop turn from the start through the greeting (the
    # connect and the transport's setup each end on one of them), the send
    # raises CancelledError and closes its connection: never goes on talking.
    # Python 3.11's asyncio.wait_for returned the result when the operation
    # ended on the turn of the cancellation, and the send went on.
    turns = 40
    srv = scripted(*[[Trickle(b"220 hi there\r\n", 0.05)] for _ in range(turns)])

    async def cancelled_after(turn: int) -> None:
        task = asyncio.create_task(aio.send(srv.address, "a@x.org", ["b@x.org"], BODY, tls="none", timeout=T))
        for _ in range(turn):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    for turn in range(turns):
        run(cancelled_after(turn))
    # Not wait_done: a connect cancelled early may never reach the server.
    srv.stop()
    assert srv.connections
    assert [(c.end, bytes(c.data)) for c in srv.connections] == [("client_closed", b"")] * len(srv.connections)


def _swallowing_conversation(client):
    """A conversation of steps that waits for a NOOP's reply and swallows
    ``CancelledError``: the step runner must close the connection itself."""
    transport = client.transport

    def talk():
        yield transport.send, b"NOOP\r\n", "NOOP"
        try:
            yield transport.read_reply, 250, "NOOP"
        except asyncio.CancelledError:
            return "swallowed"

    return run_steps(talk())


# Who waits for the reply: the task itself (a client command), or the step
# runner's callback (a conversation parked on its ReplyWait).
WAITERS = {"command": lambda client: client.noop(), "conversation": _swallowing_conversation}


@pytest.mark.parametrize("waiter", list(WAITERS))
def test_cancelling_a_wait_for_a_reply_closes_the_connection(scripted, waiter):
    srv = scripted(["220 hi", EHLO_PLAIN, Silent()])

    async def main():
        c = await aio.dial(srv.address, timeout=T)
        await c.hello("localhost")
        task = asyncio.create_task(WAITERS[waiter](c))
        await until_received(srv, b"NOOP")
        task.cancel()
        try:
            outcome = await task
        except asyncio.CancelledError:
            outcome = "raised"
        assert outcome == ("raised" if waiter == "command" else "swallowed")
        assert c.closed

    run(main())
    srv.wait_done()
    assert srv.connections[0].end == "client_closed"


@pytest.mark.parametrize("batch", [False, True])
def test_cancelling_a_send_on_a_given_client_closes_that_client(scripted, batch):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go", Silent()])

    async def main():
        c = await aio.connect(srv.address, tls="none", timeout=T)
        if batch:
            call = aio.send_many(c, [("a@x.org", ["b@x.org"], BODY)] * 3)
        else:
            call = aio.send(c, "a@x.org", ["b@x.org"], BODY)
        task = asyncio.create_task(call)
        await until_received(srv, b"\r\n.\r\n")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert c.closed

    run(main())
    srv.wait_done()
    assert srv.connections[0].end == "client_closed"
