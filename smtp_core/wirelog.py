"""The wire log: the SMTP conversation through :mod:`logging`.

Everything goes to the logger ``smtp_core.wire`` at DEBUG level, one record
per line: ``C: `` for what the client sent, ``S: `` for what the server
answered, ``~~`` for events (TLS started, connection closed).  Secrets are
not logged by default: AUTH responses become ``C: AUTH PLAIN <redacted>`` /
``C: <redacted>``, and message bodies are summarised by size.  Pass
``redact=False`` to a client to see credentials while debugging a server.

Every record carries ``smtp_peer`` (the server name) as an extra attribute.
Non-printable characters are escaped (Go's quoting without the quotes), so
a hostile value cannot forge log lines.

Example::

    import logging
    logging.basicConfig(level=logging.DEBUG)
    logging.getLogger("smtp_core.wire").setLevel(logging.DEBUG)
"""

from __future__ import annotations

import logging

from .gocompat.goformat import go_quote

__all__ = ["wire_logger", "enabled", "log_sent", "log_reply", "log_event", "log_body"]

wire_logger = logging.getLogger("smtp_core.wire")
_DEBUG = logging.DEBUG


def enabled() -> bool:
    """Whether wire records would be emitted (cheap; checked before formatting)."""
    return wire_logger.isEnabledFor(_DEBUG)


def _safe(text: str) -> str:
    return go_quote(text)[1:-1]


def log_sent(peer: str, line: bytes, redact: bool = False) -> None:
    text = line.decode("utf-8", "surrogateescape").rstrip("\r\n")
    if redact:
        verb, _, rest = text.partition(" ")
        if verb.upper() == "AUTH":
            mech, _, initial = rest.partition(" ")
            text = "AUTH " + mech + (" <redacted>" if initial else "")
        else:
            text = "<redacted>"
    wire_logger.debug("C: %s", _safe(text), extra={"smtp_peer": peer})


def log_reply(peer: str, code: int, text: str, redact: bool = False) -> None:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        sep = " " if i == len(lines) - 1 else "-"
        shown = "<redacted>" if redact and code == 334 else _safe(line)
        wire_logger.debug("S: %03d%s%s", code, sep, shown, extra={"smtp_peer": peer})


def log_body(peer: str, nbytes: int) -> None:
    wire_logger.debug("C: <message body, %d bytes on the wire>", nbytes, extra={"smtp_peer": peer})


def log_event(peer: str, event: str) -> None:
    wire_logger.debug("~~ %s", event, extra={"smtp_peer": peer})
