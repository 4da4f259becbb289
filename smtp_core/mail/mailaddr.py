"""Addresses and message ids in headers, as they go on the wire.  No I/O.

:func:`smtp_core.mail.compose.message` builds its address headers with
:func:`header_addresses`; :func:`smtp_core.mail.wireform.wire_bytes` passes
every header of any message through :func:`wire_header` before folding it.
Rules:

* **Address headers** are From, Sender, Reply-To, To, Cc, Bcc, their
  ``Resent-`` forms (RFC 5322), and the address lists other RFCs define
  (``ADDRESS_HEADERS``: Disposition-Notification-To of RFC 8098,
  Mail-Followup-To, Mail-Reply-To, Errors-To, Return-Receipt-To).
* **Domains.**  A domain that is not ASCII goes out as its A-labels: IDNA
  2008 with UTS 46's mapping, by the very function that converts the
  envelope's domains (:func:`smtp_core.pythonic.addresses.wire_domain`).
  RFC 2047 (section 5) forbids an encoded word inside an addr-spec, which
  is what the standard library writes for ``bob@bücher.test``.
* **Display names** stay text: the policy writes them as RFC 2047 encoded
  words (outside the angle brackets), or as UTF-8 under SMTPUTF8.
* **Local parts** are kept as written.  One that is not ASCII can only go
  out in a message with UTF-8 headers (RFC 6532) over SMTPUTF8 (RFC 6531):
  :func:`smtputf8_address` finds it, and folding it without UTF-8 is a
  :class:`ComposeError`.
* **Message ids** (Message-ID, In-Reply-To, References, Resent-Message-ID):
  a non-ASCII right side that is a domain goes out as A-labels; a non-ASCII
  left side needs UTF-8 headers.
* **Folding keeps every address.**  A folded address list must read back
  as the same addresses: the standard library (before CPython gh-100884,
  CVE-2025-1795; 3.11.7 among them) can fold a list separator into an
  encoded word of its own (``=?utf-8?q?=2C?=``), which merges two
  recipients into one.  :func:`fold_address_list` then folds the list one
  address per line instead.
* Errors are :class:`ComposeError` naming the header (or key) and the
  address or id, quoted as Go's ``%q`` quotes.

>>> [str(a) for a in header_addresses("To", "Bob Bücher <bob@bücher.test>", ":to")]
['Bob Bücher <bob@xn--bcher-kva.test>']
>>> str(wire_header("In-Reply-To", "<1.2@bücher.test>", utf8=False))
'<1.2@xn--bcher-kva.test>'
>>> wire_message_id("<1@bücher.test>", ":message-id")
'<1@xn--bcher-kva.test>'
"""

from __future__ import annotations

import email.headerregistry
import email.message
import re
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address, Group

from ..errors import ComposeError, EnvelopeError
from ..gocompat.goformat import go_quote

__all__ = ["ADDRESS_HEADERS", "MESSAGE_ID_HEADERS", "HEADER_FACTORY", "header_addresses", "a_label_address",
           "envelope_address", "wire_header", "wire_message_id", "smtputf8_address", "a_label_domain",
           "fold_address_list"]

_REGISTERED = ("from", "sender", "reply-to", "to", "cc", "bcc")
_OTHER_LISTS = ("disposition-notification-to", "mail-followup-to", "mail-reply-to", "errors-to",
                "return-receipt-to")
#: Lower-case names of the headers that hold address lists.
ADDRESS_HEADERS = frozenset(_REGISTERED + tuple("resent-" + n for n in _REGISTERED) + _OTHER_LISTS)
#: Lower-case names of the headers that hold message ids.
MESSAGE_ID_HEADERS = frozenset({"message-id", "in-reply-to", "references", "resent-message-id"})

#: The standard library's header registry, knowing the other address lists too.
HEADER_FACTORY = email.headerregistry.HeaderRegistry()
for _name in _OTHER_LISTS + ("resent-reply-to",):
    HEADER_FACTORY.map_to_type(_name, email.headerregistry.AddressHeader)

_MESSAGE_ID = re.compile(r"<([^<>@\s]*)@([^<>\s]*)>")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # an 8-bit header byte, as the parser keeps it


def a_label_domain(domain: str) -> str:
    """``domain`` as the envelope sends it (A-labels when not ASCII); an
    :class:`~smtp_core.errors.EnvelopeError` says why it cannot go."""
    if domain.isascii():
        return domain
    # Imported here: the Pythonic package imports wireform, which imports this module.
    from ..pythonic.addresses import wire_domain

    return wire_domain(domain)


def _why(err: ValueError) -> str:
    return str(err).removeprefix("smtp: ")


