"""Compose real mail from a map, and the envelope that sends it.

:func:`message` builds an ``email.message.EmailMessage`` (SMTP policy)
from one map, the way Clojure's postal does; :func:`envelope` turns any
``email.message.Message`` into ``(sender, recipients, data)`` for the
Go-named ``SendMail`` or a ``Data`` writer.  The standard library's
``email`` package does all the MIME work; this module only reads the map
and decides the shape.

The rules:

* Keys are Hy keywords or strings, ``-`` and ``_`` alike, any case
  (``:reply-to``, ``"reply_to"``).  An unknown key is an error that names
  it and suggests the closest valid one.
* Headers: ``from`` (required), ``sender``, ``to``, ``cc``, ``bcc``,
  ``reply-to`` (a string or a list; each string one or more addresses;
  non-ASCII domains become A-labels, a non-ASCII local part UTF-8 headers),
  ``subject``, ``date`` (default: now), ``message-id`` (default: generated
  on the From domain), ``headers`` (a map of other header names to a value
  or a list of values; the address lists among them, such as
  Disposition-Notification-To, are read as addresses).  A CR or LF in any
  value is refused.
* ``body`` is a string (text/plain), a map (one part), or a list of parts,
  where a list that starts with ``:alternative`` (``":alternative"`` from
  Python) groups alternatives.  Several parts make multipart/mixed.
* A part map: ``type`` (a MIME type such as ``"text/html"``, default
  ``"text/plain"``, or ``:attachment`` / ``:inline``) and ``content``;
  files also take ``path``, ``file-name``, ``content-type``,
  ``content-id`` and ``description``.  A file's ``content`` is a string
  (its text, UTF-8), bytes, a ``pathlib.Path`` or a binary file; a file on
  disk is named by ``path`` (a string or a ``Path``) or a ``Path`` value,
  never by a plain string.  The name and type come from the path when not
  given (``mimetypes``); an attachment whose content is a string needs a
  ``file-name``.  Errors name the key, never the path.
* An inline part whose Content-ID an HTML part references (``cid:logo``)
  is put beside it in a multipart/related; any other inline part stays
  where it was listed.
* ``smime`` (``{:cert .. :key .. :chain [..] :encrypt-to [..]}``) signs
  the body (multipart/signed), encrypts it (application/pkcs7-mime), or
  both (:mod:`smtp_core.mail.smime`).
* Text parts keep their text exactly (line ends become CRLF): 7bit only
  for short ASCII lines ending in a line break, otherwise quoted-printable
  (mostly ASCII) or base64 (a third or more of the bytes non-ASCII), never 8bit, so a relay never has to re-encode
  a signed message.  Attachments are base64.

Example::

    >>> m = message({"from": "Åsa <asa@example.com>", "to": ["bob@example.com"],
    ...              "subject": "Grüße", "body": "Hello\\n",
    ...              "date": "Tue, 01 Dec 2026 03:00:00 +0000", "message-id": "1@example.com"})
    >>> print(m.as_bytes().decode())  # doctest: +NORMALIZE_WHITESPACE
    From: =?utf-8?q?=C3=85sa?= <asa@example.com>
    To: bob@example.com
    Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=
    Date: Tue, 01 Dec 2026 03:00:00 +0000
    Message-ID: <1@example.com>
    Content-Type: text/plain; charset="utf-8"
    Content-Transfer-Encoding: 7bit
    MIME-Version: 1.0
    <BLANKLINE>
    Hello
    <BLANKLINE>
    >>> sender, recipients, data = envelope(m)
    >>> sender, recipients, data[:6]
    ('asa@example.com', ['bob@example.com'], b'From: ')
"""

from __future__ import annotations

import datetime
import difflib
import email.message
import email.policy
import email.utils
import mimetypes
import os
import re
import secrets
from dataclasses import dataclass, field
from email.headerregistry import Address
from typing import Any, Mapping, NamedTuple

from ..errors import ComposeError, EnvelopeError
from .fileparts import FilePart, FileSource
from .options import keyword_name, read_options, shown_key
from .mailaddr import (ADDRESS_HEADERS, HEADER_FACTORY, MESSAGE_ID_HEADERS, a_label_address, header_addresses,
                       wire_message_id)
