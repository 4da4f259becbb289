"""Load: many clients at once, every message arrives exactly once.

Threads each open their own client to one aiosmtpd server (a
``Controller`` with a handler that only counts, so the server's memory
stays out of the picture) and send their messages on one connection.  The
server then holds exactly one copy of each message, found by its
Message-ID, with the envelope of the thread that sent it and in the order
that thread sent them: no message lost, none doubled, no client's state
leaking into another's.  The resident set is measured after a warm-up
and at the end; it must stay flat.

The normal suite runs 8 threads x 500 messages (about 2 s) against the
counting server, and 4 x 50 against the dev server (which also writes
every message to its Maildir).  A longer run, 16 x 2,500, is marked
``slow`` (``--runslow``).
"""

from __future__ import annotations

import collections
import re
import secrets
import threading

import pytest
from servers import aiosmtpd_serving

import smtp_core

MiB = 1 << 20
#: Generous memory allowance per record the counting handler keeps.
RECORD_COST = 600
MESSAGE_ID = re.compile(rb"^Message-ID: <t(\d+)\.(\d+)\.[0-9a-f]+@load\.test>", re.MULTILINE)


class CountingHandler:
    """Keeps, per message, only its Message-ID and envelope."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[tuple[bytes, str, tuple]] = []

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content)
        mid = found.group(0) if found else b""
        with self.lock:
            self.records.append((mid, envelope.mail_from, tuple(envelope.rcpt_tos)))
        return "250 2.0.0 counted"


@pytest.fixture
def counting_server(free_port):
    with aiosmtpd_serving(CountingHandler(), free_port) as served:
        yield served


def rss() -> int:
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) * 1024


def message(thread: int, index: int) -> tuple[bytes, bytes]:
    mid = b"Message-ID: <t%d.%d.%s@load.test>" % (thread, index, secrets.token_hex(8).encode())
    body = b"".join(b"line %d of message %d from thread %d\r\n" % (n, index, thread) for n in range(25))
    return mid, (b"From: t%d@load.test\r\nTo: sink@load.test\r\nSubject: load %d/%d\r\n" % (thread, thread, index)
                 + mid + b"\r\n\r\n" + body)


def run_load(address: str, threads: int, per_thread: int) -> dict:
    warm = max(1, per_thread // 10)
    barrier = threading.Barrier(threads + 1, timeout=60)
    sent: list[list[bytes]] = [[] for _ in range(threads)]
    clients: list = [None] * threads
    errors: list = []

    def worker(n: int) -> None:
        try:
            with smtp_core.dial(address, timeout=30) as c:
                clients[n] = c
                c.hello("t%d.load.test" % n)
                for i in range(per_thread):
                    if i == warm:
                        barrier.wait()  # warm-up over: the main thread measures
                    mid, msg = message(n, i)
                    c.mail("t%d@load.test" % n)
                    c.rcpt("sink%d@load.test" % n)
                    with c.data() as w:
                        w.write(msg)
                    sent[n].append(mid)
                c.quit()
        except BaseException as exc:  # reported by the main thread
            errors.append((n, exc))
            barrier.abort()

    workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for t in workers:
        t.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    rss_warm = rss()
    for t in workers:
        t.join(300)
    assert not errors, errors
    assert not any(t.is_alive() for t in workers)
    return {"sent": sent, "clients": clients, "rss_warm": rss_warm, "rss_end": rss()}


def check(records, result, threads: int, per_thread: int, memory: bool = True) -> None:
    """``records``: ``(Message-ID header, envelope sender, recipients)`` per arrival."""
    sent = result["sent"]
    # Exactly once: as many arrivals as messages, each Message-ID once, the same set.
    assert len(records) == threads * per_thread
    counts = collections.Counter(mid for mid, _, _ in records)
    assert max(counts.values()) == 1
    assert set(counts) == {mid for mids in sent for mid in mids}
    # No crossed wires: each message carries its own thread's envelope, in its order.
    arrived: list[list[int]] = [[] for _ in range(threads)]
    for mid, mail_from, rcpt_tos in records:
        thread, index = map(int, MESSAGE_ID.match(mid).groups())
        assert mail_from == "t%d@load.test" % thread
        assert rcpt_tos == ("sink%d@load.test" % thread,)
        arrived[thread].append(index)
    assert arrived == [list(range(per_thread))] * threads
    # Separate clients, separate transports and reply readers.
    clients = result["clients"]
    assert len({id(c) for c in clients}) == threads
    assert len({id(c._t) for c in clients}) == threads
    assert len({id(c._t.reader) for c in clients}) == threads
    assert all(c.closed for c in clients)
    if memory:
        # Flat after the warm-up, but for the handler's own records (measured
        # at about 300 bytes each: a Message-ID, a tuple, two strings).
        growth = result["rss_end"] - result["rss_warm"]
        allowed = 8 * MiB + RECORD_COST * len(records)
        assert growth < allowed, "RSS grew by %.1f MiB (allowed %.1f)" % (growth / MiB, allowed / MiB)


def report(records, result) -> None:
    print("\nload: %d messages, each arrived once; RSS %+.1f MiB after warm-up"
          % (len(records), (result["rss_end"] - result["rss_warm"]) / MiB))


def test_load_eight_threads_five_hundred_messages_each(counting_server):
    handler, address = counting_server
    result = run_load(address, threads=8, per_thread=500)
    check(handler.records, result, 8, 500)
    report(handler.records, result)


def test_load_dev_server(devserver):
    result = run_load("127.0.0.1:%d" % devserver.port, threads=4, per_thread=50)
    received = devserver.wait_for(200)
    records = [(MESSAGE_ID.search(m.raw).group(0), m.envelope_from, m.envelope_to) for m in received]
    # The dev server keeps every message in memory: no RSS bound here.
    check(records, result, 4, 50, memory=False)
    assert len(list(devserver.maildir.glob("new/*")) + list(devserver.maildir.glob("cur/*"))) == 200


@pytest.mark.slow
def test_load_long(counting_server):
    handler, address = counting_server
    result = run_load(address, threads=16, per_thread=2500)
    check(handler.records, result, 16, 2500)
    report(handler.records, result)
