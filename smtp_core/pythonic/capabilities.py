"""What the server offers, as sending sees it: :class:`ServerProfile`.

Rules of this module:

* one profile per EHLO reply (a STARTTLS, which brings a new EHLO, brings a
  new profile); it is worked out once and kept on the connection's
  :class:`~smtp_core.pythonic.session.Session`;
* ``size_limit`` is the SIZE keyword's limit (RFC 1870), ``None`` when the
  server advertised none, or 0, or a value that is not 1 to 20 ASCII
  digits (RFC 1870's grammar): a hostile ``SIZE ²`` or a 5,000-digit
  ``SIZE`` means "no limit advertised", never an exception;
* envelopes already built are kept (the same sender and recipients tend to
  come back message after message), at most 256 of them.

>>> ServerProfile({"SIZE": "10"}).size_limit
10
>>> [ServerProfile({"SIZE": v}).size_limit for v in ("", "0", "\u00b2", "\u0661", "1" * 5000, "-5", " 7")]
[None, None, None, None, None, None, None]
"""

from __future__ import annotations

import re

from .envelope import WireEnvelope, wire_envelope

__all__ = ["ServerProfile", "size_limit"]

_SIZE = re.compile(r"[0-9]{1,20}")  # RFC 1870: size-value ::= 1*20DIGIT


def size_limit(params: str) -> int | None:
    """The limit a SIZE keyword's ``params`` advertise, or ``None`` (none,
    0, or not 1 to 20 ASCII digits)."""
    if _SIZE.fullmatch(params) is None:
        return None
    return int(params) or None


class ServerProfile:
    """What sending needs to know of the server, worked out once per EHLO,
    and the envelopes already built (the same sender and recipients tend to
    come back message after message)."""

    __slots__ = ("extensions", "size_limit", "envelopes")

    def __init__(self, extensions: dict) -> None:
        self.extensions = extensions
        self.size_limit = size_limit(extensions.get("SIZE", ""))
        self.envelopes: dict[tuple, WireEnvelope] = {}  # by (sender, recipients)

    def wire_envelope(self, sender: str, recipients) -> WireEnvelope:
        """The envelope of ``sender`` and ``recipients`` for this server
        (:func:`~.envelope.wire_envelope`), built once."""
        key = (sender, recipients if isinstance(recipients, str) else tuple(recipients))
        known = self.envelopes.get(key)
        if known is None:
            known = wire_envelope(sender, key[1], self.extensions)
            if len(self.envelopes) >= 256:
                self.envelopes.clear()
            self.envelopes[key] = known
        return known
