"""The MIME structure of a message as byte offsets, found in one bounded pass.

The catcher parses a message once, at intake, and keeps where each leaf
part lies; a request for one part then reads those bytes only.  The
structure is the one the standard library's ``email`` parser builds (compat32,
the catcher's parser), found without building it:

* Lines end at ``\\r\\n``, ``\\r`` or ``\\n``.  An entity's headers are the
  leading lines that look like header lines (``email.feedparser``'s rule);
  an empty line after them is dropped, any other line starts the body.
* A ``multipart/*`` entity with a ``boundary`` holds the parts between its
  delimiter lines (``--boundary``, optional ``--``, spaces or tabs, the line
  end); repeated delimiter lines make no empty parts; the line end before a
  delimiter belongs to the delimiter.  Without a boundary, or without a
  first delimiter, it is a leaf, as it is for ``email``.
* A line that delimits an enclosing multipart ends every part inside it.
* ``message/*`` (but ``message/delivery-status``) holds one message, its
  body; in ``multipart/digest`` a part without a type is ``message/rfc822``.
* Part IDs are IMAP-style: ``"1"`` for a message that is not multipart, else
  ``"1"``, ``"2"``, ``"2.1"``...

Parameters (``boundary``, ``name``, ``filename``, ``charset``) are read from
the first :data:`PARAMETER_TEXT_LIMIT` characters of a Content-Type or
Content-Disposition value, up to its :data:`PARAMETER_LIMIT`-th ``;``.

Header lines are read as ``email``'s feedparser reads them (compat32, the
same names, values and order), without its line-by-line machinery: a
header block holding anything unusual (a Unix ``From`` line, a
continuation first, an empty field name) goes to ``email`` itself.
:func:`content` gives a leaf's decoded bytes as ``get_payload(decode=True)``
would, straight from the message's bytes when the part has no transfer
encoding to undo.

Limits: at most ``max_parts`` entities (containers included, the message
itself not) and ``max_depth`` levels of nesting; beyond either the scan
stops at once with :class:`PartLimitError`, which names the limit.  Each
level reads its own bytes once, so the work is at most ``max_depth`` times
the message size, never quadratic in it.

>>> raw = (b"Content-Type: multipart/mixed; boundary=b\\r\\n\\r\\npreamble\\r\\n--b\\r\\n\\r\\n"
...        b"hello\\r\\n--b\\r\\nContent-Type: text/html\\r\\n\\r\\n<p>hi</p>\\r\\n--b--\\r\\n")
>>> [(leaf.part_id, leaf.headers.get_content_type(), parse_part(raw[leaf.start:leaf.end], leaf.strip).get_payload())
...  for leaf in leaves(raw)]
[('1', 'text/plain', 'hello'), ('2', 'text/html', '<p>hi</p>')]
>>> try:
...     leaves(raw, max_parts=1)
... except PartLimitError as error:
...     print(error)
message has more than 1 MIME parts (the limit is 1)
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import re
from dataclasses import dataclass
from typing import AnyStr

__all__ = ["Leaf", "leaves", "parse_part", "parse_headers", "content", "headers_end", "RAW_HEADERS",
           "PartLimitError", "DEFAULT_MAX_PARTS", "DEFAULT_MAX_DEPTH"]

#: Far above any real message (a newsletter has tens of parts), far below
#: the 300,000 parts that fit in 32 MiB.
DEFAULT_MAX_PARTS = 1000
#: Real messages nest a handful of levels (a forward of a forward).
DEFAULT_MAX_DEPTH = 32

# The lines email.feedparser takes as header lines (its headerRE, on bytes:
# a Unix From line, a field name and its colon, or a continuation), each
# with its line end, in one match: the loop is the regex engine's.
_HEADER_LINES = re.compile(rb"(?:(?:From |[\041-\071\073-\176]*:|[\t ])[^\r\n]*(?:\r\n|\r|\n|\Z))*")
# What may follow "--boundary" on a delimiter line.
_DELIMITER_TAIL = re.compile(rb"(--)?[ \t]*(\r\n|\r|\n)?")


class PartLimitError(ValueError):
    """The message has more parts, or deeper nesting, than the catcher takes."""


#: Of a Content-Type or Content-Disposition value, the parameters are read
#: from the first 8 KiB and up to the 100th ";" (see _RawHeaders).
PARAMETER_TEXT_LIMIT = 8 * 1024
PARAMETER_LIMIT = 100
_PARAMETER_HEADERS = frozenset({"content-type", "content-disposition"})


class _RawHeaders(email.policy.Compat32):
    """compat32 (several times faster than ``email.policy.default``'s header
    objects) with header values handed over as they came: 8-bit (SMTPUTF8)
    text as surrogate escapes, not a ``Header`` of unknown-8bit that prints
    as U+FFFD.

    The parameters of Content-Type and Content-Disposition are read from a
    bounded value: the stdlib's parameter splitter rescans the value from
    its start at every ";" (quadratic: 16 KiB of ";" inside a quoted string
    cost 0.7 s per message, 1 MiB would take most of an hour), and each part's
    type, name and boundary read them again."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if name.lower() in _PARAMETER_HEADERS and (len(value) > PARAMETER_TEXT_LIMIT
                                                   or value.count(";") > PARAMETER_LIMIT):
            return ";".join(value[:PARAMETER_TEXT_LIMIT].split(";", PARAMETER_LIMIT + 1)[:PARAMETER_LIMIT + 1])
        return value


