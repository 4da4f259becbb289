"""``POST /api/v1/message/{ID}/release``: Mailpit's release, sent with :func:`smtp_core.send`.

Rules:

* Only with a relay (``--smtp-relay HOST:PORT``, or ``Features(relay=...)``);
  without one the answer is ``400``, naming the option.
* The body is ``{"To": ["address", ...]}``.  Each must be one address
  (``Invalid email address: x``); with ``--smtp-relay-allowed REGEX`` every
  address must match it (a search, as Go's ``MatchString``) or nothing is
  sent (``Failed: Address do not match the allowlist: x``); none at all is
  ``No valid addresses found``.  Mailpit's texts and ``400``.
* What goes out is the message exactly as it was received (Mailpit's
  ``PreserveMessageIDs``: ``Date`` and ``Message-ID`` are not rewritten),
  less its ``Bcc`` header lines, which must never reach a recipient.  The
  envelope sender is the ``Sender`` header's address, else ``From``'s.
* The catcher's own engine sends it: :func:`smtp_core.send` with the relay's
  TLS policy (``--smtp-relay-starttls``: ``opportunistic`` by default,
  certificates verified) and login (``--smtp-relay-auth``: CRAM-MD5, PLAIN
  or LOGIN, whichever is the strongest offered; PLAIN and LOGIN only over
  TLS or to a loopback relay), in a worker thread, bounded by a timeout.
  A failure is ``400`` with ``SMTP error: `` and the engine's text.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import json
import re
from typing import Any

from aiohttp import web

from ... import send
from ...protocol.auth import CramMD5Auth, LoginAuth, PlainAuth

from ..features import RelaySettings
from ..mailbox.store import MailStore
from .api import off_loop
from .mailpit_extra import FEATURES, same_origin_only, text_error, with_message

__all__ = ["add_routes", "without_bcc", "RELAY_TIMEOUT"]

RELAY_TIMEOUT = 30.0  # seconds for each step of the relay's conversation
_BCC_LINE = re.compile(rb"(?im)^bcc[ \t]*:.*(?:\r\n[ \t].*)*\r\n")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/message/{id}/release", same_origin_only(release_message))


def without_bcc(raw: bytes) -> bytes:
    r"""``raw`` less its ``Bcc`` header fields (with their folded lines); the
    body and every other byte untouched.

    >>> without_bcc(b"To: a@x\r\nBcc: b@x,\r\n c@x\r\nSubject: s\r\n\r\nBcc: body\r\n")
    b'To: a@x\r\nSubject: s\r\n\r\nBcc: body\r\n'
    """
    end = raw.find(b"\r\n\r\n")
    header, body = (raw, b"") if end < 0 else (raw[:end + 2], raw[end + 2:])
    return _BCC_LINE.sub(b"", header) + body


@with_message(MailStore.received_bytes)
async def release_message(request: web.Request, raw: bytes) -> web.Response:
    relay = request.app[FEATURES].relay
    try:
        body = json.loads(await request.text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return text_error(f"invalid JSON body: {error}")
    recipients = body.get("To") if isinstance(body, dict) else None
    if recipients is not None and (not isinstance(recipients, list)
                                   or not all(isinstance(to, str) for to in recipients)):
        return text_error("To must be an array of email addresses")
    if relay is None:
        return text_error("message relaying is not enabled: start the catcher with --smtp-relay HOST:PORT")
    refusal = _check_recipients(recipients or [], relay)
    if refusal:
        return text_error(refusal)
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    sender = _first_address(headers, "Sender") or _first_address(headers, "From")
    if sender is None:
        return text_error("No From header found")
    addresses = [email.utils.parseaddr(to)[1] for to in recipients or []]
    try:
        await off_loop(_relay, relay, sender, addresses, without_bcc(raw))
    except Exception as error:  # every failure of the engine is the client's answer
        return text_error(f"SMTP error: {error}")
    return web.Response(text="ok", content_type="text/plain")


def _check_recipients(recipients: list[str], relay: RelaySettings) -> str | None:
    refused = []
    for to in recipients:
        name, address = email.utils.parseaddr(to)
        if "@" not in address or any(c in to for c in "\r\n"):
            return f"Invalid email address: {to}"
        if relay.allowed is not None and not relay.allowed.search(address):
            refused.append(to)
    if refused:
        noun = "Address" if len(refused) == 1 else "Addresses"
        return f"Failed: {noun} do not match the allowlist: {', '.join(refused)}"
    if not recipients:
        return "No valid addresses found"
    return None


def _first_address(headers: Any, name: str) -> str | None:
    values = headers.get_all(name) or []
    found = [address for _, address in email.utils.getaddresses(values) if address]
    return found[0] if found else None


def _relay(relay: RelaySettings, sender: str, recipients: list[str], data: bytes) -> None:
    auth = None
    if relay.auth is not None:
        user, password = relay.auth
        auth = [CramMD5Auth(user, password), PlainAuth("", user, password, relay.host),
                LoginAuth(user, password, relay.host)]
    send(relay.address, sender, recipients, data, auth=auth, tls=relay.starttls, timeout=RELAY_TIMEOUT)
