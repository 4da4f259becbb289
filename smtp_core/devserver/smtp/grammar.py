"""The dev server's SMTP grammar: what a client's command line means, and
the words of the replies, without I/O.

The rules are aiosmtpd 1.4.6's (the server the dev server ran on, whose
replies clients and tests know), kept exactly:

* A command line ends at LF; trailing CRs and LFs are stripped.  More than
  :data:`LINE_LIMIT` bytes before the LF: ``500 Command line too long``,
  the line's bytes dropped as they come (:class:`CommandLines`).
* An empty line, or a verb that is not ASCII: ``500 Error: bad syntax``.
* The verb is upper-cased; the argument is what follows the first space,
  stripped, decoded as UTF-8 with ``surrogateescape`` (the client's exact
  bytes survive); no argument at all is ``None``.
* A line longer than 512 bytes (MAIL after EHLO: 548, room for SIZE and
  SMTPUTF8) is ``500 Command line too long``.
* A verb not in :data:`COMMANDS`: ``500 Error: command "X" not recognized``.

>>> parse_command(b"mail FROM:<a@b.example> SIZE=12", extended=True)
('MAIL', 'FROM:<a@b.example> SIZE=12')
>>> parse_command(b"NOOP", extended=False)
('NOOP', None)
>>> parse_command(b"X" * 513, extended=False)
'500 Command line too long'
>>> parse_command(b"BDAT 12", extended=True)
'500 Error: command "BDAT" not recognized'
>>> mail_arguments("FROM:<a@b.example> BODY=8BITMIME", extended=True, size_limit=100)
('a@b.example', ['BODY=8BITMIME'])
>>> mail_arguments("FROM:<a@b.example> SIZE=101", extended=True, size_limit=100)
'552 Error: message size exceeds fixed maximum message size'
"""

from __future__ import annotations

from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError

from ..mailbox.received import escape_controls

__all__ = ["LINE_LIMIT", "TOO_LONG_LINE", "COMMANDS", "CommandLines", "parse_command", "mail_arguments",
           "rcpt_arguments", "address_of", "ehlo_lines", "help_reply", "unknown_command"]

#: Bytes of a command line before its LF (aiosmtpd's reader limit, RFC 5321
#: section 4.5.3.1.6's 1,000 octets and a transparent dot).
LINE_LIMIT = 1001
#: What :class:`CommandLines` yields for a line over :data:`LINE_LIMIT`.
TOO_LONG_LINE = object()

TOO_LONG = "500 Command line too long"
BAD_SYNTAX = "500 Error: bad syntax"
_COMMAND_LIMIT = 512
# EHLO makes room for " SIZE=<number>" and " SMTPUTF8" on MAIL.
_EXTENDED_MAIL_LIMIT = _COMMAND_LIMIT + 26 + 10

#: Every verb the server knows, with its HELP syntax (``None``: not listed
#: by HELP) and the extra syntax shown after EHLO.
COMMANDS: dict[str, tuple[str | None, str]] = {
    "AUTH": ("AUTH <mechanism>", ""),
    "DATA": ("DATA", ""),
    "EHLO": ("EHLO hostname", ""),
    "EXPN": (None, ""),
    "HELO": ("HELO hostname", ""),
    "HELP": ("HELP [command]", ""),
    "MAIL": ("MAIL FROM: <address>", " [SP <mail-parameters>]"),
    "NOOP": ("NOOP [ignored]", ""),
    "QUIT": ("QUIT", ""),
    "RCPT": ("RCPT TO: <address>", " [SP <mail-parameters>]"),
    "RSET": ("RSET", ""),
    "STARTTLS": ("STARTTLS", ""),  # listed only where TLS can start
    "VRFY": ("VRFY <address>", ""),
}

# A MAIL/RCPT argument parsed by the email package's header parser costs
# about a tenth of a 1 KiB message's intake; a client names the same few
# addresses over and over, and the answer depends on the text alone.
_PARSED_ADDRESSES: dict[str, tuple[str | None, str | None]] = {}
_PARSED_ADDRESSES_KEPT = 1024


