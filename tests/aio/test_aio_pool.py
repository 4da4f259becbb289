"""smtp_core.aio.Pool: reuse, reconnecting after a drop, a 421 or idleness, the
per-connection cap, never sending a message twice, and 200 concurrent sends.

Scripted servers give one script per connection, so a transcript shows which
connection carried which message.
"""

from __future__ import annotations

import asyncio

import pytest
from scripted import Close

from servers import addr
from smtp_core import MessageNotSent, MessageRefused, RecipientsRefused, SendResult, aio

T = 10
EHLO_PIPE = "250-test.example\n250-PIPELINING\n250 8BITMIME"
GREET = ["220 hi", EHLO_PIPE]
ONE_OK = ["250 ok", "250 ok", "354 go", "250 queued"]


def body(n: int) -> bytes:
    return b"Subject: %d\r\n\r\nmessage %d\r\n" % (n, n)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_connection_is_reused_and_quit_on_close(scripted):
    srv = scripted(GREET + ONE_OK * 3 + ["221 bye"])

    async def main():
        async with aio.Pool(srv.address, size=2, tls="none", timeout=T) as pool:
            for n in range(3):
                assert type(await pool.send("a@x.org", ["b@x.org"], body(n))) is SendResult
            return pool.opened

    assert run(main()) == 1
    sent = srv.transcript(0)
    assert sent.count(b"MAIL FROM") == 3 and sent.endswith(b"QUIT\r\n")


def test_a_connection_the_server_dropped_while_idle_is_replaced_and_the_message_sent_once(scripted):
    # The server closes connection 0 when the second message's envelope comes.
    srv = scripted(GREET + ONE_OK + [Close()], GREET + ONE_OK + ["221 bye"])

    async def main():
        async with aio.Pool(srv.address, size=1, tls="none", timeout=T) as pool:
            await pool.send("a@x.org", ["b@x.org"], body(1))
            result = await pool.send("a@x.org", ["b@x.org"], body(2))
            return result, pool.opened

    result, opened = run(main())
    assert type(result) is SendResult and opened == 2
    assert b"message 2" not in srv.transcript(0) and b"message 2" in srv.transcript(1)


def test_after_a_421_the_message_goes_on_a_new_connection(scripted):
    srv = scripted(GREET + ONE_OK + ["421 closing"], GREET + ONE_OK + ["221 bye"])

    async def main():
        async with aio.Pool(srv.address, size=1, tls="none", timeout=T) as pool:
            await pool.send("a@x.org", ["b@x.org"], body(1))
            return await pool.send("a@x.org", ["b@x.org"], body(2))

    assert type(run(main())) is SendResult
    assert b"message 2" in srv.transcript(1)


def test_an_uncertain_message_is_reported_never_sent_again(scripted):
    # The end of data goes out, then the server closes without a reply: it may have the message.
    srv = scripted(GREET + ONE_OK + ["250 ok", "250 ok", "354 go", Close()], GREET + ONE_OK + ["221 bye"])

    async def main():
        async with aio.Pool(srv.address, size=1, tls="none", timeout=T) as pool:
            await pool.send("a@x.org", ["b@x.org"], body(1))
            with pytest.raises(MessageNotSent) as info:
                await pool.send("a@x.org", ["b@x.org"], body(2))
            assert info.value.uncertain
            third = await pool.send("a@x.org", ["b@x.org"], body(3))
            return third, pool.opened

    third, opened = run(main())
    assert type(third) is SendResult and opened == 2
    assert b"message 2" in srv.transcript(0)
    assert b"message 2" not in srv.transcript(1) and b"message 3" in srv.transcript(1)


def test_a_refusal_is_the_messages_own_and_the_connection_stays(scripted):
    srv = scripted(GREET + ["250 ok", "550 no", "354 go", "250 ok", "250 reset"] + ONE_OK + ["221 bye"])

    async def main():
        async with aio.Pool(srv.address, size=1, tls="none", timeout=T) as pool:
            with pytest.raises(RecipientsRefused):
                await pool.send("a@x.org", ["nobody@x.org"], body(1))
            await pool.send("a@x.org", ["b@x.org"], body(2))
            return pool.opened

    assert run(main()) == 1


