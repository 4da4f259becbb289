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

from ..errors import LineError
from ..gocompat.goformat import go_bytes, go_trim_space, go_upper

__all__ = [
    "LINE_ERROR_TEXT",
    "check_line",
    "encode_line",
    "command",
    "mail_command",
    "rcpt_command",
    "auth_command",
    "parse_ehlo",
    "Extensions",
    "MAX_KEYWORDS",
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

    The text's bytes are the Go string's (:func:`~smtp_core.gocompat.goformat.go_bytes`):
    UTF-8, lone surrogates from ``surrogateescape`` as the raw bytes they
    stand for, any other lone surrogate as its three ``surrogatepass`` bytes.

    >>> encode_line("RCPT TO:<a\\ud800@b>")
    b'RCPT TO:<a\\xed\\xa0\\x80@b>\\r\\n'
    """
    try:
        return text.encode("utf-8", "surrogateescape") + b"\r\n"
    except UnicodeEncodeError:  # the common case stays one encode
        return go_bytes(text) + b"\r\n"


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


#: How many distinct EHLO keywords are kept in the dictionary; real servers
#: send a dozen or two.  Lines past the cap stay as text, read on demand.
MAX_KEYWORDS = 256


class Extensions(dict):
    """EHLO keywords (upper-cased) to their parameters, bounded in memory.

    The first :data:`MAX_KEYWORDS` distinct keywords are a plain dict (a
    later line of a kept keyword still replaces its parameters).  The
    reply's remaining lines, from the first keyword that did not fit, are
    kept as one string, ``overflow`` (``None`` when every keyword fit), and looked up there when a key is not
    in the dict, the last matching line winning as in Go.  So ``in``,
    ``get`` and ``[]`` give Go's answer for any keyword, while iteration and
    ``len`` cover the kept keywords only.  A hostile reply of 355,000
    distinct keywords costs its own text instead of a dict of that size.
    """

    __slots__ = ("overflow",)

    def __init__(self, items=(), overflow: str | None = None) -> None:
        super().__init__(items)
        self.overflow = overflow

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._scan(key) is not None

    def __missing__(self, key):
        params = self._scan(key)
        if params is None:
            raise KeyError(key)
        return params

    def get(self, key, default=None):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        params = self._scan(key)
        return default if params is None else params

    def _scan(self, key: object) -> str | None:
        """The parameters of the last overflow line whose keyword is ``key``."""
        text = self.overflow
        if text is None or not isinstance(key, str) or " " in key or "\n" in key:
            return None
        upper = go_upper(text)
        needle = "\n" + key
        end = len(upper)
        while True:
            found = upper.rfind(needle, 0, end)
            if found < 0:
                break
            after = found + len(needle)
            if after == len(upper) or upper[after] in " \n":
                if text.isascii():  # upper-casing kept every position
                    line_end = text.find("\n", after)
                    return text[found + 1:line_end if line_end >= 0 else len(text)].partition(" ")[2]
                return _line(text, upper.count("\n", 0, found) + 1).partition(" ")[2]
            end = found  # an earlier match cannot overlap this one: only its first character is LF
        if upper.startswith(key) and (len(key) == len(upper) or upper[len(key)] in " \n"):
            return _line(text, 0).partition(" ")[2]
        return None


def _line(text: str, index: int) -> str:
    """Line ``index`` (from 0) of ``text``, without building the list of lines."""
    start = 0
    for _ in range(index):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def parse_ehlo(text: str, max_keywords: int = MAX_KEYWORDS) -> tuple[Extensions, list[str] | None]:
    """The extensions of an EHLO reply text and its AUTH mechanisms.

    The first line is the server's greeting and is skipped.  Each further
    line is ``KEYWORD[ params]``; the keyword is upper-cased (RFC 5321 makes
    it case-insensitive; Go 1.27.3 kept it as sent, fixed upstream in Go
    issue 78749), and a later line wins over an earlier one.  The mechanisms
    are the AUTH parameters split on single spaces, or ``None`` when AUTH was
    not advertised.  At most ``max_keywords`` distinct keywords go into the
    dict; see :class:`Extensions` for the rest.

    >>> ext, _ = parse_ehlo("mx\\nK1\\nK2 a\\nK3 b\\nk2 c\\nK3 d", max_keywords=2)
    >>> dict(ext), ext.overflow, ext["K3"], "K4" in ext
    ({'K1': '', 'K2': 'c'}, 'K3 b\\nk2 c\\nK3 d', 'd', False)
    """
    kept: dict[str, str] = {}
    overflow_at = -1
    first = text.find("\n")
    start = first + 1
    find = text.find
    while first >= 0:  # one line per step: no list of every line
        end = find("\n", start)
        keyword, _, params = (text[start:] if end < 0 else text[start:end]).partition(" ")
        key = keyword.upper() if keyword.isascii() else go_upper(keyword)
        if key in kept or len(kept) < max_keywords:
            kept[key] = params
        elif overflow_at < 0:
            overflow_at = start
        if end < 0:
            break
        start = end + 1
    extensions = Extensions(kept, text[overflow_at:] if overflow_at >= 0 else None)
    auth = extensions.get("AUTH")
    mechanisms = auth.split(" ") if auth is not None else None
    return extensions, mechanisms