#: The catcher's parsing policy.
RAW_HEADERS = _RawHeaders()
_HEADER_PARSER = email.parser.BytesHeaderParser(policy=RAW_HEADERS)
_PARSER = email.parser.BytesParser(policy=RAW_HEADERS)
# A line with its end, as email.feedparser splits them (only CR and LF end
# a line; str.splitlines would also split at \x0b, \x0c, \x1c...).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
# Transfer encodings get_payload(decode=True) undoes; any other is kept as is.
_DECODED_ENCODINGS = frozenset({"quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"})


def parse_headers(data: bytes) -> email.message.Message:
    """The header lines ``data`` (nothing else: no body) as a message with
    those headers and an empty payload, exactly as ``email``'s
    ``BytesHeaderParser`` with :data:`RAW_HEADERS` makes it."""
    if _HEADER_LINES.match(data).end() != len(data):  # not header lines throughout: email's reading
        return _HEADER_PARSER.parsebytes(data)
    text = data.decode("ascii", "surrogateescape")
    message = email.message.Message(policy=RAW_HEADERS)
    field: list[str] = []
    for line in _LINES.findall(text):
        if line[0] in " \t":
            if not field:  # a continuation first: feedparser's defect handling
                return _HEADER_PARSER.parsebytes(data)
            field.append(line)
            continue
        if field:
            message.set_raw(*RAW_HEADERS.header_source_parse(field))
        if line.startswith("From ") or line.find(":") <= 0:  # a Unix From line, no name: email's rules
            return _HEADER_PARSER.parsebytes(data)
        field = [line]
    if field:
        message.set_raw(*RAW_HEADERS.header_source_parse(field))
    message.set_payload("")
    return message


@dataclass(frozen=True)
class Leaf:
    """A part that holds content: ``parse_part(data[start:end], strip)`` is
    exactly this part, headers and payload, as ``email`` parses it in place."""

    part_id: str
    start: int
    end: int
    #: Whether :func:`parse_part` drops the payload's last line end.
    strip: bool
    headers: email.message.Message
    #: Inside a ``multipart/related`` (``cid:`` parts the HTML embeds).
    in_related: bool


@dataclass(frozen=True)
class _Entity:
    start: int      # first line (its headers)
    end: int        # where its lines end (a delimiter line of an ancestor, or the data's end)
    strip: bool     # a part inside a multipart: the line end before `end` is not its content
    part_id: str
    depth: int
    default_type: str
    in_related: bool


