"""Go's ``net/mail`` address rules: parsing, formatting, RFC 2047 words.

A port of Go 1.27.3's ``net/mail`` address parser (``message.go``) and the
parts of ``mime`` it uses (``encodedword.go``), kept exact to Go, error
texts included; ``tests/helpers/govectors/mail_address.json`` holds Go's own
answers.  Go's rules, briefly:

* an address is an addr-spec (``local@domain``, optionally followed by a
  comment that becomes the name), or a phrase and an angle-addr
  (``Name <local@domain>``), or, in a list, a group (``Team: a@x, b@y;``);
* a local part is a dot-atom or a quoted string; a domain is a dot-atom or
  a literal holding an IP address (``[192.0.2.1]``, ``[IPv6:::1]``);
* obsolete syntax (routes, folding inside an address) is not parsed;
* a word of a phrase that is an RFC 2047 encoded word is decoded (UTF-8,
  ISO-8859-1 and US-ASCII; another charset is an error);
* :func:`address_string` quotes a local part and a name only where they
  need it, and writes a name that is not printable ASCII as an encoded
  word (``B`` when it holds specials, else ``Q``), split at 75 bytes.

Strings follow the project's text model (:mod:`~smtp_core.gocompat.goformat`):
the parser reads the bytes a ``str`` stands for, and text it returns is
decoded with ``surrogateescape``, so a byte that is not UTF-8 survives.

    >>> parse_address('"Joe Q. Public" <john.q.public@example.com>')
    Address(name='Joe Q. Public', address='john.q.public@example.com')
    >>> parse_address("Åsa <asa>")
    Traceback (most recent call last):
    ...
    smtp_core.gocompat.gomail.MailError: mail: missing @ in addr-spec
    >>> address_string(Address("Åsa", "asa@example.com"))
    '=?utf-8?q?=C3=85sa?= <asa@example.com>'
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import NamedTuple

from .goformat import go_bytes, go_quote

__all__ = ["Address", "MailError", "parse_address", "parse_address_list", "address_string", "skip_cfws",
           "decode_word", "encode_word"]

_RUNE_ERROR = 0xFFFD


class MailError(ValueError):
    """A refusal of Go's ``net/mail`` (its text is Go's)."""


class Address(NamedTuple):
    """Go's ``mail.Address``: a name (may be empty) and ``user@domain``."""

    name: str
    address: str


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _decode_rune(s: bytes, i: int) -> tuple[int, int]:
    """Go's ``utf8.DecodeRune`` at ``s[i:]``: ``(rune, size)``; ``(0xFFFD, 1)`` when invalid, size 0 at the end."""
    if i >= len(s):
        return _RUNE_ERROR, 0
    b0 = s[i]
    if b0 < 0x80:
        return b0, 1
    if 0xC2 <= b0 <= 0xDF:
        n, low, high = 2, 0x80, 0xBF
    elif 0xE0 <= b0 <= 0xEF:
        n, low, high = 3, (0xA0 if b0 == 0xE0 else 0x80), (0x9F if b0 == 0xED else 0xBF)
    elif 0xF0 <= b0 <= 0xF4:
        n, low, high = 4, (0x90 if b0 == 0xF0 else 0x80), (0x8F if b0 == 0xF4 else 0xBF)
    else:
        return _RUNE_ERROR, 1
    if i + n > len(s) or not low <= s[i + 1] <= high or any(not 0x80 <= c <= 0xBF for c in s[i + 2:i + n]):
        return _RUNE_ERROR, 1
    return ord(s[i:i + n].decode("utf-8")), n


def _quote_rune(r: int) -> str:
    # strconv.QuoteRune: as Quote, between single quotes.
    inner = go_quote(chr(r).encode("utf-8", "surrogatepass"))[1:-1]
    return "'" + inner.replace('\\"', '"').replace("'", "\\'") + "'"


def _is_vchar(r: int) -> bool:
    return 0x21 <= r <= 0x7E or r >= 0x80


def _is_wsp(r: int) -> bool:
    return r in (0x20, 0x09)


