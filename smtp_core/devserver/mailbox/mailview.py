"""What the catcher shows of one message: the fields of its index entry and
of Mailpit's message object, from the message's bytes.

Rules:

* Parsing is the standard library's ``email`` package with compat32 (fast;
  no header objects); RFC 2047 words are decoded one by one, raw UTF-8
  header bytes (SMTPUTF8) become text, undecodable bytes U+FFFD.  Nothing
  here raises on a malformed message: what cannot be decoded is shown as
  it came.
* The text body is the first ``text/plain`` part that is not an attachment
  and has no file name, the HTML body likewise; line ends become ``\\n``.
* Other parts with a file name (or a Content-ID) are listed: *inline* when
  their disposition says so or when they are a ``cid:`` part of
  ``multipart/related``, else *attachments*.  Part IDs are IMAP-style paths
  (``"1"``, ``"2.1"``).
* The snippet is Mailpit's: the HTML body's text (else the text body),
  whitespace collapsed, at most 250 characters plus ``...``.
* Addresses are given as the headers hold them, as Mailpit gives them (an
  IDNA domain in A-labels); the search text also holds their U-labels
  (:func:`shown_address`), so either form finds the message.  The page
  shows the U-labels (``static/idn.js``); the raw view keeps the A-labels.
* S/MIME (:func:`smime_status`): ``multipart/signed`` with a PKCS#7
  signature is *signed*, by the subject of the signature's end certificate
  (the one that issued no other certificate it carries); the signature is
  not checked (a dev tool shows what the message claims); an
  ``application/pkcs7-mime`` enveloped-data body is *encrypted*.
* The search text holds the address headers, subject, Return-Path, body
  (HTML stripped, else text) and attachment names, lower-cased, as Mailpit
  builds it.  Of the body it holds at most :data:`SEARCH_TEXT_LIMIT`
  characters, taken from at most the first :data:`SEARCH_SOURCE_LIMIT`
  bytes of the body part as encoded (so a huge part costs no more than
  that); attachments' contents are never searched.
* The structure is found once, at intake (:mod:`~smtp_core.devserver.mailbox.mimetree`,
  which also enforces the part and depth limits), and kept as a *part
  table* (JSON): where the headers, the bodies and each listed part lie,
  and each listed part's summary (size, checksums).  :func:`details` and
  :func:`find_part` then read only the bytes they show, through a ``read``
  callable the store provides, and never parse the whole message again.
  A span is ``[start, end, stored_start, stored_end, strip]``: offsets in
  the received bytes, the same offsets once every CRLF became LF (the
  store's file), and whether the part's last line end is the delimiter's.

>>> raw = b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\\r\\nSubject: Hi\\r\\n\\r\\nHello,\\r\\n  world\\r\\n"
>>> fields = index_fields(raw, b"")
>>> fields["from_json"], fields["snippet"], fields["search_text"]
('{"Name": "Jürgen", "Address": "j@example.com"}', 'Hello, world', 'jürgen j@example.com hi hello world')
>>> shown = details(fields["parts_json"], lambda span: raw[span[0]:span[1]], b"", created_ms=0, size=len(raw), username="")
>>> shown["Subject"], shown["Text"]
('Hi', 'Hello,\\n  world\\n')
"""

from __future__ import annotations

import datetime
import functools
import email.errors
import email.header
import email.message
import email.parser
import email.utils
import hashlib
import json
import re
from typing import Any
from collections.abc import Callable, Sequence

import idna

from . import mimetree, tagnames
from .htmltext import MARKUP_LIMIT, html_text
from .mimetree import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PARTS, PartLimitError

__all__ = ["index_fields", "details", "find_part", "message_head", "rfc3339", "shown_address", "PartLimitError",
           "SNIPPET_LENGTH", "SEARCH_TEXT_LIMIT", "SEARCH_SOURCE_LIMIT", "smime_status"]

#: Reads the bytes of one span of the received message (from the store's file).
Reader = Callable[[Sequence[Any]], bytes]

