"""Tests for :mod:`smtp_core.gocompat.goformat` (Go's Quote, ToUpper, TrimSpace).

The vector tables are data files in ``tests/helpers/govectors``, written by a Go
program beside them (``gen/main.go``) that runs Go 1.27.3's strconv.Quote,
strings.ToUpper and strings.TrimSpace on exactly the bytes each input
stands for (see ``go_bytes``), so no Go toolchain is needed to run these
tests; ``test_govectors.py`` checks the files against Go when it is there.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import govectors
from smtp_core.gocompat.goformat import go_bytes, go_quote, go_trim_space, go_upper

GO_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# (input, Go's answer) pairs from tests/helpers/govectors/*.json, written by Go itself
# (tests/helpers/govectors/gen).  str inputs mean go_bytes(input).
QUOTE_VECTORS = govectors.load("quote")  # strconv.Quote output
UPPER_VECTORS = govectors.load("upper")  # strings.ToUpper output
TRIM_VECTORS = govectors.load("trim_space")  # strings.TrimSpace output, as bytes


# ---------------------------------------------------------------------------
# A decoder for Go double-quoted string literals, written for these tests.

_GO_SIMPLE_ESCAPES = {
    "a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n", "r": b"\r",
    "t": b"\t", "v": b"\v", "\\": b"\\", '"': b'"',
}


def unquote(lit: str) -> bytes:
    """Return the bytes a Go interpreted string literal denotes."""
    assert len(lit) >= 2 and lit[0] == '"' and lit[-1] == '"', lit
    body = lit[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == '"':
            raise ValueError("unescaped quote in %r" % lit)
        if ch != "\\":
            assert not 0xD800 <= ord(ch) <= 0xDFFF, "surrogate in output"
            out += ch.encode("utf-8")
            i += 1
            continue
        kind = body[i + 1]
        if kind in _GO_SIMPLE_ESCAPES:
            out += _GO_SIMPLE_ESCAPES[kind]
            i += 2
        elif kind in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = body[i + 2:i + 2 + width]
            assert re.fullmatch("[0-9a-f]{%d}" % width, digits), lit
            value = int(digits, 16)
            if kind == "x":
                out.append(value)
            else:
                out += chr(value).encode("utf-8")
            i += 2 + width
        else:
            raise ValueError("unknown escape \\%s in %r" % (kind, lit))
    return bytes(out)


# ---------------------------------------------------------------------------
# Vectors from Go.


@pytest.mark.parametrize("value, expected", QUOTE_VECTORS)
def test_quote_vectors(value, expected):
    assert go_quote(value) == expected


@pytest.mark.parametrize("value, expected", QUOTE_VECTORS)
def test_quote_vectors_other_input_type(value, expected):
    if isinstance(value, bytes):
        other = value.decode("utf-8", "surrogateescape")
    else:
        other = go_bytes(value)
    assert go_quote(other) == expected
    assert go_quote(bytearray(go_bytes(value))) == expected
    assert unquote(expected) == go_bytes(value)


@pytest.mark.parametrize("value, expected", UPPER_VECTORS)
def test_upper_vectors(value, expected):
    assert go_upper(value) == expected


@pytest.mark.parametrize("value, expected", TRIM_VECTORS)
def test_trim_space_vectors(value, expected):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    assert go_bytes(go_trim_space(value)) == expected


def test_embedded_tables_are_gos_whole_answer():
    # goformat embeds Go's character properties (see its "Tables extracted
    # from Go"); tests/helpers/govectors/unicode.json is Go's answer for every code
    # point, written by tests/helpers/govectors/gen.
    from smtp_core.gocompat import goformat

    go = govectors.load_unicode()
    assert go["unicode"] == "17.0.0"
    merged = []
    for lo, hi in goformat._parse_ranges(goformat._PRINT_RANGES):
        if merged and merged[-1][1] + 1 == lo:
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    assert merged == go["print"]
    ours = {c: u for c, u in goformat._upper_map().items() if not 0xDC80 <= c <= 0xDCFF}
    assert ours == go["upper"]
    assert set(map(ord, goformat._GO_SPACE)) == go["space"]


def test_vector_tables_are_substantial():
    assert len(QUOTE_VECTORS) > 300
    assert len(UPPER_VECTORS) > 200
    assert len(TRIM_VECTORS) > 100


# ---------------------------------------------------------------------------
# Hand-checked examples that document the behaviour.


def test_quote_examples():
    assert go_quote("") == '""'
    assert go_quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert go_quote("\a\b\f\n\r\t\v") == '"\\a\\b\\f\\n\\r\\t\\v"'
    assert go_quote("\x00\x1b\x7f") == '"\\x00\\x1b\\x7f"'
    assert go_quote("\x80\xa0\xad\xe9") == '"\\u0080\\u00a0\\u00ad\xe9"'
    assert go_quote("\u3000 \u2028") == '"\\u3000 \\u2028"'
    assert go_quote("\U000e0001\U0010ffff") == '"\\U000e0001\\U0010ffff"'
    assert go_quote("\ufffd") == '"\ufffd"'
    assert go_quote(b"\xef\xbf\xbd\xff") == '"\ufffd\\xff"'
    # Encoded surrogates, overlong forms and 5/6-byte forms: byte by byte.
    assert go_quote(b"\xed\xa0\x80") == '"\\xed\\xa0\\x80"'
    assert go_quote(b"\xc0\xaf") == '"\\xc0\\xaf"'
    assert go_quote(b"\xf8\x88\x80\x80\x80") == '"\\xf8\\x88\\x80\\x80\\x80"'


def test_quote_lone_surrogates_in_text():
    # surrogateescape: one invalid byte each.
    assert go_quote("a\udcffb") == '"a\\xffb"'
    # Other lone surrogates stand for their surrogatepass encoding.
    assert go_quote("\ud800") == '"\\xed\\xa0\\x80"'
    assert go_quote("\udc7f") == '"\\xed\\xb1\\xbf"'
    # Escapes that together spell valid UTF-8 are read as that character,
    # as Go reads the concatenated bytes.
    assert go_quote("\udcc3\udca9") == '"\xe9"'


def test_upper_examples():
    assert go_upper("") == ""
    assert go_upper("abc") == "ABC"
    assert go_upper("\xdf\ufb01\u0149") == "\xdf\ufb01\u0149"
    assert go_upper("\u01c6\u01c5") == "\u01c4\u01c4"
    assert go_upper("\u017f\u0131\xb5\xff") == "SI\u039c\u0178"
    assert go_upper("\u1fb3") == "\u1fbc"
    assert go_upper("a\udcffb") == "A\ufffdB"
    assert go_upper("\udcc3\udca9") == "\xc9"
    assert go_upper("\ud800") == "\ufffd\ufffd\ufffd"


def test_trim_space_examples():
    assert go_trim_space("") == ""
    assert go_trim_space(" \t\r\n\v\f") == ""
    assert go_trim_space("\x1c x \x1f") == "\x1c x \x1f"
    assert go_trim_space("\u180e\u200b\ufeffx") == "\u180e\u200b\ufeffx"
    assert go_trim_space("\x85\xa0\u3000x\u2029") == "x"
    assert go_trim_space(" \udcff ") == "\udcff"
    assert go_trim_space("x\udce2\udc80\udca8") == "x"


def test_results_do_not_depend_on_python_unicode_version():
    # Code points that only newer Unicode versions assign; Go 1.27 knows them.
    assert go_quote("\U0001fa75") == '"\U0001fa75"'  # Unicode 15
    assert go_quote("\U0001cc00") == '"\U0001cc00"'  # Unicode 16
    assert go_quote("\U0001e6c0") == '"\U0001e6c0"'  # Unicode 17
    assert go_upper("\U00010d70") == "\U00010d50"  # Unicode 16 (Garay)
    assert go_upper("\ua7cb") == "\ua7cb"
    assert unicodedata.unidata_version  # the running version is irrelevant


# ---------------------------------------------------------------------------
# Properties.

_SURROGATE_ESCAPES = st.integers(0xDC80, 0xDCFF).map(chr)
_ANY_CODE_POINT = st.integers(0, 0x10FFFF).map(chr)
_INTERESTING = st.sampled_from(
    list('"\\\a\b\f\n\r\t\v\x00\x7f \x85\xa0\xad\u2028\u3000\ufffd\ufeff')
    + ["\ud800", "\udbff", "\udc00", "\udc7f", "\U0010ffff", "\U000e0001"]
)
texts = st.text(
    st.one_of(
        st.characters(max_codepoint=0x7F),
        _ANY_CODE_POINT,
        _SURROGATE_ESCAPES,
        _INTERESTING,
    )
)
_BYTE_CHOICES = st.one_of(
    st.integers(0, 255),
    st.sampled_from([0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]),
)
raw_bytes = st.one_of(
    st.binary(),
    st.lists(_BYTE_CHOICES).map(bytes),
    texts.map(go_bytes),
)


@settings(max_examples=500)
@given(texts)
@example("\udcc3\udca9")
@example("\ud83d\ude00")
def test_quote_round_trips_text(s):
    q = go_quote(s)
    assert unquote(q) == go_bytes(s)
    assert q == go_quote(go_bytes(s))


@settings(max_examples=500)
@given(raw_bytes)
def test_quote_round_trips_bytes(b):
    q = go_quote(b)
    assert unquote(q) == b
    q.encode("utf-8")  # never contains a surrogate
    assert all(" " <= ch <= "~" for ch in q if ch.isascii())


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_quote_printable_ascii_is_kept(s):
    expected = '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert go_quote(s) == expected


@given(st.text(st.characters(max_codepoint=0x7F)))
def test_upper_ascii_matches_str_upper(s):
    assert go_upper(s) == s.upper()


@settings(max_examples=300)
@given(texts)
def test_upper_is_per_rune(s):
    canonical = go_bytes(s).decode("utf-8", "surrogateescape")
    up = go_upper(s)
    assert up == go_upper(canonical)
    assert len(up) == len(canonical)
    assert up == "".join(go_upper(ch) for ch in canonical)
    up.encode("utf-8")  # invalid bytes became U+FFFD
    assert go_upper(re.sub("[\udc80-\udcff]", "\ufffd", canonical)) == up


@settings(max_examples=300)
@given(texts)
def test_trim_space_strips_exactly_go_space(s):
    canonical = go_bytes(s).decode("utf-8", "surrogateescape")
    trimmed = go_trim_space(s)
    assert trimmed == canonical.strip(GO_SPACE)
    assert not trimmed or (trimmed[0] not in GO_SPACE and trimmed[-1] not in GO_SPACE)


@given(st.text(st.characters(max_codepoint=0x7F)))
def test_trim_space_ascii(s):
    assert go_trim_space(s) == s.strip(" \t\n\v\f\r")
