"""Go's answers on hand-picked inputs, as data files written by Go itself.

Each ``<table>.json`` here records one Go function (its ``function`` field)
on a list of inputs; ``gen/main.go`` reads the inputs and writes Go's
answers (``go run ./gen``, see ``gen/main.go`` for the file format and
README.md for the command). :func:`load` gives a table as the
``(input, expected)`` pairs the tests parametrize over:

* input: ``str`` or ``bytes``, as the test passes it to our function;
* expected: ``str`` (``want``), ``bytes`` (``want_bytes``) or ``int``
  (``want_offset``, the offset in base64's error).

``unicode.json`` holds Go's verdict on every code point (the tables
``smtp_core.gocompat.goformat`` embeds); :func:`load_unicode` reads it.

>>> load("base64_encode")[1]
(b'f', b'Zg==')
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLES = ("quote", "upper", "trim_space", "base64_decode", "base64_encode", "dial",
          "mail_address", "mail_address_list", "mail_address_string", "mail_date", "mail_message")
UNICODE = HERE / "unicode.json"
GENERATED = tuple(HERE / (name + ".json") for name in TABLES) + (UNICODE,)

Value = str | bytes | int


def table_path(name: str) -> Path:
    if name not in TABLES:
        raise KeyError("no Go vector table %r (tables: %s)" % (name, ", ".join(TABLES)))
    return HERE / (name + ".json")


def _input(vector: dict, where: str) -> str | bytes:
    if "bytes" in vector:
        return vector["bytes"].encode("latin-1")
    if "codepoints" in vector:
        return "".join(map(chr, vector["codepoints"]))
    if "text" in vector:
        text = vector["text"]
        # Go reads a lone surrogate in a JSON string as U+FFFD: such text
        # belongs in "codepoints".
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            raise ValueError("%s: surrogates in \"text\": write them as \"codepoints\"" % where)
        return text
    raise ValueError("%s: no \"text\", \"codepoints\" or \"bytes\" input" % where)


def _expected(vector: dict, where: str) -> Value:
    if "want" in vector:
        return vector["want"]
    if "want_bytes" in vector:
        return vector["want_bytes"].encode("latin-1")
    if "want_offset" in vector:
        return vector["want_offset"]
    raise ValueError("%s: no answer from Go: run gen (see tests/helpers/govectors/README.md)" % where)


def load(name: str) -> list[tuple[str | bytes, Value]]:
    """Return table *name* as ``(input, expected)`` pairs, in file order."""
    path = table_path(name)
    vectors = json.loads(path.read_text(encoding="ascii"))["vectors"]
    pairs = []
    for index, vector in enumerate(vectors):
        where = "%s: vector %d" % (path.name, index)
        pairs.append((_input(vector, where), _expected(vector, where)))
    return pairs


def _span(token: str) -> tuple[int, int]:
    lo, _, hi = token.partition("-")
    return int(lo, 16), int(hi or lo, 16)


def load_unicode() -> dict[str, object]:
    """Go's character properties: ``print`` (strconv.IsPrint) as maximal
    ``(lo, hi)`` ranges, ``upper`` (unicode.ToUpper) as ``{rune: upper}``
    for every rune it changes, ``space`` (unicode.IsSpace) as a set."""
    data = json.loads(UNICODE.read_text(encoding="ascii"))
    upper = {}
    for token in data["unicode.ToUpper"]:
        span, _, delta = token.partition(":")
        lo, hi = _span(span)
        upper.update((c, c + int(delta, 16)) for c in range(lo, hi + 1))
    return {
        "unicode": data["unicode"],
        "print": [_span(token) for token in data["strconv.IsPrint"]],
        "upper": upper,
        "space": {int(token, 16) for token in data["unicode.IsSpace"]},
    }
