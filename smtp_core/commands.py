"""Building SMTP command lines and reading EHLO replies, without I/O.

Every argument that lands on a command line goes through
:func:`check_line`, which refuses CR and LF exactly as Go does (a CR or LF
would end the command early and let the rest of the argument run as a
command of its own) and, beyond Go, NUL.

Examples::

    >>> mail_command("a@example.com", {"8BITMIME": "", "SMTPUTF8": ""})
    b'MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8\\r\\n'
    >>> parse_ehlo("mx.example.com\\nstarttls\\nAUTH PLAIN LOGIN")
    ({'STARTTLS': '', 'AUTH': 'PLAIN LOGIN'}, ['PLAIN', 'LOGIN'])
"""

from __future__ import annotations

import re

from .errors import LineError
from .goformat import go_trim_space, go_upper

__all__ = [
    "LINE_ERROR_TEXT",
    "check_line",
    "encode_line",
    "command",
    "mail_command",
    "rcpt_command",
    "auth_command",
    "parse_ehlo",
]

#: Go's text for an argument that would break the command line.
LINE_ERROR_TEXT = "smtp: A line must not contain CR or LF"
NUL_ERROR_TEXT = "smtp: A line must not contain NUL"

_FORBIDDEN = re.compile("[\r\n\x00]")


def check_line(value: str) -> str:
    """Return ``value`` if it can stand on a command line, else raise :class:`LineError`.

    The error never contains ``value`` itself: a hostile address must not
    reach logs unescaped through an error message.
    """
    found = _FORBIDDEN.search(value)
    if found is not None:
        raise LineError(NUL_ERROR_TEXT if found.group() == "\x00" else LINE_ERROR_TEXT)
    return value


def encode_line(text: str) -> bytes:
    """The bytes of one command line, CRLF included.

    Text is sent as UTF-8, except lone surrogates from ``surrogateescape``,
    which go back out as the raw bytes they stand for.
    """
    return text.encode("utf-8", "surrogateescape") + b"\r\n"


def command(verb: str, arg: str | None = None) -> bytes:
    """``VERB arg\\r\\n`` (or ``VERB\\r\\n``) with ``arg`` checked."""
    if arg is None:
        return encode_line(verb)
    return encode_line(verb + " " + check_line(arg))


def mail_command(sender: str, extensions: dict[str, str] | None, *, size: int | None = None,
                 smtputf8: bool | None = None, params: str = "") -> bytes:
    """``MAIL FROM:<sender>`` and its ESMTP parameters: the one MAIL builder.

    The parameters, always in this order:

    * ``BODY=8BITMIME`` when the server advertised 8BITMIME (as Go does);
    * ``SIZE=n`` when ``size`` is given and the server advertised SIZE
      (RFC 1870; beyond Go);
    * ``SMTPUTF8``: with ``smtputf8=None`` when the server advertised it
      (Go's rule), else exactly when ``smtputf8`` is true (the Pythonic
      layer asks only for an address that needs it);
    * ``params`` (beyond Go), further parameters as given.

    >>> mail_command("a@b", {"8BITMIME": "", "SMTPUTF8": ""})
    b'MAIL FROM:<a@b> BODY=8BITMIME SMTPUTF8\\r\\n'
    >>> mail_command("a@b", {"SIZE": "100", "SMTPUTF8": ""}, size=12, smtputf8=False)
    b'MAIL FROM:<a@b> SIZE=12\\r\\n'
    >>> mail_command("a@b", None, params="RET=HDRS")
    b'MAIL FROM:<a@b> RET=HDRS\\r\\n'
    """
    line = "MAIL FROM:<" + check_line(sender) + ">"
    if extensions is not None:
        if "8BITMIME" in extensions:
            line += " BODY=8BITMIME"
        if size is not None and "SIZE" in extensions:
            line += " SIZE=%d" % size
        if smtputf8 if smtputf8 is not None else "SMTPUTF8" in extensions:
            line += " SMTPUTF8"
    if params:
        line += " " + check_line(params)
    return encode_line(line)


def rcpt_command(recipient: str) -> bytes:
    """``RCPT TO:<recipient>``."""
    return encode_line("RCPT TO:<" + check_line(recipient) + ">")


def auth_command(mechanism: str, initial_b64: str) -> bytes:
    """``AUTH mech [initial]``: Go formats both and trims surrounding space.

    An empty initial response leaves no trailing space (``AUTH CRAM-MD5``).
    The mechanism name is checked like any argument (Go does not check it).
    """
    check_line(mechanism)
    return encode_line(go_trim_space("AUTH " + mechanism + " " + initial_b64))


def parse_ehlo(text: str) -> tuple[dict[str, str], list[str] | None]:
    """The extensions of an EHLO reply text and its AUTH mechanisms.

    The first line is the server's greeting and is skipped.  Each further
    line is ``KEYWORD[ params]``; the keyword is upper-cased (RFC 5321 makes
    it case-insensitive; Go 1.27.3 kept it as sent, fixed upstream in Go
    issue 78749), and a later line wins over an earlier one.  The mechanisms
    are the AUTH parameters split on single spaces, or ``None`` when AUTH was
    not advertised.
    """
    lines = text.split("\n")
    extensions: dict[str, str] = {}
    for line in lines[1:]:
        keyword, _, params = line.partition(" ")
        extensions[go_upper(keyword)] = params
    mechanisms = extensions["AUTH"].split(" ") if "AUTH" in extensions else None
    return extensions, mechanisms
