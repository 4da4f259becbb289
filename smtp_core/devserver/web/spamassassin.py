"""``GET /api/v1/message/{ID}/sa-check``: Mailpit's SpamAssassin check, over spamd's protocol.

Rules:

* Only with ``--enable-spamassassin HOST:PORT`` (else the route is absent:
  ``404``, as in Mailpit).
* One connection per check: ``REPORT SPAMC/1.5``, ``Content-length``, the
  message as received; the write side is then closed and the reply read
  to its end (at most :data:`MAX_REPLY` bytes, within :data:`TIMEOUT`
  seconds, Mailpit's 8).
* The reply (spamd's ``PROTOCOL``): ``SPAMD/1.1 <code> <text>``, headers
  with ``Spam: True ; 8.4 / 5.0``, then the report, whose table after
  ``Content analysis details`` lists ``points rule description`` (a long
  description continues on lines indented past the table's columns).
* The answer is Mailpit's ``{"IsSpam", "Error", "Score", "Rules": [{"Score",
  "Name", "Description"}]}``: scores rounded down to one decimal, ``IsSpam``
  when the score is 5 or more (Mailpit's own threshold).  Any failure,
  an unreachable spamd included, is ``200`` with its text in ``Error``
  (Go's ``dial tcp ...: connect: connection refused``).

>>> report = (b"SPAMD/1.1 0 EX_OK\\r\\nContent-length: 9\\r\\nSpam: True ; 8.46 / 5.0\\r\\n\\r\\n"
...           b"Content analysis details:   (8.4 points, 5.0 required)\\n\\n"
...           b" pts rule name              description\\n---- ---------------------- ----\\n"
...           b" 2.7 MISSING_DATE           Missing Date: header\\n"
...           b"-0.0 NO_RELAYS              Informational: message was not relayed\\n"
...           b"                            via SMTP\\n")
>>> parse_report(report)
{'IsSpam': True, 'Error': '', 'Score': 8.4, 'Rules': [{'Score': 2.7, 'Name': 'MISSING_DATE', \
'Description': 'Missing Date: header'}, {'Score': 0.0, 'Name': 'NO_RELAYS', \
'Description': 'Informational: message was not relayed via SMTP'}]}
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

from aiohttp import web

from ...gocompat.neterror import op_error

from ..features import parse_relay
from ..mailbox.store import MailStore
from .mailpit_extra import FEATURES, json_ok, same_origin_only, with_message

__all__ = ["add_routes", "check", "parse_report", "TIMEOUT", "MAX_REPLY", "SPAM_SCORE"]

TIMEOUT = 8.0  # Mailpit's
MAX_REPLY = 1 << 20
SPAM_SCORE = 5.0  # Mailpit's
_STATUS = re.compile(r"SPAMD/[\d.]+ (\d+) (.*)")
_SUMMARY = re.compile(r"(?m)^Spam: (\S+) ; (-?[\d.]+) / (-?[\d.]+)\s*$")
_RULE = re.compile(r"\s?(-?[\d.]+)\s([A-Za-z0-9_]*)\W*(.*)")
_CONTINUATION = re.compile(r"\n {20,}")


def add_routes(app: web.Application) -> None:
    if app[FEATURES].spamassassin is not None:
        app.router.add_get("/api/v1/message/{id}/sa-check", same_origin_only(sa_check))


@with_message(MailStore.received_bytes)
async def sa_check(request: web.Request, raw: bytes) -> web.Response:
    address = request.app[FEATURES].spamassassin
    assert address is not None  # the route exists only then
    return json_ok(await check(address, raw))


async def check(address: str, raw: bytes) -> dict[str, Any]:
    """Mailpit's SpamAssassin result for ``raw`` from the spamd at ``address``."""
    host, port = parse_relay(address, "--enable-spamassassin")
    try:
        reply = await asyncio.wait_for(_report(host, port, raw), TIMEOUT)
    except asyncio.TimeoutError:
        return _failure(f"no reply from spamd at {address} within {TIMEOUT:g} s")
    except OSError as error:
        return _failure(str(op_error("dial", error, addr=address, syscall="connect")))
    return parse_report(reply)


async def _report(host: str, port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"REPORT SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw) + raw)
        writer.write_eof()  # spamd reads to the end of what the client sends
        await writer.drain()
        reply = await reader.read(MAX_REPLY + 1)
        while reply and len(reply) <= MAX_REPLY:
            more = await reader.read(MAX_REPLY + 1 - len(reply))
            if not more:
                break
            reply += more
        return reply[:MAX_REPLY]
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


def parse_report(reply: bytes) -> dict[str, Any]:
    """Mailpit's result from spamd's reply to ``REPORT``."""
    text = reply.decode("utf-8", "replace").replace("\r\n", "\n")
    status = _STATUS.match(text)
    if status is None:
        return _failure(f"not a spamd reply: {text[:80]!r}")
    if status.group(1) != "0":
        return _failure(f"spamd: {status.group(1)} {status.group(2).strip()}")
    summary = _SUMMARY.search(text)
    if summary is None:
        return _failure("spamd's reply has no Spam: line")
    score = float(summary.group(2))
    rules = []
    _, marker, details = _CONTINUATION.sub(" ", text).partition("Content analysis details")
    for line in details.split("\n")[1:] if marker else []:
        found = _RULE.fullmatch(line.rstrip())
        if found:
            rules.append({"Score": _round_down(float(found.group(1))), "Name": found.group(2),
                          "Description": found.group(3)})
    return {"IsSpam": score >= SPAM_SCORE, "Error": "", "Score": _round_down(score), "Rules": rules}


def _round_down(value: float) -> float:
    return math.floor(value * 10) / 10


def _failure(text: str) -> dict[str, Any]:
    return {"IsSpam": False, "Error": text, "Score": 0, "Rules": []}
