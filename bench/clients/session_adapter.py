"""The core's pipelined ``send`` (smtp_core.session): one connection, n messages.

``session.connect(addr, tls="none")`` greets once; each
``session.send(client, ...)`` then pipelines MAIL, RCPT and DATA in one
write and the body with its end in a second, so a message costs two round
trips instead of Go's four.  Kept apart from the other core clients so
that the bench still runs, without this row, where the module is absent.
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
    missing = [name for name in ("connect", "send") if not hasattr(session, name)]
    if missing:
        return "smtp_core.session has no %s()" % " or ".join(missing)
    return ""


def one_conn(addr: str, n: int, msg: bytes) -> tuple[int, int]:
    """n messages over one connection with ``send`` (PIPELINING when offered)."""
    recipients = [RECIPIENT]
    with session.connect(addr, tls="none") as client:
        for _ in range(n):
            session.send(client, SENDER, recipients, msg)
        client.quit()
    return n, n * len(msg)