_SPECIALS = frozenset(b'()<>[]:;@\\,"')


def _is_atext(r: int, dot: bool) -> bool:
    if r == 0x2E:
        return dot
    if r in _SPECIALS:
        return False
    return _is_vchar(r)


def _is_qtext(r: int) -> bool:
    return r not in (0x5C, 0x22) and _is_vchar(r)


def _is_dtext(r: int) -> bool:
    return r not in (0x5B, 0x5D, 0x5C) and _is_vchar(r)


def _runes(s: bytes):
    i = 0
    while i < len(s):
        r, size = _decode_rune(s, i)
        yield i, r, s[i:i + size]
        i += size


def _quote_string(s: bytes) -> bytes:
    out = bytearray(b'"')
    for _, r, raw in _runes(s):
        if _is_qtext(r) or _is_wsp(r):
            out += raw if r != _RUNE_ERROR else "\ufffd".encode()
        elif _is_vchar(r):
            out += b"\\" + raw
    out += b'"'
    return bytes(out)


# -- RFC 2047 encoded words (Go's mime.WordDecoder and WordEncoder) --------

_INVALID_WORD = "mime: invalid RFC 2047 encoded-word"


class _CharsetError(MailError):
    pass


def _from_hex(c: int) -> int:
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x41 <= c <= 0x46:
        return c - 0x41 + 10
    if 0x61 <= c <= 0x66:
        return c - 0x61 + 10
    raise MailError("mime: invalid hex byte %#04x" % c)