from .wireform import CONTROL_CHARACTER, header_envelope, wire_bytes

__all__ = ["ComposeError", "MailObject", "Envelope", "message", "envelope"]

KEYS = ("from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "headers", "body",
        "smime")
PART_KEYS = ("type", "content", "path", "content-type", "file-name", "content-id", "description")
GROUPS = ("alternative", "mixed")

# Header names each key sets, in the order they are written.
_HEADER_OF = {"from": "From", "sender": "Sender", "to": "To", "cc": "Cc", "bcc": "Bcc",
              "reply-to": "Reply-To", "subject": "Subject", "date": "Date", "message-id": "Message-ID"}
_ADDRESS_KEYS = ("from", "sender", "to", "cc", "bcc", "reply-to")
# Headers `headers` may not set: those with their own key and the MIME ones.
_RESERVED = {name.lower(): key for key, name in _HEADER_OF.items()} | {"mime-version": None}
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")  # RFC 5322 ftext: printable ASCII but ':'
_LINE_ENDS = re.compile(r"\r\n?")
# Anchored at line starts: unanchored, the search would retry at every
# byte of every line (seconds for 10 MiB).
_LONG_TEXT_LINE = re.compile(rb"^[^\n]{79}", re.M)  # RFC 5322's SHOULD of 78: longer text lines are encoded
# The SMTP policies, with a header registry that also knows the address
# lists of other RFCs (Disposition-Notification-To, ...).
_POLICY = email.policy.SMTP.clone(header_factory=HEADER_FACTORY)
_UTF8_POLICY = email.policy.SMTPUTF8.clone(header_factory=HEADER_FACTORY)


class MailObject(NamedTuple):
    """What :func:`envelope` returns: a ``[sender recipients data]`` triple,
    RFC 5321's mail object (section 2.3.1): the envelope (``sender`` and
    ``recipients``) and the content (``data``)."""

    sender: str
    recipients: list
    data: bytes


#: The former name of :class:`MailObject` ("envelope" now means only the SMTP envelope).
Envelope = MailObject


def _word(value: Any) -> str | None:
    """A keyword's name, or a Python string spelled like one (``":inline"``)."""
    name = keyword_name(value)
    if name is None and isinstance(value, str) and re.fullmatch(r":[a-z][a-z-]*", value):
        name = value[1:]  # not ":-) hello", which is text
    return name


# --------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------


def _check_line(where: str, value: str) -> str:
    """``value``, if it can be one header line: no line break, and no control
    character but TAB (NUL, ESC, DEL and C1 would be written raw)."""
    # str.splitlines also breaks at FF, VT, NEL, U+2028...: the header
    # registry refuses those too, so name them here first.
    if "\r" in value or "\n" in value or len(value.splitlines()) > 1:
        raise ComposeError("%s: the value %r contains a CR, LF or other line break" % (where, value))
    control = CONTROL_CHARACTER.search(value)
    if control is not None:
        raise ComposeError("%s: the value contains the control character U+%04X at position %d; "
                           "a header may hold TAB but no other control character"
                           % (where, ord(control.group()), control.start()))
    return value


