"""Addresses and host names as they go on the wire, checked.

The Pythonic layer turns what the caller wrote into what the server reads
here, and nowhere else.  Rules:

* **Domains** that are not ASCII become IDNA 2008 A-labels with UTS 46's
  mapping (the ``idna`` package), never through Python's ``"idna"`` codec:
  that one is IDNA 2003, which maps ``faß.de`` to ``fass.de`` (another
  domain) and, through NFKC, turns look-alikes such as the full-width
  ``＞`` into syntax.  A character the mapping would remove (an invisible
  one: U+200B, U+00AD, U+2060, a variation selector) is refused, since the
  address would silently become another.  After the conversion a domain
  must be LDH labels (letters, digits, hyphens; 1 to 63 octets, no hyphen
  at either end), or it is refused.  An ASCII domain is sent as written.
* **Every address** is refused when it holds a character that could end
  the address or the command line, or pass for a space: ``<``, ``>``, a
  space, a control character (C0, DEL, C1), a Unicode space, U+2028,
  U+2029, U+FEFF, or a lone surrogate.  A non-ASCII local part is kept as
  written (it needs SMTPUTF8, RFC 6531); its domain still becomes A-labels.
* **Host names** (the EHLO name; the server's name for SNI and the
  certificate check) follow the domain rule; an IP address, bracketed or
  not, is kept as written.
* Errors name the value, quoted as Go's ``%q`` quotes: an
  :class:`~smtp_core.errors.EnvelopeError` (a ``ValueError``) for an
  address, a ``ValueError`` for a host name.

>>> wire_address("bob@bücher.example")
('bob@xn--bcher-kva.example', False)
>>> wire_address("jürgen@faß.de")
('jürgen@xn--fa-hia.de', True)
>>> wire_address("alice@example.org＞")  # doctest: +ELLIPSIS
Traceback (most recent call last):
 ...
smtp_core.errors.EnvelopeError: smtp: the address "alice@example.org＞" has a domain that is not a valid IDNA ...
>>> wire_address("a@ex\u200bample.com")  # doctest: +ELLIPSIS
Traceback (most recent call last):
 ...
smtp_core.errors.EnvelopeError: smtp: the address "a@ex\u200bample.com" has a domain that holds U+200B, ...
>>> wire_host_name("mx.bücher.example"), wire_host_name("[192.0.2.1]")
('mx.xn--bcher-kva.example', '[192.0.2.1]')
"""

from __future__ import annotations

import ipaddress
import re

import idna

from ..client import split_host_port
from ..errors import EnvelopeError
from ..gocompat.goformat import go_quote

__all__ = ["wire_address", "wire_domain", "wire_host_name", "tls_host_name", "dial_address"]

# Never in an address or a host name on a command line: the address's own
# delimiters, anything that can end a line (C0, DEL, C1, U+2028/2029) or
# pass for a space (Unicode's Zs, the BOM), and lone surrogates.
_FORBIDDEN = re.compile("[<> \x00-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
                        "\ufeff\ud800-\udfff]")

_LDH_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")


def _refused(what: str, value: str, why: str) -> ValueError:
    # An address is the envelope's; a host name is a plain argument.
    error = EnvelopeError if what in ("address", "domain") else ValueError
    return error("smtp: the %s %s %s" % (what, go_quote(value), why))


def _check_characters(what: str, value: str) -> None:
    found = _FORBIDDEN.search(value)
    if found is not None:
        raise _refused(what, value, "holds U+%04X, which cannot go on the wire" % ord(found.group()))


def _dropped_by_mapping(domain: str) -> str | None:
    """The first character of ``domain`` that UTS 46's mapping removes
    (U+200B, U+00AD, U+2060, variation selectors, ...), if any."""
    for character in domain:
        if character.isascii():
            continue
        try:
            if idna.uts46_remap(character, std3_rules=True, transitional=False) == "":
                return character
        except UnicodeError:  # disallowed: idna.encode names it below
            return None
    return None


def _a_labels(domain: str) -> str:
    """The A-labels of a non-ASCII ``domain``; ``ValueError`` says why not.

    Mapping may change how a character is written (``Ä`` to ``ä``,
    full-width ``ｅ`` to ``e``), but a character it would drop is refused:
    ``ex\u200bample.com`` is not quietly ``example.com``.
    """
    dropped = _dropped_by_mapping(domain)
    if dropped is not None:
        raise ValueError("holds U+%04X, which IDNA's mapping would remove: refused rather than changed"
                         % ord(dropped))
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except UnicodeError as err:  # idna.IDNAError and its kin
        raise ValueError("is not a valid IDNA 2008 domain (%s)" % err) from None
    labels = ascii_domain.split(".")
    if labels[-1] == "":
        labels.pop()  # a trailing dot: the root
    if len(ascii_domain) > 254 or not all(_LDH_LABEL.match(label) for label in labels):
        raise ValueError("does not become letters, digits and hyphens (got %s)" % go_quote(ascii_domain))
    return ascii_domain


def wire_domain(domain: str, what: str = "domain") -> str:
    """``domain`` as it goes on the wire: as written when ASCII, else IDNA
    2008 A-labels, which must be LDH labels.

    >>> wire_domain("EXÄMPLE.com"), wire_domain("ｅｘａｍｐｌｅ.com")
    ('xn--exmple-cua.com', 'example.com')
    """
    _check_characters(what, domain)
    if domain.isascii():
        return domain
    try:
        return _a_labels(domain)
    except ValueError as err:
        raise _refused(what, domain, str(err)) from None


def wire_address(address: str) -> tuple[str, bool]:
    """``(address on the wire, whether it needs SMTPUTF8)``: the domain as
    :func:`wire_domain` sends it, the local part as written (SMTPUTF8 when
    it is not ASCII)."""
    _check_characters("address", address)
    local, at, domain = address.rpartition("@")
    if not at:
        return address, not address.isascii()
    if domain.isascii():
        return address, not local.isascii()
    try:
        return local + "@" + _a_labels(domain), not local.isascii()
    except ValueError as err:
        raise _refused("address", address, "has a domain that " + str(err)) from None


def wire_host_name(name: str) -> str:
    """A host name (EHLO, SNI, the certificate check) as it goes on the
    wire: an IP address or address literal as written, else
    :func:`wire_domain`'s rule."""
    literal = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    if literal[:5].lower() == "ipv6:":
        literal = literal[5:]
    try:
        ipaddress.ip_address(literal)
        return name
    except ValueError:
        return wire_domain(name, "host name")


def tls_host_name(name: str) -> str:
    """The server's name as SNI and the certificate check must see it:
    :func:`wire_host_name` for a non-ASCII name, which Python's ``ssl``
    would otherwise convert with IDNA 2003; any other name as written."""
    return name if name.isascii() else wire_host_name(name)


def dial_address(address: str) -> str:
    """``host:port`` with a non-ASCII host as A-labels, so that the name
    resolved is the one IDNA 2008 means (Python's resolver would convert
    it with IDNA 2003: ``faß.de`` would reach ``fass.de``)."""
    host, port = split_host_port(address)
    return address if host.isascii() else wire_host_name(host) + ":" + port