class CommandLines:
    """The command lines in the bytes a client sends, fed as they arrive.

    >>> lines = CommandLines()
    >>> lines.feed(b"NOOP\\r\\nRS")
    >>> lines.next_line(), lines.next_line()
    (b'NOOP', None)
    >>> lines.feed(b"ET\\r\\n" + b"x" * 2000)
    >>> lines.next_line(), lines.next_line(), lines.pending()
    (b'RSET', None, 0)
    >>> lines.feed(b"xx\\r\\nQUIT\\r\\n")
    >>> lines.next_line() is TOO_LONG_LINE, lines.next_line()
    (True, b'QUIT')
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._start = 0
        # Inside a line over the limit: its bytes are dropped up to its LF.
        self._overlong = False

    def feed(self, data: bytes) -> None:
        if self._start:
            del self._buffer[:self._start]
            self._start = 0
        self._buffer += data

    def next_line(self) -> bytes | object | None:
        """The next whole line without its line end, :data:`TOO_LONG_LINE`,
        or ``None`` until more bytes arrive."""
        buffer, start = self._buffer, self._start
        end = buffer.find(b"\n", start)
        if end < 0:
            if len(buffer) - start > LINE_LIMIT:  # dropped as it comes, answered at its end
                del buffer[:]
                self._start = 0
                self._overlong = True
            return None
        self._start = end + 1
        if self._overlong or end - start > LINE_LIMIT:
            self._overlong = False
            return TOO_LONG_LINE
        return bytes(buffer[start:end]).rstrip(b"\r\n")

    def take_rest(self) -> bytes:
        """Every byte not yet returned as a line (the DATA payload's first
        chunk, or plaintext to discard at STARTTLS); the buffer is left empty."""
        rest = bytes(self._buffer[self._start:])
        del self._buffer[:]
        self._start = 0
        return rest

    def pending(self) -> int:
        """Bytes held that are not yet a line."""
        return len(self._buffer) - self._start


def parse_command(line: bytes, *, extended: bool) -> tuple[str, str | None] | str:
    """``(VERB, argument)`` of one command line, or the reply refusing it."""
    line = line.rstrip(b"\r\n")
    if not line:
        return BAD_SYNTAX
    verb_bytes, _, arg_bytes = line.partition(b" ")
    try:
        verb = verb_bytes.upper().decode("ascii")
    except UnicodeDecodeError:
        return BAD_SYNTAX
    arg = arg_bytes.strip().decode("utf-8", "surrogateescape") if arg_bytes else None
    limit = _EXTENDED_MAIL_LIMIT if extended and verb == "MAIL" else _COMMAND_LIMIT
    if len(line) > limit:
        return TOO_LONG
    if verb not in COMMANDS:
        return unknown_command(verb)
    return verb, arg


def unknown_command(verb: str) -> str:
    """The reply to a verb the server does not know (escaped: it is the client's)."""
    return f'500 Error: command "{escape_controls(verb)}" not recognized'


def address_of(arg: str) -> tuple[str | None, str | None]:
    """``(address, the rest)`` of a MAIL/RCPT/VRFY argument; ``(None, None)``
    if it does not parse; ``("", "")`` for an empty one."""
    if not arg:
        return "", ""
    parsed = _PARSED_ADDRESSES.get(arg)
    if parsed is None:
        try:
            if arg.lstrip().startswith("<"):
                address, rest = get_angle_addr(arg)
            else:
                address, rest = get_addr_spec(arg)
            parsed = (address.addr_spec, rest)
        except HeaderParseError:
            parsed = (None, None)
        if len(_PARSED_ADDRESSES) >= _PARSED_ADDRESSES_KEPT:
            _PARSED_ADDRESSES.clear()
        _PARSED_ADDRESSES[arg] = parsed
    return parsed


def _syntax_error(verb: str, extended: bool) -> str:
    text, extension = COMMANDS[verb]
    return f"501 Syntax: {text}{extension if extended else ''}"


def _path_and_options(verb: str, keyword: str, arg: str | None, extended: bool,
                      nested: bool = False) -> tuple[str, list[str], dict[str, str | bool]] | str:
    """The address and upper-cased options after ``FROM:`` / ``TO:``, in
    aiosmtpd's order of checks, or the reply refusing them."""
    if arg is None or arg[:len(keyword)].upper() != keyword:
        return _syntax_error(verb, extended)
    address, rest = address_of(arg[len(keyword):].strip())
    if address is None:
        return "553 5.1.3 Error: malformed address"
    if not address or (not extended and rest):
        return _syntax_error(verb, extended)
    if nested:
        return "503 Error: nested MAIL command"
    options = (rest or "").upper().split()
    params: dict[str, str | bool] = {}
    for option in options:
        name, equals, value = option.partition("=")
        if not name.isalnum() or (equals and not value):
            return _syntax_error(verb, extended)
        params[name] = value if equals else True
    return address, options, params


def mail_arguments(arg: str | None, *, extended: bool, size_limit: int | None,
                   nested: bool = False) -> tuple[str, list[str]] | str:
    """``(sender, options)`` of ``MAIL FROM:``, or the reply refusing it;
    ``nested``: a sender is already given (refused once the address parsed)."""
    parsed = _path_and_options("MAIL", "FROM:", arg, extended, nested)
    if isinstance(parsed, str):
        return parsed
    address, options, params = parsed
    if params.pop("BODY", "7BIT") not in ("7BIT", "8BITMIME"):
        return "501 Error: BODY can only be one of 7BIT, 8BITMIME"
    if not isinstance(params.pop("SMTPUTF8", False), bool):
        return "501 Error: SMTPUTF8 takes no arguments"
    size = params.pop("SIZE", None)
    if size:
        if isinstance(size, bool) or not size.isdigit():
            return _syntax_error("MAIL", extended)
        if size_limit and int(size) > size_limit:
            return "552 Error: message size exceeds fixed maximum message size"
    if params:
        return "555 MAIL FROM parameters not recognized or not implemented"
    return address, options


def rcpt_arguments(arg: str | None, *, extended: bool) -> tuple[str, list[str]] | str:
    """``(recipient, options)`` of ``RCPT TO:`` (no option is known), or the
    reply refusing it."""
    parsed = _path_and_options("RCPT", "TO:", arg, extended)
    if isinstance(parsed, str):
        return parsed
    address, options, params = parsed
    if params:
        return "555 RCPT TO parameters not recognized or not implemented"
    return address, options


def ehlo_lines(hostname: str, *, size_limit: int | None, starttls: bool, mechanisms: list[str] | None) -> list[str]:
    """The EHLO reply: ``mechanisms`` is ``None`` where AUTH is not offered.

    >>> ehlo_lines("localhost", size_limit=10, starttls=False, mechanisms=["PLAIN"])
    ['250-localhost', '250-SIZE 10', '250-8BITMIME', '250-SMTPUTF8', '250-AUTH PLAIN', '250-PIPELINING', '250 HELP']
    """
    lines = [f"250-{hostname}"]
    if size_limit:
        lines.append(f"250-SIZE {size_limit}")
    lines += ["250-8BITMIME", "250-SMTPUTF8"]
    if starttls:
        lines.append("250-STARTTLS")
    if mechanisms is not None:
        lines.append("250-AUTH " + " ".join(sorted(mechanisms)))
    return lines + ["250-PIPELINING", "250 HELP"]


def help_reply(arg: str | None, *, extended: bool, starttls: bool) -> str:
    """HELP: one command's syntax, or the list (501 for an unknown one).

    >>> help_reply("mail", extended=True, starttls=False)
    '250 Syntax: MAIL FROM: <address> [SP <mail-parameters>]'
    >>> help_reply("EXPN", extended=False, starttls=False)
    '501 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY'
    """
    listed = sorted(verb for verb, (text, _) in COMMANDS.items()
                    if text is not None and (starttls or verb != "STARTTLS"))
    code = 250
    if arg:
        verb = arg.upper()
        if verb in listed:
            text, extension = COMMANDS[verb]
            return f"250 Syntax: {text}{extension if extended else ''}"
        code = 501
    return f"{code} Supported commands: {' '.join(listed)}"