def _text_value(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ComposeError("%s must be a string, got %s" % (where, type(value).__name__))
    return _check_line(where, value)


def _addresses(key: str, value: Any) -> list[Address]:
    return _header_addresses(_HEADER_OF[key], ":" + key, value)


def _header_addresses(name: str, where: str, value: Any) -> list[Address]:
    """The addresses of ``value`` for the header ``name``, their domains as
    A-labels (:mod:`smtp_core.mail.mailaddr`)."""
    items = [value] if isinstance(value, (str, Address)) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise ComposeError("%s must be an address or a list of addresses, got %r" % (where, value))
    found: list[Address] = []
    for item in items:
        if isinstance(item, Address):
            _check_line(where, str(item))
            found.append(a_label_address(item, where))
            continue
        if not isinstance(item, str):
            raise ComposeError("%s: an address must be a string, got %s" % (where, type(item).__name__))
        found.extend(header_addresses(name, _check_line(where, item), where))
    return found


def _date(value: Any) -> str:
    if value is None:
        return email.utils.format_datetime(datetime.datetime.now().astimezone())
    if isinstance(value, datetime.datetime):
        return email.utils.format_datetime(value if value.tzinfo else value.astimezone())
    text = _text_value(":date", value)
    try:
        email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ComposeError(":date: %r is not an RFC 5322 date (e.g. 'Tue, 01 Dec 2026 03:00:00 +0000')"
                           % text) from None
    return text


def _message_id(value: Any, domain: str, utf8: bool) -> str:
    if value is None:
        return email.utils.make_msgid(domain=domain)  # the From domain, already A-labels
    text = _text_value(":message-id", value).strip()
    inner = text[1:-1] if text.startswith("<") and text.endswith(">") else text
    if not inner or "@" not in inner or any(c.isspace() or c in "<>" for c in inner):
        raise ComposeError(":message-id: %r is not a message id (expected left@right)" % value)
    return wire_message_id("<" + inner + ">", ":message-id", utf8)


def _extra_headers(value: Any) -> list[tuple[str, Any]]:
    if not isinstance(value, Mapping):
        raise ComposeError(":headers must be a map of header names to values, got %s" % type(value).__name__)
    pairs = []
    for key, values in value.items():
        name = keyword_name(key) or key
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ComposeError(":headers: %r is not a header name" % (key,))
        lowered = name.lower()
        if lowered in _RESERVED or lowered.startswith("content-"):
            own = _RESERVED.get(lowered)
            hint = "use :%s" % own if own else "the body sets it"
            raise ComposeError(":headers: %s cannot be set here (%s)" % (name, hint))
        for item in values if isinstance(values, (list, tuple)) else [values]:
            where = ":headers %s" % name
            if lowered in ADDRESS_HEADERS:
                pairs.append((name, _header_addresses(name, where, item)))
            elif lowered in MESSAGE_ID_HEADERS:
                pairs.append((name, wire_message_id(_text_value(where, item), where)))
            else:
                pairs.append((name, _text_value(where, item)))
    return pairs


# --------------------------------------------------------------------------
# Body: the map read into a tree, then built with email's content manager
# --------------------------------------------------------------------------


@dataclass
class _Text:
    subtype: str
    text: str
    related: list = field(default_factory=list)  # inline files this HTML part references


@dataclass
class _File:
    disposition: str | None  # "attachment", "inline", or None for a bare typed part
    data: bytes | None  # None: in ``source``'s file, read when sent
    source: FileSource | None
    content_type: str
    file_name: str | None
    content_id: str | None
    description: str | None


@dataclass
class _Group:
    subtype: str
    children: list


def _text_node(subtype: str, text: str, where: str) -> _Text:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ComposeError("%s: the text cannot be encoded as UTF-8: %s" % (where, err)) from None
    return _Text(subtype, text)


def _read_body(body: Any, where: str) -> Any:
    if isinstance(body, str):
        return _text_node("plain", body, where)
    if isinstance(body, Mapping):
        return _read_part(body, where)
    if isinstance(body, (list, tuple)):
        items = list(body)
        subtype = "mixed"
        if items and not isinstance(items[0], (Mapping, list, tuple)) and _word(items[0]) is not None:
            subtype = _word(items[0])
            if subtype not in GROUPS:
                close = difflib.get_close_matches(subtype, GROUPS, n=1, cutoff=0.6)
                raise ComposeError("%s: unknown group %s%s" % (where, shown_key(items[0]),
                                   "; did you mean :%s?" % close[0] if close else ""))
            items = items[1:]
        if not items:
            raise ComposeError("%s: an empty list of parts" % where)
        return _Group(subtype, [_read_body(item, "%s[%d]" % (where, i)) for i, item in enumerate(items)])
    raise ComposeError("%s must be a string, a part map or a list of parts, got %s" % (where, type(body).__name__))


def _read_part(spec: Mapping, where: str) -> Any:
    options = read_options(spec, PART_KEYS, where)
    if ("content" in options) == ("path" in options):
        raise ComposeError("%s: a part needs :content or :path (one of them)" % where)
    content = options.get("content")
    kind = options.get("type", "text/plain")
    word = _word(kind) or (kind if kind in ("attachment", "inline") else None)
    if word in ("attachment", "inline"):
        return _read_file(word, content, options, where)
    if word is not None or not isinstance(kind, str) or not re.fullmatch(r"[\w.+-]+/[\w.+-]+", kind):
        raise ComposeError("%s: :type must be a MIME type such as \"text/html\", or :attachment or :inline, "
                           "got %s" % (where, shown_key(kind)))
    maintype, subtype = kind.lower().split("/")
    if maintype == "text":
        extra = sorted(set(options) - {"type", "content"}, key=PART_KEYS.index)
        if extra:
            raise ComposeError("%s: :%s is for :attachment and :inline parts" % (where, extra[0]))
        if not isinstance(content, str):
            raise ComposeError("%s: the content of a %s part must be a string, got %s"
                               % (where, kind, type(content).__name__))
        return _text_node(subtype, content, where)
    if maintype in ("multipart", "message"):
        raise ComposeError("%s: a %s part cannot be given as content; use lists for multipart" % (where, kind))
    options.setdefault("content-type", kind)
    return _read_file(None, content, options, where)


def _read_path(path: Any, where: str, key: str) -> tuple[bytes | None, FileSource]:
    """The file at ``path``, checked now: a regular file is left on disk
    (``(None, source)``, streamed when sent), anything else read whole.
    The error names the key, never the path: a path can come from a user,
    and whether a file exists, or what it is called, is not theirs to learn."""
    if not isinstance(path, (str, os.PathLike)):
        raise ComposeError("%s: %s must be a path (a string or a pathlib.Path), got %s"
                           % (where, key, type(path).__name__))
    source = FileSource(path, where, key)
    if source.check():
        return None, source
    return source.read_all(), None


def _read_file(disposition: str | None, content: Any, options: dict, where: str) -> _File:
    name = options.get("file-name")
    source = None
    if "path" in options or isinstance(content, os.PathLike):
        # Only an explicit path is a file name: a string is the content itself.
        path = options.get("path", content)
        data, source = _read_path(path, where, ":path" if "path" in options else ":content")
        if name is None:
            name = os.path.basename(os.fspath(path))
    elif isinstance(content, str):
        if disposition is not None and name is None:
            raise ComposeError("%s: a string :content is the file's text and needs a :file-name; "
                               "a file to attach goes in :path" % where)
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ComposeError("%s: the string :content cannot be encoded as UTF-8: %s" % (where, err.reason)) from None
    elif isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
    elif hasattr(content, "read"):
        data = content.read()
        if isinstance(data, str):
            raise ComposeError("%s: the file must be opened in binary mode ('rb')" % where)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ComposeError("%s: the file's read() returned %s, not bytes" % (where, type(data).__name__))
        data = bytes(data)
        if name is None and isinstance(getattr(content, "name", None), str):
            name = os.path.basename(content.name)
    else:
        raise ComposeError("%s: :content must be a string, bytes, a pathlib.Path or a binary file, got %s"
                           % (where, type(content).__name__))
    if name is not None:
        name = _text_value(where + " :file-name", name)
    content_type = options.get("content-type")
    if content_type is None:
        content_type = _guess_type(name)
    elif not isinstance(content_type, str) or not re.fullmatch(r"[\w.+-]+/[\w.+-]+", content_type):
        raise ComposeError("%s: :content-type %r is not a MIME type" % (where, content_type))
    elif content_type.lower().split("/")[0] in ("multipart", "message"):
        raise ComposeError("%s: :content-type %s cannot be base64-encoded; use application/octet-stream"
                           % (where, content_type))
    content_id = options.get("content-id")
    if content_id is not None:
        content_id = _text_value(where + " :content-id", content_id).strip("<>")
        if not content_id or any(c.isspace() or c in "<>" for c in content_id):
            raise ComposeError("%s: :content-id %r is not usable in cid: URLs" % (where, options["content-id"]))
    description = options.get("description")
    if description is not None:
        description = _text_value(where + " :description", description)
    return _File(disposition, data, source, content_type.lower(), name, content_id, description)


_COMPRESSED = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}


