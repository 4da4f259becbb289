"""What the dev server received, and how a client's values are shown safely.

Everything in an envelope or a message is chosen by the client, and the
client may be hostile: a user name with a newline would print a forged
console line, an ESC sequence would drive the operator's terminal, a CR
inside a quoted local part would add a header line to the stored copy.
:func:`escape_controls` is the one rule for every place such a value is
printed, logged, put in a reply or written into a header: control
characters (C0, DEL, C1), format characters such as bidirectional overrides,
line and paragraph separators, and lone surrogates (undecodable bytes) become
visible backslash escapes; everything else, UTF-8 included, stays as it is.

>>> escape_controls("bob\\n[smtp-devserver] from <ceo@corp.example>")
'bob\\\\n[smtp-devserver] from <ceo@corp.example>'
>>> escape_controls("\\x1b[2Jjosé\\u202e\\udcff")
'\\\\x1b[2Jjosé\\\\u202e\\\\udcff'
"""

from __future__ import annotations

import email
import email.message
import email.parser
import email.policy
import unicodedata
from dataclasses import dataclass
from collections.abc import Sequence

__all__ = ["ReceivedMessage", "escape_controls", "envelope_headers"]

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(character: str) -> str:
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_controls(text: str) -> str:
    """``text`` with every character that could act on a terminal or split a
    line replaced by a backslash escape (a backslash itself stays as it is)."""
    if text.isprintable():  # the common case: nothing to do
        return text
    return "".join(
        _escape(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text
    )


def envelope_headers(envelope_from: str, envelope_to: Sequence[str]) -> bytes:
    """The header lines that record the SMTP envelope at the top of a stored
    message, as a delivery agent adds them (``\\r\\n`` line ends).

    Escaped: a CR or LF inside a quoted local part must not start a header
    line of its own.

    >>> envelope_headers("a@example.com", ["b@example.com", "c\\r\\nX: y@example.com"])
    b'Return-Path: <a@example.com>\\r\\nX-Envelope-From: <a@example.com>\\r\\nX-Envelope-To: <b@example.com>, <c\\\\r\\\\nX: y@example.com>\\r\\n'
    """
    sender = escape_controls(envelope_from)
    recipients = ", ".join(f"<{escape_controls(recipient)}>" for recipient in envelope_to)
    return (
        f"Return-Path: <{sender}>\r\n"
        f"X-Envelope-From: <{sender}>\r\n"
        f"X-Envelope-To: {recipients}\r\n"
    ).encode()


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted message, in the order messages arrived.

    ``raw`` holds the exact bytes received between DATA and the final dot,
    dot-unstuffed; :attr:`message` parses the stored copy.  ``envelope_from``
    is ``""`` for the null reverse-path ``MAIL FROM:<>``.  Records are read
    back from the catcher's store when asked for: the server keeps none in
    memory.
    """

    envelope_from: str
    envelope_to: tuple[str, ...]
    raw: bytes
    maildir_key: str
    #: MAIL parameters as sent, upper-cased, e.g. ``("SIZE=120", "SMTPUTF8")``.
    mail_options: tuple[str, ...]
    #: User name that authenticated the session, ``None`` without AUTH.
    authenticated_as: str | None
    #: Whether the message travelled over TLS (STARTTLS or implicit TLS).
    tls: bool
    #: The message's ID in the API (``/api/v1/message/{id}``).
    id: str = ""

    @property
    def message(self) -> email.message.EmailMessage:
        """The stored copy parsed with ``email.policy.default``: the message
        with the added ``Return-Path``, ``X-Envelope-From`` and
        ``X-Envelope-To`` headers (parsed anew on each access)."""
        stored = envelope_headers(self.envelope_from, self.envelope_to) + self.raw
        return email.message_from_bytes(stored, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def size(self) -> int:
        """Size of the message as received, in bytes."""
        return len(self.raw)

    @property
    def subject(self) -> str:
        """The decoded Subject header, ``""`` if there is none.  Only the
        header lines are parsed: the console line is printed on the event
        loop, which must not parse a 32 MiB body for it."""
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(self.raw)
        return str(headers.get("Subject", ""))

    def summary(self) -> str:
        """One console line: ``from <a> to <b>, <c>: 'Subject' (123 bytes)``.

        Every client-chosen value in it goes through :func:`escape_controls`,
        so the line is always exactly one line, free of terminal escapes.
        """
        recipients = ", ".join(f"<{escape_controls(address)}>" for address in self.envelope_to)
        secured = ", TLS" if self.tls else ""
        login = f", AUTH {escape_controls(self.authenticated_as)}" if self.authenticated_as else ""
        return (
            f"from <{escape_controls(self.envelope_from)}> to {recipients}: "
            f"'{escape_controls(self.subject)}' "
            f"({self.size} bytes{secured}{login}) -> {self.maildir_key}"
        )