def _q_decode(s: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == 0x5F:
            out.append(0x20)
        elif c == 0x3D:
            if i + 2 >= len(s):
                raise MailError(_INVALID_WORD)
            out.append(_from_hex(s[i + 1]) << 4 | _from_hex(s[i + 2]))
            i += 2
        elif 0x20 <= c <= 0x7E or c in (0x0A, 0x0D, 0x09):
            out.append(c)
        else:
            raise MailError(_INVALID_WORD)
        i += 1
    return bytes(out)


def decode_word(word: bytes) -> bytes:
    """Go's ``WordDecoder.Decode`` with no CharsetReader (``charset not supported: "x"``)."""
    if len(word) < 8 or not word.startswith(b"=?") or not word.endswith(b"?=") or word.count(b"?") != 4:
        raise MailError(_INVALID_WORD)
    charset, _, rest = word[2:-2].partition(b"?")
    if not charset:
        raise MailError(_INVALID_WORD)
    encoding, _, text = rest.partition(b"?")
    if len(encoding) != 1:
        raise MailError(_INVALID_WORD)
    if encoding in b"Bb":
        try:
            # Go's decoder skips CR and LF; padding is required.
            content = base64.b64decode(text.replace(b"\r", b"").replace(b"\n", b""), validate=True)
        except (binascii.Error, ValueError):
            raise MailError("illegal base64 data") from None
    elif encoding in b"Qq":
        content = _q_decode(text)
    else:
        raise MailError(_INVALID_WORD)
    name = charset.lower()
    if name == b"utf-8":
        return content
    if name == b"iso-8859-1":
        return content.decode("latin-1").encode("utf-8")
    if name == b"us-ascii":
        return b"".join(bytes((c,)) if c < 0x80 else "\ufffd".encode() for c in content)
    raise _CharsetError("charset not supported: " + go_quote(charset.lower()))


_MAX_CONTENT = 75 - len("=?UTF-8?q?") - len("?=")
_MAX_BASE64 = _MAX_CONTENT // 4 * 3


def _needs_encoding(s: bytes) -> bool:
    return any((r < 0x20 or r > 0x7E) and r != 0x09 for _, r, _ in _runes(s))


def _write_q(s: bytes) -> bytes:
    out = bytearray()
    for b in s:
        if b == 0x20:
            out.append(0x5F)
        elif 0x21 <= b <= 0x7E and b not in b"=?_":
            out.append(b)
        else:
            out += b"=%02X" % b
    return bytes(out)


def encode_word(kind: str, s: bytes) -> bytes:
    """Go's ``mime.BEncoding``/``QEncoding.Encode("utf-8", s)``: ``s`` itself when it needs no encoding."""
    if not _needs_encoding(s):
        return s
    open_word = b"=?utf-8?" + kind.encode() + b"?"
    words, current = [], bytearray()
    if kind == "b":
        if len(base64.b64encode(s)) <= _MAX_CONTENT:
            return open_word + base64.b64encode(s) + b"?="
        size = 0
        for _, _, raw in _runes(s):
            if size + len(raw) > _MAX_BASE64:
                words.append(base64.b64encode(bytes(current)))
                current, size = bytearray(), 0
            current += raw
            size += len(raw)
        words.append(base64.b64encode(bytes(current)))
    else:
        size, i = 0, 0
        while i < len(s):
            if 0x20 <= s[i] <= 0x7E and s[i] not in b"=?_":
                step, cost = 1, 1
            else:
                step = _decode_rune(s, i)[1]
                cost = 3 * step
            if size + cost > _MAX_CONTENT:
                words.append(bytes(current))
                current, size = bytearray(), 0
            current += _write_q(s[i:i + step])
            size += cost
            i += step
        words.append(bytes(current))
    return b" ".join(open_word + w + b"?=" for w in words)


# -- the parser --------------------------------------------------------------

class _Parser:
    """Go's ``addrParser`` over the bytes of the input."""

    __slots__ = ("s",)

    def __init__(self, s: bytes) -> None:
        self.s = s

    def consume(self, c: int) -> bool:
        if self.s and self.s[0] == c:
            self.s = self.s[1:]
            return True
        return False

    def skip_space(self) -> None:
        self.s = self.s.lstrip(b" \t")

    def skip_cfws(self) -> bool:
        self.skip_space()
        while self.consume(0x28):
            if self.consume_comment()[1] is False:
                return False
            self.skip_space()
        return True

    def consume_comment(self) -> tuple[bytes, bool]:
        depth, comment, s, i = 1, bytearray(), self.s, 0
        while i < len(s) and depth:
            c = s[i]
            if c == 0x5C and len(s) - i > 1:
                i += 1
            elif c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
            if depth > 0:
                comment.append(s[i])
            i += 1
        self.s = s[i:]
        return bytes(comment), depth == 0

    def parse_address_list(self) -> list[Address]:
        result: list[Address] = []
        while True:
            self.skip_space()
            if self.consume(0x2C):
                continue
            result += self.parse_address(True)
            if not self.skip_cfws():
                raise MailError("mail: misformatted parenthetical comment")
            if not self.s:
                break
            if self.s[0] != 0x2C:
                raise MailError("mail: expected comma")
            while self.consume(0x2C):
                self.skip_space()
            if not self.s:
                break
        return result

    def parse_single_address(self) -> Address:
        addrs = self.parse_address(True)
        if not self.skip_cfws():
            raise MailError("mail: misformatted parenthetical comment")
        if self.s:
            raise MailError("mail: expected single address, got " + go_quote(self.s))
        if not addrs:
            raise MailError("mail: empty group")
        if len(addrs) > 1:
            raise MailError("mail: group with multiple addresses")
        return addrs[0]

    def parse_address(self, handle_group: bool) -> list[Address]:
        self.skip_space()
        if not self.s:
            raise MailError("mail: no address")
        try:
            spec = self.consume_addr_spec()
        except MailError:
            pass
        else:
            name = b""
            self.skip_space()
            if self.s and self.s[0] == 0x28:
                name = self.consume_display_name_comment()
            return [Address(_text(name), _text(spec))]
        name = b""
        if self.s[0] != 0x3C:
            name = self.consume_phrase()
        self.skip_space()
        if handle_group and self.consume(0x3A):
            return self.consume_group_list()
        if not self.consume(0x3C):
            if all(_is_atext(r, True) for _, r, _ in _runes(name)):
                raise MailError("mail: missing '@' or angle-addr")
            raise MailError("mail: no angle-addr")
        spec = self.consume_addr_spec()
        if not self.consume(0x3E):
            raise MailError("mail: unclosed angle-addr")
        return [Address(_text(name), _text(spec))]

    def consume_group_list(self) -> list[Address]:
        group: list[Address] = []
        self.skip_space()
        if self.consume(0x3B):
            if not self.skip_cfws():
                raise MailError("mail: misformatted parenthetical comment")
            return group
        while True:
            self.skip_space()
            group += self.parse_address(False)
            if not self.skip_cfws():
                raise MailError("mail: misformatted parenthetical comment")
            if self.consume(0x3B):
                if not self.skip_cfws():
                    raise MailError("mail: misformatted parenthetical comment")
                return group
            if not self.consume(0x2C):
                raise MailError("mail: expected comma")

    def consume_addr_spec(self) -> bytes:
        original = self.s
        try:
            self.skip_space()
            if not self.s:
                raise MailError("mail: no addr-spec")
            if self.s[0] == 0x22:
                local = self.consume_quoted_string()
                if not local:
                    raise MailError("mail: empty quoted string in addr-spec")
            else:
                local = self.consume_atom(True, False)
            if not self.consume(0x40):
                raise MailError("mail: missing @ in addr-spec")
            self.skip_space()
            if not self.s:
                raise MailError("mail: no domain in addr-spec")
            domain = self.consume_domain_literal() if self.s[0] == 0x5B else self.consume_atom(True, False)
        except MailError:
            self.s = original
            raise
        return local + b"@" + domain

    def consume_phrase(self) -> bytes:
        words: list[bytes] = []
        encoded = bytearray()
        err: MailError | None = None
        while True:
            if words and not self.skip_cfws():
                raise MailError("mail: misformatted parenthetical comment")
            self.skip_space()
            if not self.s:
                break
            is_encoded = False
            try:
                if self.s[0] == 0x22:
                    word = self.consume_quoted_string()
                else:
                    word = self.consume_atom(True, True)
                    word, is_encoded = _decode_rfc2047(word)
            except MailError as e:
                err = e
                break
            if is_encoded:
                encoded += word
            elif encoded:
                words += [bytes(encoded), word]
                encoded = bytearray()
            else:
                words.append(word)
        if encoded:
            words.append(bytes(encoded))
        if err is not None and not words:
            raise MailError("mail: missing word in phrase: " + str(err))
        return b" ".join(words)

    def consume_quoted_string(self) -> bytes:
        s, i, out, escaped = self.s, 1, bytearray(), False
        while True:
            r, size = _decode_rune(s, i)
            if size == 0:
                raise MailError("mail: unclosed quoted-string")
            if size == 1 and r == _RUNE_ERROR:
                raise MailError("mail: invalid utf-8 in quoted-string: " + go_quote(s))
            if escaped:
                if not _is_vchar(r) and not _is_wsp(r):
                    raise MailError("mail: bad character in quoted-string: " + _quote_rune(r))
                out += s[i:i + size]
                escaped = False
            elif _is_qtext(r) or _is_wsp(r):
                out += s[i:i + size]
            elif r == 0x22:
                break
            elif r == 0x5C:
                escaped = True
            else:
                raise MailError("mail: bad character in quoted-string: " + _quote_rune(r))
            i += size
        self.s = s[i + 1:]
        return bytes(out)

    def consume_atom(self, dot: bool, permissive: bool) -> bytes:
        s, i = self.s, 0
        while True:
            r, size = _decode_rune(s, i)
            if size == 1 and r == _RUNE_ERROR:
                raise MailError("mail: invalid utf-8 in address: " + go_quote(s))
            if size == 0 or not _is_atext(r, dot):
                break
            i += size
        if i == 0:
            raise MailError("mail: invalid string")
        atom, self.s = s[:i], s[i:]
        if not permissive:
            if atom.startswith(b"."):
                raise MailError("mail: leading dot in atom")
            if b".." in atom:
                raise MailError("mail: double dot in atom")
            if atom.endswith(b"."):
                raise MailError("mail: trailing dot in atom")
        return atom

    def consume_domain_literal(self) -> bytes:
        if not self.consume(0x5B):
            raise MailError('mail: missing "[" in domain-literal')
        start, length = self.s, 0
        while True:
            if not self.s:
                raise MailError("mail: unclosed domain-literal")
            if self.s[0] == 0x5D:
                break
            r, size = _decode_rune(self.s, 0)
            if size == 1 and r == _RUNE_ERROR:
                raise MailError("mail: invalid utf-8 in domain-literal: " + go_quote(self.s))
            if not _is_dtext(r):
                raise MailError("mail: bad character in domain-literal: " + _quote_rune(r))
            length += size
            self.s = self.s[size:]
        dtext = start[:length]
        self.consume(0x5D)
        if dtext.startswith(b"IPv6:"):
            if _parse_ip(dtext[5:]) is None:
                raise MailError("mail: invalid IPv6 address in domain-literal: " + go_quote(dtext))
        else:
            ip = _parse_ip(dtext)
            if ip is None or not (ip.version == 4 or ip.ipv4_mapped is not None):
                raise MailError("mail: invalid IP address in domain-literal: " + go_quote(dtext))
        return b"[" + dtext + b"]"

    def consume_display_name_comment(self) -> bytes:
        self.consume(0x28)
        comment, ok = self.consume_comment()
        if not ok:
            raise MailError("mail: misformatted parenthetical comment")
        words = [w for w in comment.replace(b"\t", b" ").split(b" ") if w]
        for k, word in enumerate(words):
            words[k] = _decode_rfc2047(word)[0]
        return b" ".join(words)


def _parse_ip(text: bytes):
    # Go's net.ParseIP: dotted IPv4 (no leading zeros) or IPv6 without a zone.
    try:
        raw = text.decode("ascii")
        if "%" in raw:
            return None
        return ipaddress.ip_address(raw)
    except (UnicodeDecodeError, ValueError):
        return None


def _decode_rfc2047(word: bytes) -> tuple[bytes, bool]:
    """Go's ``decodeRFC2047Word``: ``(decoded, True)``; ``(word, False)`` when it is no encoded word;
    an unsupported charset is an error."""
    try:
        return decode_word(word), True
    except _CharsetError:
        raise
    except MailError:
        return word, False


def parse_address(address: str | bytes) -> Address:
    """Go's ``mail.ParseAddress``: exactly one address, or :class:`MailError`."""
    return _Parser(go_bytes(address)).parse_single_address()


def parse_address_list(addresses: str | bytes) -> list[Address]:
    """Go's ``mail.ParseAddressList``."""
    return _Parser(go_bytes(addresses)).parse_address_list()


def address_string(a: Address) -> str:
    """Go's ``(*Address).String``: ``"Name" <local@domain>``, quoting and encoding as Go does."""
    address = go_bytes(a.address)
    at = address.rfind(b"@")
    local, domain = (address, b"") if at < 0 else (address[:at], address[at + 1:])
    quote = False
    for i, r, _ in _runes(local):
        if _is_atext(r, False):
            continue
        if r == 0x2E and i > 0 and local[i - 1] != 0x2E and i < len(local) - 1:
            continue
        quote = True
        break
    if quote:
        local = _quote_string(local)
    s = b"<" + local + b"@" + domain + b">"
    name = go_bytes(a.name)
    if not name:
        return _text(s)
    if all((_is_vchar(r) or _is_wsp(r)) and r < 0x80 for _, r, _ in _runes(name)):
        return _text(_quote_string(name) + b" " + s)
    if any(c in b"\"#$%&'(),.:;<>@[]^`{|}~" for c in name):
        return _text(encode_word("b", name) + b" " + s)
    return _text(encode_word("q", name) + b" " + s)


def skip_cfws(s: str | bytes) -> bool:
    """Whether ``s`` starts with well-formed spaces and comments (Go's ``skipCFWS``; the rest is not checked)."""
    return _Parser(go_bytes(s)).skip_cfws()