def _guess_type(name: str | None) -> str:
    if not name:
        return "application/octet-stream"
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:
        return _COMPRESSED.get(encoding, "application/octet-stream")
    if guessed is None or guessed.split("/")[0] in ("multipart", "message"):
        return "application/octet-stream"  # message/rfc822 may not be base64 (RFC 2046, 5.2.1)
    return guessed


def _html_parts(node: Any) -> list[_Text]:
    if isinstance(node, _Text):
        return [node] if node.subtype == "html" else []
    if isinstance(node, _Group):
        return [html for child in node.children for html in _html_parts(child)]
    return []


def _relate_inline(node: Any, html: list[_Text]) -> Any:
    """Move each inline file an HTML part references by ``cid:`` under that part."""
    if not isinstance(node, _Group):
        return node
    kept = []
    for child in node.children:
        if isinstance(child, _File) and child.disposition == "inline" and child.content_id:
            reference = ("cid:" + child.content_id).lower()
            owner = next((h for h in html if reference in h.text.lower()), None)
            if owner is not None:
                owner.related.append(child)
                continue
        kept.append(_relate_inline(child, html))
    if not kept:
        raise ComposeError("body: a list of parts holds nothing but inline parts")
    return kept[0] if len(kept) == 1 else _Group(node.subtype, kept)