def _split_headers(data: bytes, start: int, end: int) -> tuple[int, int]:
    """``(headers end, body start)`` of the entity at ``data[start:end]``."""
    position = _HEADER_LINES.match(data, start, end).end()  # type: ignore[union-attr]  # "*" always matches
    if position >= end:
        return end, end
    if data[position] in b"\r\n":  # the empty line: dropped
        return position, position + (2 if data.startswith(b"\r\n", position, end) else 1)
    return position, position  # a body line without the empty line first


def headers_end(data: bytes) -> int:
    """Where the header lines of the message ``data`` end."""
    return _split_headers(data, 0, len(data))[0]


def _at_line_start(data: bytes, position: int, start: int) -> bool:
    return position == start or data[position - 1] in b"\r\n"


def _delimiters(data: bytes, boundary: bytes, start: int, end: int):
    """Yield ``(line start, line end, closing)`` of each delimiter line of
    ``boundary`` in ``data[start:end]``, in order."""
    separator = b"--" + boundary
    position = start
    while True:
        found = data.find(separator, position, end)
        if found < 0:
            return
        position = found + 1
        if not _at_line_start(data, found, start):
            continue
        tail = _DELIMITER_TAIL.match(data, found + len(separator), end)
        assert tail is not None  # every group is optional
        if tail.group(2) is None and tail.end() != end:
            continue  # more text on the line: not a delimiter
        position = tail.end()
        yield found, tail.end(), tail.group(1) is not None


def _children(data: bytes, parent: _Entity, body: int, boundary: bytes, room: int) -> list[tuple[int, int]] | None:
    """The ``(start, end)`` of each part of a multipart whose body starts at
    ``body`` (stopping once there are more than ``room``); ``None`` if it has
    no first delimiter (then it is a leaf)."""
    spans: list[tuple[int, int]] = []
    child_start: int | None = None
    for line_start, line_end, closing in _delimiters(data, boundary, body, parent.end):
        if child_start is None:
            if closing:
                return None  # a closing delimiter first: email keeps it all as text
        elif line_start != child_start:
            spans.append((child_start, line_start))
            if closing or len(spans) > room:
                return spans
        # else: delimiter lines in a row (a closing one included) make no
        # empty part between them, as in email.feedparser.
        child_start = line_end
    if child_start is None:
        return None
    spans.append((child_start, parent.end))  # no closing delimiter: up to the end
    return spans


def _boundary_bytes(headers: email.message.Message) -> bytes | None:
    boundary = headers.get_boundary()
    if boundary is None:
        return None
    try:
        return boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # RFC 2231 text no line of bytes can match
        return None


def parse_part(data: bytes, strip: bool) -> email.message.Message:
    """One leaf's bytes (``data[leaf.start:leaf.end]``) as a message."""
    headers_stop, body = _split_headers(data, 0, len(data))
    part = parse_headers(data[:headers_stop])
    if part.get_content_maintype() in ("multipart", "message") or b"From " in data[:body]:
        # Containers (and a Unix "From " line among the headers) keep
        # email's own reading.
        part = _PARSER.parsebytes(data)
    else:
        # email's feedparser gives a leaf's body lines back joined as they
        # came, after a line-by-line pass that costs a 1 MiB body 0.1 s:
        # the same text, taken at once.
        part.set_payload(data[body:].decode("ascii", "surrogateescape"))
    # The raw payload, as email.feedparser trims it: get_payload() would
    # hand over undecodable bytes as U+FFFD, not as the surrogate escapes
    # that decoding turns back into those bytes.
    payload = part._payload  # noqa: SLF001
    if strip and isinstance(payload, str):
        part.set_payload(_without_last_line_end(payload))
    return part