#: Mailpit's snippet length.
SNIPPET_LENGTH = 250
#: Body text kept in the search index per message: enough for any realistic
#: search, and the index stays small next to 20 MiB messages.
SEARCH_TEXT_LIMIT = 256 * 1024
#: Of a text or HTML body, the encoded bytes read for the snippet and the
#: search text at intake: a 20 MiB text part costs what 1 MiB does.
SEARCH_SOURCE_LIMIT = 1024 * 1024
_ADDRESS_FIELDS = (("From", "from_json"), ("To", "to_json"), ("Cc", "cc_json"),
                   ("Bcc", "bcc_json"), ("Reply-To", "reply_to_json"))


_RAW_HEADERS = mimetree.RAW_HEADERS
# One encoder for the index's JSON: json.dumps(..., ensure_ascii=False)
# builds a new encoder at every call.
_json = json.JSONEncoder(ensure_ascii=False).encode
# A JSON string as _json writes it (non-ASCII kept), by the encoder's C core.
_quoted = json.encoder.encode_basestring


def _address_json(address: dict[str, str]) -> str:
    """What ``_json`` makes of one address object, written directly: the
    encoder's set-up costs ~3 µs a call, thrice its work on an address,
    and every message has five address columns.

    >>> address = {"Name": 'Zoë "Z"', "Address": "z@example.com"}
    >>> _address_json(address) == _json(address)
    True
    """
    return '{"Name": ' + _quoted(address["Name"]) + ', "Address": ' + _quoted(address["Address"]) + "}"


def _addresses_json(addresses: Sequence[dict[str, str]]) -> str:
    """``_json(addresses)`` for a list of address objects (as above).

    >>> _addresses_json([]), _addresses_json([{"Name": "", "Address": "a@b"}] * 2)
    ('[]', '[{"Name": "", "Address": "a@b"}, {"Name": "", "Address": "a@b"}]')
    """
    return "[" + ", ".join(map(_address_json, addresses)) + "]"


def _parse_headers(raw: bytes) -> email.message.Message:
    """The message's own header fields (its body is not read)."""
    return mimetree.parse_headers(raw[:mimetree.headers_end(raw)])


_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


def _readable(text: str) -> str:
    """``text`` without surrogate escapes: the email package keeps 8-bit
    header bytes that way; UTF-8 ones (SMTPUTF8) become their characters,
    anything else U+FFFD."""
    if not _SURROGATE_ESCAPE.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _decode_word(match: re.Match[str]) -> str:
    try:
        [(data, charset)] = email.header.decode_header(match.group(0))
        return data.decode(charset or "ascii", "replace") if isinstance(data, bytes) else data
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return match.group(0)  # an undecodable word stays as it came


def _decoded(value: Any) -> str:
    """A header value with folding undone and RFC 2047 encoded words decoded
    (each on its own, so that raw UTF-8 text around them survives)."""
    text = _readable(re.sub(r"\r?\n(?=[ \t])", "", str(value)))
    if "=?" not in text:
        return text.strip()
    # Space between two encoded words is not part of the text (RFC 2047, 6.2).
    text = re.sub(r"(\?=)[ \t]+(?==\?)", r"\1", text)
    return _ENCODED_WORD.sub(_decode_word, text).strip()