def _text_encoding(data: bytes) -> str:
    """The transfer encoding that carries ``data`` (LF line ends) intact and 7-bit clean."""
    if (data.isascii() and data.endswith(b"\n") and not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|[ \t]\n", data)
            and not _LONG_TEXT_LINE.search(data)):
        return "7bit"
    non_ascii = len(data) - len(data.decode("ascii", "ignore").encode()) if not data.isascii() else 0
    # Quoted-printable keeps mostly-ASCII text (accented Latin) readable in
    # the source; text where a third of the bytes are not ASCII (Cyrillic,
    # Greek, CJK) is shorter in base64.
    return "base64" if non_ascii * 3 > len(data) else "quoted-printable"


def _set_text(target: email.message.MIMEPart, node: _Text) -> None:
    text = _LINE_ENDS.sub("\n", node.text)
    data = text.encode("utf-8")
    cte = _text_encoding(data)
    if text.endswith("\n"):
        target.set_content(text, subtype=node.subtype, charset="utf-8", cte=cte)
    elif cte == "base64":
        target.set_content(data.replace(b"\n", b"\r\n"), "text", node.subtype, cte="base64",
                           params={"charset": "utf-8"})
    else:
        # The content manager ends text with a line break; a soft line break
        # ("=" at the end of the last line) takes it back out.
        target.set_content(text + "\n", subtype=node.subtype, charset="utf-8", cte="quoted-printable")
        target.set_payload(target.get_payload()[:-1] + "=\n")


def _fill(target: email.message.MIMEPart, node: Any, stream: bool) -> None:
    """Build ``node`` into ``target``; with ``stream``, a file part below
    the top is a :class:`~smtp_core.mail.fileparts.FilePart` (read when sent)."""
    if isinstance(node, _Text) and node.related:
        node = _Group("related", [_Text(node.subtype, node.text), *node.related])
    if isinstance(node, _Text):
        _set_text(target, node)
    elif isinstance(node, _File):
        maintype, subtype = node.content_type.split("/")
        data = node.data
        if data is None:
            # A FilePart's body stays in its file: only the headers are set here.
            data = b"" if isinstance(target, FilePart) else node.source.read_all()
        target.set_content(data, maintype, subtype, disposition=node.disposition,
                           filename=node.file_name, cid=node.content_id and "<%s>" % node.content_id)
        if node.description is not None:
            target["Content-Description"] = node.description
    else:
        target["Content-Type"] = "multipart/" + node.subtype
        # Chosen now, not by the generator at each serialisation, so that
        # every serialisation (and so every signature) has the same bytes.
        # "=_" never occurs in quoted-printable or base64 text.
        target.set_param("boundary", "=_" + secrets.token_hex(16))
        for child in node.children:
            if stream and isinstance(child, _File) and child.data is None:
                part = FilePart(child.source, policy=target.policy)
            else:
                part = email.message.MIMEPart(policy=target.policy)
            _fill(part, child, stream)
            target.attach(part)


