"""The core's Pythonic layer (smtp_core.session): one connection, n messages.

``one_conn`` hands the n messages to ``send_many``, which pipelines across
messages: the write that carries a message's body and end of data also
carries the next message's MAIL, RCPT and DATA, so a message costs one
round trip instead of Go's four.  ``one_conn_send`` calls ``send`` once per
message (MAIL, RCPT and DATA in one write, the body in a second: two round
trips).  Kept apart from the other core clients so that the bench still
runs, without these rows, where the module is absent.
"""

from __future__ import annotations

from bench.clients import RECIPIENT, SENDER

try:
    from smtp_core import session
except ImportError as exc:  # the row is skipped, with this reason
    session = None
    _IMPORT_ERROR = str(exc)


def problem() -> str:
    """Why the pipelined row cannot run, or ``""`` when it can."""
    if session is None:
        return "smtp_core.session cannot be imported (%s)" % _IMPORT_ERROR
    missing = [name for name in ("connect", "send", "send_many") if not hasattr(session, name)]
    if missing:
        return "smtp_core.session has no %s()" % " or ".join(missing)
    return ""


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    """n messages over one connection with ``send_many`` (one round trip each)."""
    item = (SENDER, [RECIPIENT], msg)
    with session.connect(addr, tls="none") as client:
        results = session.send_many(client, (item for _ in range(n)))
        client.quit()
    failed = [r for r in results if type(r) is not session.SendResult]
    if failed:
        raise RuntimeError("%d of %d messages failed, the first: %r" % (len(failed), n, failed[0]))
    return n, n * len(msg)


def one_conn_send(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    """n messages over one connection with ``send``, one call each (two round trips each)."""
    recipients = [RECIPIENT]
    with session.connect(addr, tls="none") as client:
        for _ in range(n):
            session.send(client, SENDER, recipients, msg)
        client.quit()
    return n, n * len(msg)
