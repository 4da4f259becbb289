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
* Addresses are shown as a person reads them: an IDNA domain in its
  U-labels (:func:`shown_address`); the raw view keeps the A-labels.
* S/MIME (:func:`smime_status`): ``multipart/signed`` with a PKCS#7
  signature is *signed*, by the subject of the signature's end certificate
  (the one that issued no other certificate it carries); the signature is
  not checked (a dev tool shows what the message claims); an
  ``application/pkcs7-mime`` enveloped-data body is *encrypted*.
* The search text holds the address headers, subject, Return-Path, body
  (HTML stripped, else text; at most :data:`SEARCH_TEXT_LIMIT`) and
  attachment names, lower-cased, as Mailpit builds it.

>>> fields = index_fields(b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\\r\\nSubject: Hi\\r\\n\\r\\nHello,\\r\\n  world\\r\\n", b"")
>>> fields["from_json"], fields["snippet"], fields["search_text"]
('{"Name": "Jürgen", "Address": "j@example.com"}', 'Hello, world', 'jürgen j@example.com hi hello world')
"""

from __future__ import annotations

import datetime
import email.errors
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import hashlib
import html
import json
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

import idna

__all__ = ["index_fields", "details", "find_part", "rfc3339", "shown_address", "smime_status",
           "SNIPPET_LENGTH", "SEARCH_TEXT_LIMIT"]

#: Mailpit's snippet length.
SNIPPET_LENGTH = 250
#: Body text kept in the search index per message: enough for any realistic
#: search, and the index stays small next to 20 MiB messages.
SEARCH_TEXT_LIMIT = 256 * 1024
_ADDRESS_FIELDS = (("From", "from_json"), ("To", "to_json"), ("Cc", "cc_json"),
                   ("Bcc", "bcc_json"), ("Reply-To", "reply_to_json"))


class _RawHeaders(email.policy.Compat32):
    """compat32 (several times faster than ``email.policy.default``'s header
    objects) with header values handed over as they came: 8-bit (SMTPUTF8)
    text as surrogate escapes, which :func:`_readable` turns into characters,
    not a ``Header`` of unknown-8bit that prints as U+FFFD."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_RAW_HEADERS = _RawHeaders()


def _parse(raw: bytes) -> email.message.Message:
    return email.parser.BytesParser(policy=_RAW_HEADERS).parsebytes(raw)


_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


def _readable(text: str) -> str:
    """``text`` without surrogate escapes: the email package keeps 8-bit
    header bytes that way; UTF-8 ones (SMTPUTF8) become their characters,
    anything else U+FFFD."""
    if not _SURROGATE_ESCAPE.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _decode_word(match: "re.Match[str]") -> str:
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


def _addresses(message: email.message.Message, name: str) -> List[Dict[str, str]]:
    values = [_readable(str(value)) for value in message.get_all(name, [])]
    return [{"Name": _decoded(display_name), "Address": shown_address(address)}
            for display_name, address in email.utils.getaddresses(values) if address]


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
    content = _content(part)
    try:
        text = content.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:
        text = content.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")


class _Parts:
    """The bodies, inline parts and attachments of a message, with
    IMAP-style part IDs (``"1"``, ``"2.1"``...)."""

    def __init__(self, message: email.message.Message):
        self.text = ""
        self.html = ""
        self.inline: List[Tuple[str, email.message.Message]] = []
        self.attachments: List[Tuple[str, email.message.Message]] = []
        for part_id, part, in_related in self._leaves(message, "", False):
            disposition = (part.get_content_disposition() or "").lower()
            content_type = part.get_content_type()
            if disposition != "attachment" and content_type == "text/plain" and not self.text and not _file_name(part):
                self.text = _text_content(part)
            elif disposition != "attachment" and content_type == "text/html" and not self.html and not _file_name(part):
                self.html = _text_content(part)
            elif _file_name(part):
                # A part of multipart/related with a Content-ID is what the
                # HTML embeds (cid:), whatever its disposition says.
                inline = disposition == "inline" or (in_related and bool(part.get("Content-ID")))
                (self.inline if inline else self.attachments).append((part_id, part))

    def _leaves(self, part: email.message.Message, prefix: str, in_related: bool) -> Iterator[Tuple[str, email.message.Message, bool]]:
        if part.is_multipart():
            related = in_related or part.get_content_subtype() == "related"
            for number, child in enumerate(part.get_payload(), 1):  # type: ignore[arg-type]
                yield from self._leaves(child, f"{prefix}{number}" if not prefix else f"{prefix}.{number}", related)
        else:
            yield prefix or "1", part, in_related


def _attachment_summary(part_id: str, part: email.message.Message) -> Dict[str, Any]:
    content = _content(part)
    return {
        "PartID": part_id,
        "FileName": _file_name(part),
        "ContentType": part.get_content_type(),
        "ContentID": str(part.get("Content-ID", "") or "").strip().strip("<>"),
        "Size": len(content),
        "Checksums": {
            "MD5": hashlib.md5(content).hexdigest(),  # noqa: S324 - a checksum, as Mailpit reports
            "SHA1": hashlib.sha1(content).hexdigest(),  # noqa: S324
            "SHA256": hashlib.sha256(content).hexdigest(),
        },
    }


_TAGS = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<(/?)(\w*)[^>]*>", re.IGNORECASE | re.DOTALL)
# Tags that end a run of text: they become a space, all others nothing.
_BREAKING_TAGS = frozenset({"p", "br", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5",
                            "h6", "table", "ul", "ol", "blockquote", "hr", "section", "article"})
_SEARCH_NOISE = re.compile(r"[\r\n\t<>\",;]")


def _strip_html(markup: str) -> str:
    def replace(match: "re.Match[str]") -> str:
        return " " if match.group(1) or (match.group(3) or "").lower() in _BREAKING_TAGS else ""
    return html.unescape(_TAGS.sub(replace, markup))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _snippet(text: str, markup: str) -> str:
    source = _collapse(_strip_html(markup)) if markup.strip() else _collapse(text)
    return source if len(source) <= SNIPPET_LENGTH else source[:SNIPPET_LENGTH].rstrip() + "..."


def index_fields(raw: bytes, envelope: bytes) -> Dict[str, Any]:
    """Everything the index stores about a message, from its bytes."""
    message = _parse(raw)
    parts = _Parts(message)
    addresses = {column: _addresses(message, header) for header, column in _ADDRESS_FIELDS}
    from_value = addresses["from_json"][0] if addresses["from_json"] else {"Name": "", "Address": ""}
    body_text = _strip_html(parts.html) if parts.html.strip() else parts.text
    shown = [a["Address"] for found in addresses.values() for a in found if not a["Address"].isascii()]
    searchable = " ".join([
        *(_header_text(message, header) for header, _ in _ADDRESS_FIELDS),
        *shown,  # U-label domains, found as the person reads them
        _header_text(message, "Subject"),
        envelope.decode("utf-8", "replace").split("\n", 1)[0],  # Return-Path
        body_text[:SEARCH_TEXT_LIMIT],
        *(_file_name(part) for _, part in parts.attachments),
    ])
    return {
        "message_id": _message_id(message),
        "subject": _header_text(message, "Subject"),
        "from_json": json.dumps(from_value, ensure_ascii=False),
        **{column: json.dumps(value, ensure_ascii=False)
           for column, value in addresses.items() if column != "from_json"},
        "inline": len(parts.inline),
        "attachments": len(parts.attachments),
        "snippet": _snippet(parts.text, parts.html),
        "search_text": _collapse(_SEARCH_NOISE.sub(" ", searchable)).lower(),
    }


def rfc3339(milliseconds: int) -> str:
    """RFC 3339 with milliseconds, in local time (as Mailpit's JSON)."""
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000).astimezone()
    return moment.isoformat(timespec="milliseconds")