# --------------------------------------------------------------------------
# message and envelope
# --------------------------------------------------------------------------


def message(spec: Mapping) -> email.message.EmailMessage:
    """A new ``EmailMessage`` (``email.policy.SMTP``, or ``SMTPUTF8`` when
    an address that is sent has a non-ASCII local part) built from ``spec``;
    non-ASCII domains are A-labels (:mod:`smtp_core.mail.mailaddr`).

    ``spec`` keys: ``from`` (required), ``sender``, ``to``, ``cc``,
    ``bcc``, ``reply-to``, ``subject``, ``date``, ``message-id``,
    ``headers``, ``body`` (see the module documentation for the body
    shapes), ``smime``.  Raises :class:`ComposeError` naming the key, value or path
    that is wrong; nothing is read twice and nothing is sent.
    """
    options = read_options(spec, KEYS, "message")
    if options.get("from") is None:
        raise ComposeError("message: :from is required")
    protection = None
    if options.get("smime") is not None:
        if options.get("body") is None:
            raise ComposeError("message: :smime signs or encrypts the :body, and there is none")
        try:
            from . import smime  # cryptography is loaded only for S/MIME
        except ImportError as err:
            raise ComposeError(":smime needs the cryptography package (pip install 'gostd-smtp[smime]'): %s"
                               % err) from None

        protection = smime.read(read_options(options["smime"], smime.KEYS, ":smime"))
    senders = _addresses("from", options["from"])
    if len(senders) > 1 and options.get("sender") is None:
        raise ComposeError("message: several :from addresses need a :sender (RFC 5322, 3.6.2)")
    addresses = {key: _addresses(key, options[key]) for key in _ADDRESS_KEYS if options.get(key) is not None}
    extra = _extra_headers(options.get("headers") or {})
    # A non-ASCII local part (Bcc's aside: it never goes on the wire) needs
    # UTF-8 headers (RFC 6532).
    shown = [a for key, found in addresses.items() if key != "bcc" for a in found]
    shown += [a for name, value in extra if name.lower() in ADDRESS_HEADERS - {"bcc", "resent-bcc"} for a in value]
    utf8 = any(not a.username.isascii() for a in shown)
    msg = email.message.EmailMessage(policy=_UTF8_POLICY if utf8 else _POLICY)
    for key, found in addresses.items():
        if key == "sender" and len(found) != 1:
            raise ComposeError("message: :sender must be one address, got %d" % len(found))
        msg[_HEADER_OF[key]] = found
    if options.get("subject") is not None:
        msg["Subject"] = _text_value(":subject", options["subject"])
    msg["Date"] = _date(options.get("date"))
    msg["Message-ID"] = _message_id(options.get("message-id"), senders[0].domain, utf8)
    for name, value in extra:
        try:
            msg[name] = value
        except (ValueError, TypeError, IndexError) as err:
            raise ComposeError(":headers %s: %r is not a valid value: %s" % (name, value, err)) from None
    if options.get("body") is not None:
        tree = _read_body(options["body"], "body")
        tree = _relate_inline(tree, _html_parts(tree))
        if protection is None:
            _fill(msg, tree, stream=True)
        else:
            # What is signed or encrypted is read now: it must not change later.
            body = email.message.MIMEPart(policy=msg.policy)
            _fill(body, tree, stream=False)
            protection.apply(msg, body)
        if "MIME-Version" not in msg:  # set_content adds it to a single part, not to a multipart
            msg["MIME-Version"] = "1.0"
    return msg


def envelope(msg: email.message.Message) -> MailObject:
    """``(sender, recipients, data)`` for sending ``msg``, e.g. with ``SendMail``:
    the envelope its headers give, and its wire bytes.

    ``sender`` and ``recipients`` are :func:`header_envelope`'s; ``data``
    is :func:`wire_bytes`.
    """
    if not isinstance(msg, email.message.Message):
        raise TypeError("envelope: expected an email.message.Message, got %s" % type(msg).__name__)
    sender, recipients = header_envelope(msg)
    if sender is None:
        raise EnvelopeError("envelope: the message has neither Sender nor From")
    return MailObject(sender, recipients, wire_bytes(msg))