def test_idle_connections_older_than_max_idle_are_replaced(scripted):
    srv = scripted(GREET + ONE_OK, GREET + ONE_OK + ["221 bye"])

    async def main():
        async with aio.Pool(srv.address, size=1, tls="none", timeout=T, max_idle=0.05) as pool:
            await pool.send("a@x.org", ["b@x.org"], body(1))
            await asyncio.sleep(0.2)  # longer than max_idle: the connection is stale
            await pool.send("a@x.org", ["b@x.org"], body(2))
            return pool.opened

    assert run(main()) == 2
    assert srv.transcript(0).count(b"MAIL FROM") == 1 and b"message 2" in srv.transcript(1)


def test_the_per_connection_cap_ends_a_session_with_quit(scripted):
    srv = scripted(GREET + ONE_OK * 2 + ["221 bye"], GREET + ONE_OK * 2 + ["221 bye"],
                   GREET + ONE_OK + ["221 bye"])

    async def main():
        async with aio.Pool(srv.address, size=1, tls="none", timeout=T, max_messages_per_connection=2) as pool:
            results = await pool.send_many([("a@x.org", ["b@x.org"], body(n)) for n in range(5)])
            return results, pool.opened

    results, opened = run(main())
    assert all(type(r) is SendResult for r in results) and opened == 3
    assert [srv.transcript(i).count(b"MAIL FROM") for i in range(3)] == [2, 2, 1]
    assert all(srv.transcript(i).endswith(b"QUIT\r\n") for i in range(3))


def test_bad_options_are_refused_before_any_connection():
    with pytest.raises(ValueError, match="tls must be one of"):
        aio.Pool("127.0.0.1:1", tls="sometimes")
    with pytest.raises(TypeError):
        aio.Pool("127.0.0.1:1", colour="blue")
    with pytest.raises(TypeError, match="per send"):
        aio.Pool("127.0.0.1:1", sender="a@x.org")
    with pytest.raises(ValueError, match="size"):
        aio.Pool("127.0.0.1:1", size=0)


def test_a_server_that_cannot_be_reached_fails_each_message_not_the_batch(free_port):
    async def main():
        async with aio.Pool("127.0.0.1:%d" % free_port, size=2, tls="none", timeout=T) as pool:
            return await pool.send_many([("a@x.org", ["b@x.org"], body(n)) for n in range(3)])

    results = run(main())
    assert len(results) == 3 and all(isinstance(r, MessageNotSent) and not r.uncertain for r in results)
    assert "connection refused" in str(results[0])


@pytest.mark.parametrize("way", ["send", "send_many"])
def test_200_concurrent_sends_through_a_pool_of_4_lose_and_duplicate_nothing(devserver, way):
    count = 200

    async def main():
        async with aio.Pool(addr(devserver), size=4, tls="none", timeout=T) as pool:
            items = [("a@example.com", ["b%d@example.com" % n], body(n)) for n in range(count)]
            if way == "send":
                results = await asyncio.gather(*(pool.send(*item) for item in items))
            else:
                results = await pool.send_many(items)
            return results, pool.opened

    results, opened = run(main())
    assert all(type(r) is SendResult for r in results) and opened <= 4
    assert [r.accepted for r in results] == [["b%d@example.com" % n] for n in range(count)]
    received = devserver.wait_for(count, timeout=T)
    subjects = sorted(m.message["Subject"] for m in received)
    assert subjects == sorted(str(n) for n in range(count))


def test_every_pooled_connection_gets_the_pools_tls_policy_and_auth(devserver, pki):
    from smtp_core import PlainAuth, TLSConfig

    async def main():
        async with aio.Pool(addr(devserver), size=3, tls="required", tls_config=TLSConfig(root_cas=pki.ca_path),
                            server_name="localhost", auth=PlainAuth("", "alice", "wonderland", "localhost"),
                            timeout=T) as pool:
            results = await asyncio.gather(*(pool.send("a@example.com", ["b@example.com"], body(n))
                                             for n in range(12)))
            return results, pool.opened

    results, opened = run(main())
    assert all(type(r) is SendResult for r in results) and 1 <= opened <= 3
    received = devserver.wait_for(12, timeout=T)
    assert len(received) == 12 and all(m.tls for m in received)