def _header_date(message: email.message.Message) -> Optional[str]:
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


def details(raw: bytes, *, created_ms: int, size: int, username: str) -> Dict[str, Any]:
    """Mailpit's message object without its ``ID``: addresses, bodies,
    attachments; ``Date`` is the Date header, else ``created_ms``."""
    parsed = _parse(raw)
    parts = _Parts(parsed)
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
            "Links": re.findall(r"<([^>]+)>", list_unsubscribe),
            "Errors": "",
            "HeaderPost": _header_text(parsed, "List-Unsubscribe-Post"),
        },
        "Date": _header_date(parsed) or rfc3339(created_ms),
        "Tags": [],
        "Username": username,
        "Text": parts.text,
        "HTML": parts.html,
        "Size": size,
        "Inline": [_attachment_summary(part_id, part) for part_id, part in parts.inline],
        "Attachments": [_attachment_summary(part_id, part) for part_id, part in parts.attachments],
        "SMIME": smime_status(parsed),
    }


_PKCS7_SIGNATURE = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")


def smime_status(message: email.message.Message) -> Dict[str, Any]:
    r"""``{"Signed": .., "SignedBy": .., "Encrypted": ..}`` of a parsed message.

    ``SignedBy`` is the RFC 4514 subject of the signer's certificate, ``""``
    when the signature carries none that can be read (or ``cryptography``
    is not installed).

    >>> smime_status(_parse(b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nMIA="))
    {'Signed': False, 'SignedBy': '', 'Encrypted': True}
    """
    kind = message.get_content_type()
    status = {"Signed": False, "SignedBy": "", "Encrypted": False}
    if kind in _PKCS7_MIME:
        status["Encrypted"] = (message.get_param("smime-type") or "enveloped-data").lower() == "enveloped-data"
    elif kind == "multipart/signed" and message.is_multipart():
        signatures = [p for p in message.get_payload() if p.get_content_type() in _PKCS7_SIGNATURE]
        if signatures:
            status["Signed"] = True
            status["SignedBy"] = _signer_subject(_content(signatures[0]))
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


def find_part(raw: bytes, part_id: str) -> Optional[Tuple[str, str, bytes]]:
    """``(content type, file name, decoded content)`` of the listed inline
    part or attachment ``part_id``; ``None`` if there is none."""
    parts = _Parts(_parse(raw))
    for known_id, part in (*parts.inline, *parts.attachments):
        if known_id == part_id:
            return part.get_content_type(), _file_name(part), _content(part)
    return None