def content(data: bytes, leaf: Leaf, limit: int | None = None) -> bytes:
    """The decoded content of ``leaf`` of the message ``data``, as
    ``parse_part(...).get_payload(decode=True)`` gives it (``b""`` where that
    gives none); with ``limit``, only the lines within the first ``limit``
    bytes of its encoded body are read (a prefix of the content, for text
    that is only searched).  A part without a transfer encoding to undo is
    sliced from ``data`` with no parse at all: a 1 MiB text body costs a
    copy, not a decode and re-encode of its text."""
    headers = leaf.headers
    body = _split_headers(data, leaf.start, leaf.end)[1]
    end = leaf.end
    if limit is not None and end - body > limit:
        cut = data.rfind(b"\n", body, body + limit)
        end = cut + 1 if cut >= 0 else body + limit
    strip = leaf.strip and end == leaf.end
    if (headers.get_content_maintype() in ("multipart", "message") or b"From " in data[leaf.start:body]
            or str(headers.get("content-transfer-encoding", "")).lower() in _DECODED_ENCODINGS):
        payload = parse_part(data[leaf.start:end], strip).get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    found = data[body:end]
    return _without_last_line_end(found) if strip else found


def _without_last_line_end(text: AnyStr) -> AnyStr:
    """``text`` without its last line end (``\\r\\n``, ``\\r`` or ``\\n``), as
    email.feedparser trims a part before a delimiter; a look at the end, not
    a regex scan of a 1 MiB payload."""
    crlf, line_ends = ("\r\n", ("\r", "\n")) if isinstance(text, str) else (b"\r\n", (b"\r", b"\n"))
    if text.endswith(crlf):
        return text[:-2]
    return text[:-1] if text.endswith(line_ends) else text


def leaves(data: bytes, *, max_parts: int = DEFAULT_MAX_PARTS, max_depth: int = DEFAULT_MAX_DEPTH,
           root_headers: email.message.Message | None = None) -> list[Leaf]:
    """The leaf parts of the message ``data``, in order (depth first);
    :class:`PartLimitError` beyond ``max_parts`` or ``max_depth``.
    ``root_headers``: the message's own headers, if the caller has parsed
    them already (:func:`parse_headers` of its header lines)."""
    found: list[Leaf] = []
    parts = 0
    root = _Entity(0, len(data), False, "", 0, "text/plain", False)
    pending = [root]
    while pending:
        entity = pending.pop()
        headers_end, body = _split_headers(data, entity.start, entity.end)
        if entity is root and root_headers is not None:
            headers = root_headers
        else:
            headers = parse_headers(data[entity.start:headers_end])
        headers.set_default_type(entity.default_type)
        content_type = headers.get_content_type()
        spans: list[tuple[int, int]] | None = None
        child_type, related = "text/plain", entity.in_related
        if headers.get_content_maintype() == "multipart":
            boundary = _boundary_bytes(headers)
            if boundary is not None:
                spans = _children(data, entity, body, boundary, max_parts - parts)
            child_type = "message/rfc822" if content_type == "multipart/digest" else "text/plain"
            related = related or content_type == "multipart/related"
        elif headers.get_content_maintype() == "message" and content_type != "message/delivery-status":
            spans = [(body, entity.end)]
        if spans is None:
            # The line end before a delimiter belongs to the delimiter; as in
            # email.feedparser, a multipart it found no parts in keeps it.
            strip = entity.strip and headers.get_content_maintype() != "multipart"
            found.append(Leaf(entity.part_id or "1", entity.start, entity.end, strip, headers, entity.in_related))
            continue
        if entity.depth + 1 > max_depth:
            raise PartLimitError(f"MIME parts nested more than {max_depth} levels deep (the limit is {max_depth})")
        parts += len(spans)
        if parts > max_parts:
            raise PartLimitError(f"message has more than {max_parts} MIME parts (the limit is {max_parts})")
        prefix = f"{entity.part_id}." if entity.part_id else ""
        strip = content_type.startswith("multipart/") or entity.strip
        children = [_Entity(start, end, strip, f"{prefix}{number}", entity.depth + 1, child_type, related)
                    for number, (start, end) in enumerate(spans, 1)]
        pending.extend(reversed(children))
    return found
