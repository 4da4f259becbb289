"""The core's Pythonic layer (smtp_core.pythonic): one connection, n messages.

``one_conn`` hands the n messages to ``send_many``, which pipelines across
messages: the write that carries a message's body and end of data also
carries the next message's MAIL, RCPT and DATA, so a message costs one
round trip instead of Go's four.  ``one_conn_send`` calls ``send`` once per
message (MAIL, RCPT and DATA in one write, the body in a second: two round
trips).
"""

from __future__ import annotations

from smtp_core import pythonic

from bench.clients import RECIPIENT, SENDER


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    """n messages over one connection with ``send_many`` (one round trip each)."""
    item = (SENDER, [RECIPIENT], msg)
    with pythonic.connect(addr, tls="none") as client:
        results = pythonic.send_many(client, (item for _ in range(n)))
        client.quit()
    failed = [r for r in results if type(r) is not pythonic.SendResult]
    if failed:
        raise RuntimeError("%d of %d messages failed, the first: %r" % (len(failed), n, failed[0]))
    return n, n * len(msg)


def one_conn_send(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    """n messages over one connection with ``send``, one call each (two round trips each)."""
    recipients = [RECIPIENT]
    with pythonic.connect(addr, tls="none") as client:
        for _ in range(n):
            pythonic.send(client, SENDER, recipients, msg)
        client.quit()
    return n, n * len(msg)
