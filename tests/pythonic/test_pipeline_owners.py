"""The pipeline's owners: replies that already arrived come through the
transport (``buffered_reply``, which logs them as ``read_reply`` does, on
both drivers); the message in flight is an :class:`Outgoing` whose state is
a :class:`Flight`; what an envelope's replies decide is one table."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket

import pytest

from smtp_core import MessageRefused, RecipientsRefused, RefusedAt
from smtp_core.aio.transport import AsyncTransport
from smtp_core.pythonic import pipeline
from smtp_core.pythonic.outgoing import Flight, Outgoing
from smtp_core.pythonic.result import SendResult
from smtp_core.transport import Transport

TWO_REPLIES = b"250 one\r\n354 two\r\n"


@pytest.fixture
def wire(caplog):
    caplog.set_level(logging.DEBUG, logger="smtp_core.wire")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "smtp_core.wire"]


def test_buffered_reply_on_the_blocking_transport(wire):
    a, b = socket.socketpair()
    with a, b:
        a.settimeout(5)  # a buffered_reply that waited on the socket would time out, not hang
        t = Transport(a, peer="peer.test")
        assert t.buffered_reply() is None  # nothing received: no wait
        b.sendall(TWO_REPLIES)
        assert t.read_reply(250, "MAIL") == (250, "one")
        assert t.buffered_reply() == (354, "two")  # already received with the first
        assert t.buffered_reply() is None
        assert wire() == ["S: 250 one", "S: 354 two"]


def test_buffered_reply_on_the_asyncio_transport(wire):
    async def main():
        a, b = socket.socketpair()
        with b:
            a.setblocking(False)
            t = await AsyncTransport.connect(a, peer="peer.test", timeout=5)
            try:
                assert t.buffered_reply() is None
                b.sendall(TWO_REPLIES)
                assert await t.read_reply(250, "MAIL") == (250, "one")
                assert t.buffered_reply() == (354, "two")
                assert t.buffered_reply() is None
            finally:
                t.close()
        await asyncio.sleep(0)  # let the loop finish closing the transport

    asyncio.run(main())
    assert wire()[:2] == ["S: 250 one", "S: 354 two"]


def test_outgoing_is_a_slotted_dataclass_with_a_state():
    assert dataclasses.is_dataclass(Outgoing) and "__slots__" in vars(Outgoing)
    out = Outgoing([], [], b"", b".\r\n", 0, None, b"", None)
    assert out.state is Flight.READY and out.slot == -1
    with pytest.raises(AttributeError):
        out.ended = True  # slotted: no stray attributes
    assert {f.name for f in dataclasses.fields(Outgoing)} >= {"state", "slot", "commands", "rcpts"}


OK, NO, GO, STOP = (250, "ok"), (550, "no"), (354, "go"), (554, "stop")


@pytest.mark.parametrize("replies, count, expected", [
    ([NO], 3, ("MAIL", 550)),
    ([NO, NO, STOP], 3, ("MAIL", 550)),  # pipelined: every reply read, MAIL's decides
    ([OK, NO], 3, RecipientsRefused),  # lockstep stopped before DATA
    ([OK, NO, NO, GO], 4, RecipientsRefused),
    ([OK, NO, OK, STOP], 4, ("DATA", 554)),
    ([OK, (251, "forwarded"), GO], 3, None),
])
def test_what_the_envelope_replies_decide(replies, count, expected):
    result = SendResult({}, None, 1)
    got = pipeline._refusal(replies, count, result)
    if expected is None:
        assert got is None
    elif expected is RecipientsRefused:
        assert type(got) is RecipientsRefused and got.result is result
    else:
        assert type(got) is MessageRefused and (got.stage, got.code) == expected and got.result is result
        assert isinstance(got.stage, RefusedAt)


def test_the_table_covers_every_case_once():
    import itertools

    for facts in itertools.product((False, True), repeat=4):
        if facts[3] and not facts[1]:
            continue  # DATA cannot be accepted unanswered
        matches = [row for row, _ in pipeline._ENVELOPE_OUTCOMES
                   if all(want is None or want == fact for want, fact in zip(row, facts))]
        assert len(matches) == 1, facts