def envelope_address(address: str) -> str:
    """An address the headers gave for the envelope, its domain as
    A-labels; an :class:`~smtp_core.errors.EnvelopeError` names it when the
    domain cannot go on the wire."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return local + "@" + a_label_domain(domain)
    except ValueError as err:
        raise EnvelopeError("smtp: the address %s has a domain that cannot go on the wire: %s"
                            % (go_quote(address), _why(err))) from None


def a_label_address(address: Address, where: str, utf8: bool | None = None) -> Address:
    """``address`` with its domain as A-labels; ``utf8=False``: a non-ASCII
    local part is refused (``None``: kept, the caller decides)."""
    if utf8 is False and not address.username.isascii():
        raise ComposeError("%s: the address %s has a non-ASCII local part, which needs SMTPUTF8 "
                           "(RFC 6531) and UTF-8 headers" % (where, go_quote(address.addr_spec)))
    if address.domain.isascii():
        return address
    try:
        domain = a_label_domain(address.domain)
    except ValueError as err:
        raise ComposeError("%s: the address %s has a domain that cannot go on the wire: %s"
                           % (where, go_quote(address.addr_spec), _why(err))) from None
    return Address(address.display_name, address.username, domain)


def _wire_groups(groups, where: str, utf8: bool | None) -> list[Group]:
    return [Group(g.display_name, [a_label_address(a, where, utf8) for a in g.addresses]) for g in groups]


def header_addresses(name: str, text: str, where: str) -> list[Address]:
    """Every address of the header ``name: text``, domains as A-labels;
    :class:`ComposeError` naming ``where`` when ``text`` is not a list of
    ``local@domain`` or ``Name <local@domain>``."""
    try:
        parsed = HEADER_FACTORY(name, text)
        defects = [d for d in parsed.defects if not isinstance(d, NonASCIILocalPartDefect)]
        addresses = list(parsed.addresses)
    except Exception:  # the parser fails with IndexError on some inputs ("bob@")
        defects, addresses = ["unparsable"], []
    if defects or not addresses or any(not (a.username and a.domain) for a in addresses):
        raise ComposeError("%s: %r is not an address (expected local@domain or Name <local@domain>)"
                           % (where, text))
    return [a_label_address(a, where, None) for a in addresses]


def wire_message_id(text: str, where: str, utf8: bool = True) -> str:
    """``text`` with the right side of each ``<left@right>`` id as
    A-labels; without ``utf8`` a non-ASCII left side is a :class:`ComposeError`."""

    def convert(found: re.Match) -> str:
        left, right = found.groups()
        if not (utf8 or left.isascii()):
            raise ComposeError("%s: the message id %s is not ASCII on the left of its @; "
                               "only UTF-8 headers (SMTPUTF8) can carry it" % (where, go_quote(found.group())))
        try:
            return "<%s@%s>" % (left, a_label_domain(right))
        except ValueError as err:
            raise ComposeError("%s: the message id %s has a right side that cannot go on the wire: %s"
                               % (where, go_quote(found.group()), _why(err))) from None

    return text if text.isascii() else _MESSAGE_ID.sub(convert, text)


def wire_header(name: str, value, utf8: bool):
    """The header ``name`` as it must be folded: ``value`` (a header object
    or text) itself, or a new header object with its domains as A-labels.

    ``utf8``: the message goes out with UTF-8 headers (SMTPUTF8); without,
    a non-ASCII local part is a :class:`ComposeError`.
    """
    lowered = name.lower()
    text = str(value)
    if text.isascii() or _ESCAPED_BYTE.search(text):  # nothing to convert, or raw 8-bit bytes kept as they came
        return value
    where = "the %s header" % name
    if lowered in ADDRESS_HEADERS:
        groups = getattr(value, "groups", None)
        if groups is None:
            try:
                groups = HEADER_FACTORY(name, text).groups
            except Exception:  # not an address list: the policy folds it as it is
                return value
        wire = _wire_groups(groups, where, utf8)
        if wire == list(groups):
            return value
        return HEADER_FACTORY(name, wire)
    if lowered in MESSAGE_ID_HEADERS:
        converted = wire_message_id(text, where, utf8)
        return value if converted == text else HEADER_FACTORY(name, converted)
    return value


def _read_back(name: str, folded: bytes) -> list[str]:
    text = folded.decode("utf-8", "surrogateescape")[len(name) + 1:]
    return [a.addr_spec for a in HEADER_FACTORY(name, re.sub(r"\r\n(?=[ \t])", "", text).strip()).addresses]


def fold_address_list(name: str, value, folded: bytes, fold) -> bytes:
    """``folded`` (``fold(name, value)``'s bytes for an address header) when
    it reads back as the same addresses, else the addresses folded one per
    line (see the module rules); a :class:`ComposeError` if even that fails."""
    groups = getattr(value, "groups", None)
    if groups is None or sum(len(g.addresses) for g in groups) < 2 or str(value).isascii():
        return folded  # no separator to lose, or no text to encode
    expected = [a.addr_spec for g in groups for a in g.addresses]
    if _read_back(name, folded) == expected:
        return folded
    # Each one folded alone, without its "Name:" and the white space (or fold) after it.
    pieces = [fold(name, HEADER_FACTORY(name, [g]))[len(name) + 1:].strip() for g in groups]
    folded = name.encode("ascii") + b": " + b",\r\n ".join(pieces) + b"\r\n"
    if _read_back(name, folded) != expected:
        raise ComposeError("the %s header does not fold into the addresses it holds: %s"
                           % (name, go_quote(str(value))))
    return folded


def smtputf8_address(msg: email.message.Message, hidden: tuple = ()) -> tuple[str, str] | None:
    """``(header name, address)`` for the first address of ``msg``'s address
    headers (those named in ``hidden`` aside) whose local part is not ASCII
    (only SMTPUTF8 can carry it), else ``None``."""
    skipped = {name.lower() for name in hidden}
    for name, value in msg.items():
        if name.lower() not in ADDRESS_HEADERS or name.lower() in skipped:
            continue
        text = str(value)
        if text.isascii():
            continue
        try:
            addresses = getattr(value, "addresses", None) or HEADER_FACTORY(name, text).addresses
        except Exception:
            continue
        for address in addresses:
            if not address.username.isascii():
                return name, address.addr_spec
    return None