def _header_text(message: email.message.Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else _decoded(value)


def shown_address(address: str) -> str:
    """``address`` as a person reads it: a domain in A-labels (``xn--``)
    shown in its U-labels (IDNA 2008); one that does not decode stays as
    it came.  The raw message keeps the A-labels.

    >>> shown_address("bob@xn--bcher-kva.test"), shown_address("x@xn--zz.test")
    ('bob@bücher.test', 'x@xn--zz.test')
    """
    local, at, domain = address.rpartition("@")
    if not at or "xn--" not in domain.lower():
        return address
    try:
        return local + "@" + idna.decode(domain)
    except (UnicodeError, ValueError):  # idna.IDNAError is a UnicodeError
        return address


def _addresses(message: email.message.Message, name: str) -> list[dict[str, str]]:
    values = tuple(_readable(str(value)) for value in message.get_all(name, []))
    # The same few From and To lines arrive over and over (a test suite's
    # mail): their parse is remembered, for header text of ordinary size.
    parse = _remembered_addresses if sum(map(len, values)) <= _REMEMBERED_LENGTH else _parsed_addresses
    return [{"Name": display_name, "Address": address} for display_name, address in parse(values)]


def _parsed_addresses(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``(shown name, shown address)`` of each address in header ``values``."""
    try:
        found = email.utils.getaddresses(list(values))
    except RecursionError:
        # The stdlib's address parser recurses once per "(" or ":" (nested
        # comments, groups): a header of them shows no addresses (its text
        # stays searchable) rather than making the message unstorable.
        return ()
    # The address as the header holds it (A-labels stay A-labels), as
    # Mailpit's API gives it; the page shows U-labels (static/idn.js).
    return tuple((_decoded(display_name), address) for display_name, address in found if address)


#: Header text longer than this is parsed each time (the memory stays small).
_REMEMBERED_LENGTH = 2048
_remembered_addresses = functools.lru_cache(maxsize=1024)(_parsed_addresses)


def _message_id(message: email.message.Message) -> str:
    return _header_text(message, "Message-ID").strip().strip("<>")


def _file_name(part: email.message.Message) -> str:
    try:
        name = part.get_filename()
    except (ValueError, LookupError, UnicodeError):
        name = None
    return _decoded(name or str(part.get("Content-ID", "") or "").strip().strip("<>"))


def _content(part: email.message.Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text_content(part: email.message.Message) -> str:
    """A text part decoded with its charset (UTF-8 if unknown), ``\\n`` line ends."""
    return _text(_content(part), part.get_content_charset())


def _text(content: bytes, charset: str | None) -> str:
    return _decode(content, charset).replace("\r\n", "\n")


def _decode(content: bytes, charset: str | None) -> str:
    """``content`` in its charset (UTF-8 if unknown), undecodable bytes U+FFFD."""
    try:
        return content.decode(charset or "utf-8", "replace")
    except LookupError:
        return content.decode("utf-8", "replace")


def _leaf_text(raw: bytes, leaf: mimetree.Leaf, characters: int) -> str:
    """A body's text as far as the index needs it: its first ``characters``
    (``\\n`` line ends), read from the lines within the first
    :data:`SEARCH_SOURCE_LIMIT` bytes of its encoded content."""
    text = _decode(mimetree.content(raw, leaf, SEARCH_SOURCE_LIMIT), leaf.headers.get_content_charset())
    # 2n + 2 characters hold the first n once each CRLF is one "\n" (a CR
    # whose LF was cut off lands past them): the rest is never converted.
    return text[:2 * characters + 2].replace("\r\n", "\n")[:characters]


class _Parts:
    """The bodies, inline parts and attachments of a message (leaves in
    order, IMAP-style part IDs), decoding only the bodies and listed parts."""

    def __init__(self, raw: bytes, leaves: Sequence[mimetree.Leaf]):
        self.text = self.html = ""
        self.text_span: list[Any] | None = None
        self.html_span: list[Any] | None = None
        self.inline: list[tuple[mimetree.Leaf, email.message.Message]] = []
        self.attachments: list[tuple[mimetree.Leaf, email.message.Message]] = []
        for leaf in leaves:
            headers = leaf.headers
            disposition = (headers.get_content_disposition() or "").lower()
            content_type = headers.get_content_type()
            if disposition != "attachment" and content_type == "text/plain" and not self.text and not _file_name(headers):
                self.text, self.text_span = _leaf_text(raw, leaf, SEARCH_TEXT_LIMIT), [leaf.start, leaf.end, leaf.strip]
            elif disposition != "attachment" and content_type == "text/html" and not self.html and not _file_name(headers):
                self.html, self.html_span = _leaf_text(raw, leaf, MARKUP_LIMIT), [leaf.start, leaf.end, leaf.strip]
            elif _file_name(headers):
                # A part of multipart/related with a Content-ID is what the
                # HTML embeds (cid:), whatever its disposition says.
                inline = disposition == "inline" or (leaf.in_related and bool(headers.get("Content-ID")))
                (self.inline if inline else self.attachments).append((leaf, _leaf_message(raw, leaf)))


def _leaf_message(raw: bytes, leaf: mimetree.Leaf) -> email.message.Message:
    return mimetree.parse_part(raw[leaf.start:leaf.end], leaf.strip)


def _stored_offsets(raw: bytes, spans: list[list[Any]], crlfs: int | None = None) -> None:
    """Turn each ``[start, end, strip]`` into ``[start, end, stored_start,
    stored_end, strip]``: one pass over ``raw`` counting CRLFs, however many
    spans (no span starts or ends inside a CRLF: they are line boundaries).
    ``crlfs``, the CRLFs in all of ``raw`` when the caller knows it, spares
    the count of the longest stretch between offsets (most of a big
    message: it is what the others leave)."""
    offsets = sorted({0, len(raw), *(offset for span in spans for offset in span[:2])})
    stretches = list(zip(offsets, offsets[1:]))
    longest = -1
    if crlfs is not None and stretches:
        longest = max(range(len(stretches)), key=lambda index: stretches[index][1] - stretches[index][0])
    counts = [0 if index == longest else raw.count(b"\r\n", start, end)
              for index, (start, end) in enumerate(stretches)]
    if longest >= 0:
        counts[longest] = crlfs - sum(counts)
    stored = {0: 0}
    seen = 0
    for (_, end), count in zip(stretches, counts):
        seen += count
        stored[end] = end - seen
    for span in spans:
        span[2:2] = [stored[span[0]], stored[span[1]]]


def _attachment_summary(leaf: mimetree.Leaf, part: email.message.Message) -> dict[str, Any]:
    content = _content(part)
    return {
        "PartID": leaf.part_id,
        "FileName": _file_name(part),
        "ContentType": part.get_content_type(),
        "ContentID": str(part.get("Content-ID", "") or "").strip().strip("<>"),
        "Size": len(content),
        "Checksums": {
            "MD5": hashlib.md5(content).hexdigest(),  # noqa: S324 - a checksum, as Mailpit reports
            "SHA1": hashlib.sha1(content).hexdigest(),  # noqa: S324
            "SHA256": hashlib.sha256(content).hexdigest(),
        },
        "Span": [leaf.start, leaf.end, leaf.strip],
    }


_SEARCH_NOISE = re.compile(r"[\r\n\t<>\",;]")
# The same noise as bytes, with every other character str.split() splits
# at made a space too: ASCII text is cleaned as bytes (a translation, then
# one regex over the runs of spaces), several times faster than str's regex,
# split and join.
_ASCII_NOISE = bytes.maketrans(b"\r\n\t<>\",;\x0b\x0c\x1c\x1d\x1e\x1f", b" " * 14)
_SPACE_RUNS = re.compile(rb"  +")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _search_text(searchable: str) -> str:
    """``searchable`` lower-cased, noise characters and whitespace runs made
    single spaces."""
    if searchable.isascii():
        spaced = searchable.encode("ascii").translate(_ASCII_NOISE)
        return _SPACE_RUNS.sub(b" ", spaced).strip(b" ").lower().decode("ascii")
    return _collapse(_SEARCH_NOISE.sub(" ", searchable)).lower()


def _snippet(body_text: str) -> str:
    source = _collapse(body_text[:SNIPPET_LENGTH * 16])
    return source if len(source) <= SNIPPET_LENGTH else source[:SNIPPET_LENGTH].rstrip() + "..."


def index_fields(raw: bytes, envelope: bytes, *, max_parts: int = DEFAULT_MAX_PARTS,
                 max_depth: int = DEFAULT_MAX_DEPTH, keep_over_limit: bool = False,
                 crlfs: int | None = None) -> dict[str, Any]:
    """Everything the index stores about a message, from its bytes, the
    part table (``parts_json``) included; :class:`PartLimitError` if it
    has more parts or deeper nesting than allowed (with
    ``keep_over_limit``: the fields of its headers, no parts at all).
    ``crlfs``: how many CRLFs ``raw`` holds, if the caller has counted them
    (the store has: it turns them into LFs), which saves a pass over it."""
    message = _parse_headers(raw)
    try:
        leaves = mimetree.leaves(raw, max_parts=max_parts, max_depth=max_depth, root_headers=message)
    except PartLimitError:
        if not keep_over_limit:
            raise
        leaves = []
    parts = _Parts(raw, leaves)
    addresses = {column: _addresses(message, header) for header, column in _ADDRESS_FIELDS}
    from_value = addresses["from_json"][0] if addresses["from_json"] else {"Name": "", "Address": ""}
    body_text = html_text(parts.html) if parts.html.strip() else parts.text
    shown = [shown_address(a["Address"]) for found in addresses.values() for a in found
             if "xn--" in a["Address"].lower()]
    subject = _header_text(message, "Subject")
    searchable = " ".join([
        *(_header_text(message, header) for header, _ in _ADDRESS_FIELDS),
        *shown,  # U-label domains, found as the person reads them
        subject,
        envelope.decode("utf-8", "replace").split("\n", 1)[0],  # Return-Path
        body_text[:SEARCH_TEXT_LIMIT],
        *(_file_name(part) for _, part in parts.attachments),
    ])
    inline = [_attachment_summary(leaf, part) for leaf, part in parts.inline]
    attachments = [_attachment_summary(leaf, part) for leaf, part in parts.attachments]
    head = [0, mimetree.headers_end(raw), False]
    spans = [head, *(span for span in (parts.text_span, parts.html_span) if span),
             *(summary["Span"] for summary in (*inline, *attachments))]
    _stored_offsets(raw, spans, crlfs)
    table = {"Head": head, "Text": parts.text_span, "HTML": parts.html_span,
             "Inline": inline, "Attachments": attachments}
    return {
        "message_id": _message_id(message),
        "subject": subject,
        "from_json": _address_json(from_value),
        **{column: _addresses_json(value) for column, value in addresses.items() if column != "from_json"},
        # The same addresses as objects, by their summary names (a summary
        # made at intake needs no JSON decoding of what was just encoded).
        "addresses": {"From": from_value, **{header.replace("-", ""): addresses[column]
                                             for header, column in _ADDRESS_FIELDS[1:]}},
        "inline": len(parts.inline),
        "attachments": len(parts.attachments),
        "snippet": _snippet(body_text),
        "search_text": _search_text(searchable),
        "parts_json": _json(table),
        "tags": tagnames.from_header(_header_text(message, "X-Tags")),
    }


def rfc3339(milliseconds: int) -> str:
    """RFC 3339 with milliseconds, in local time (as Mailpit's JSON)."""
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000).astimezone()
    return moment.isoformat(timespec="milliseconds")


def _header_date(message: email.message.Message) -> str | None:
    value = _header_text(message, "Date")
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat()


def _read_part(read: Reader, span: Sequence[Any]) -> email.message.Message:
    return mimetree.parse_part(read(span), bool(span[-1]))


def _public(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key != "Span"}


# No "<" inside a link: "<<<<..." would otherwise be rescanned from each "<".
_LINKS = re.compile(r"<([^<>]+)>")


def message_head(parts_json: str, read: Reader) -> bytes:
    """The message's own header lines (``parts_json`` and ``read`` as for
    :func:`details`)."""
    return read(json.loads(parts_json)["Head"])


def details(parts_json: str, read: Reader, envelope: bytes, *, created_ms: int, size: int,
            username: str) -> dict[str, Any]:
    """Mailpit's message object without its ``ID``: addresses, bodies,
    attachments; ``Date`` is the Date header, else ``created_ms``.

    ``parts_json`` is the part table :func:`index_fields` made; ``read``
    reads the bytes of one span; ``envelope`` is the store's envelope header
    lines (``Return-Path``)."""
    table = json.loads(parts_json)
    parsed = _parse_headers(envelope + read(table["Head"]) + b"\r\n")
    text = _text_content(_read_part(read, table["Text"])) if table["Text"] else ""
    markup = _text_content(_read_part(read, table["HTML"])) if table["HTML"] else ""
    list_unsubscribe = _header_text(parsed, "List-Unsubscribe")
    from_list = _addresses(parsed, "From")
    return {
        "MessageID": _message_id(parsed),
        "From": from_list[0] if from_list else {"Name": "", "Address": ""},
        "To": _addresses(parsed, "To"),
        "Cc": _addresses(parsed, "Cc"),
        "Bcc": _addresses(parsed, "Bcc"),
        "ReplyTo": _addresses(parsed, "Reply-To"),
        "ReturnPath": _header_text(parsed, "Return-Path").strip().strip("<>"),
        "Subject": _header_text(parsed, "Subject"),
        "ListUnsubscribe": {
            "Header": list_unsubscribe,
            "Links": _LINKS.findall(list_unsubscribe),
            "Errors": "",
            "HeaderPost": _header_text(parsed, "List-Unsubscribe-Post"),
        },
        "Date": _header_date(parsed) or rfc3339(created_ms),
        "Tags": [],
        "Username": username,
        "Text": text,
        "HTML": markup,
        "Size": size,
        "Inline": [_public(summary) for summary in table["Inline"]],
        "Attachments": [_public(summary) for summary in table["Attachments"]],
        "SMIME": smime_status(parsed, table["Attachments"],
                              lambda summary: _content(_read_part(read, summary["Span"]))),
    }


_PKCS7_SIGNATURE = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")


def smime_status(headers: email.message.Message, attachments: Sequence[dict[str, Any]],
                 read_part: Callable[[dict[str, Any]], bytes]) -> dict[str, Any]:
    r"""``{"Signed": .., "SignedBy": .., "Encrypted": ..}`` of a message, from
    its top-level ``headers``, its listed ``attachments`` (the part table's)
    and ``read_part``, which gives one attachment's decoded bytes.

    ``SignedBy`` is the RFC 4514 subject of the signer's certificate, ``""``
    when the signature carries none that can be read (or ``cryptography``
    is not installed).  Nothing here checks the signature.

    >>> smime_status(_parse_headers(b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\n"),
    ...              [], lambda part: b"")
    {'Signed': False, 'SignedBy': '', 'Encrypted': True}
    """
    kind = headers.get_content_type()
    status = {"Signed": False, "SignedBy": "", "Encrypted": False}
    if kind in _PKCS7_MIME:
        status["Encrypted"] = (headers.get_param("smime-type") or "enveloped-data").lower() == "enveloped-data"
    elif kind == "multipart/signed":
        signatures = [part for part in attachments if part["ContentType"] in _PKCS7_SIGNATURE]
        if signatures:
            status["Signed"] = True
            status["SignedBy"] = _signer_subject(read_part(signatures[0]))
    return status


def _signer_subject(signature: bytes) -> str:
    try:
        from cryptography.hazmat.primitives.serialization import pkcs7

        certificates = pkcs7.load_der_pkcs7_certificates(signature)
    except Exception:  # not installed, or not a PKCS#7 structure: nothing to show
        return ""
    issuers = {c.issuer for c in certificates if c.issuer != c.subject}
    ends = [c for c in certificates if c.subject not in issuers] or certificates
    return ends[0].subject.rfc4514_string() if ends else ""


def find_part(parts_json: str, part_id: str, read: Reader) -> tuple[str, str, bytes] | None:
    """``(content type, file name, decoded content)`` of the listed inline
    part or attachment ``part_id``; ``None`` if there is none.  Reads that
    part's bytes only."""
    table = json.loads(parts_json)
    for summary in (*table["Inline"], *table["Attachments"]):
        if summary["PartID"] == part_id:
            return summary["ContentType"], summary["FileName"], _content(_read_part(read, summary["Span"]))
    return None
