"""The readable text of an HTML body, for the catcher's snippet and search,
and its start tags, for the link check.

Rules:

* Text between tags is kept, character references decoded (``&amp;``,
  ``&#233;``); comments, declarations (``<!DOCTYPE>``) and processing
  instructions are dropped.
* ``<script>``, ``<style>`` and ``<head>`` drop what they hold (a head
  ends at ``</head>`` or ``<body>``); they and the tags in
  :data:`BREAKING_TAGS` become one space, other tags nothing.
* Quoted attribute values may hold ``>``.  Markup cut off by the end of the
  input (an unclosed tag, comment or script) ends the text, as it ends what
  a browser shows.
* At most :data:`MARKUP_LIMIT` characters of markup are read.

Every construct is found with one forward search that, when it fails,
ends the scan, so the work is linear in the input.  Not the standard
library's ``html.parser``: before Python 3.11.13, 3.12.11 and 3.13.4 it is
quadratic on unclosed constructs (CPython gh-135462: 64 KiB of ``<a `` took
a minute), and the catcher parses whatever a client sends.

>>> html_text('<html><head><title>T</title><style>p{}</style></head><body><p>Fish &amp; chips'
...           '<br>at 5 &lt; 6<script>alert("</p>")</script><b>now</b></body></html>')
'   Fish & chips at 5 < 6 now'
>>> html_text('<a title="x > y">link</a><!-- note --> text <p unclosed')
'link text '
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

__all__ = ["html_text", "start_tags", "BREAKING_TAGS", "MARKUP_LIMIT"]

#: Tags that end a run of text: they become a space, all others nothing.
BREAKING_TAGS = frozenset({"p", "br", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5",
                           "h6", "table", "ul", "ol", "blockquote", "hr", "section", "article"})
#: Markup read per body: the index keeps 256 KiB of text at most anyway.
MARKUP_LIMIT = 1024 * 1024

_RAW_TEXT = frozenset({"script", "style"})
_TAG_NAME = re.compile(r"/?([A-Za-z][^\s/>]*)")
# Where markup may start: a "<" before anything else is text.
_MARKUP_START = re.compile(r"<(?:/?[A-Za-z]|[!?])")
# Inside a tag: the next character that matters.
_TAG_SPECIAL = re.compile(r"[>\"']")
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in _RAW_TEXT}
# One attribute of a start tag: each alternative is bounded by a character
# it cannot contain, so finditer is linear.
_ATTRIBUTE = re.compile(r"""([^\s"'/>=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def _tag_end(markup: str, position: int) -> int:
    """The index after the ``>`` closing the tag whose name ends at
    ``position``; -1 if the markup ends first."""
    while True:
        special = _TAG_SPECIAL.search(markup, position)
        if special is None:
            return -1
        if special.group() == ">":
            return special.end()
        closing = markup.find(special.group(), special.end())
        if closing < 0:
            return -1
        position = closing + 1


def _tokens(markup: str) -> Iterator[tuple[str, str, str]]:
    """``("text", text, "")``, ``("start", name, attributes)`` and ``("end",
    name, "")`` in order; what a script or style holds is skipped."""
    position = 0
    while position < len(markup):
        start = _MARKUP_START.search(markup, position)
        opening = len(markup) if start is None else start.start()
        if opening > position:
            yield "text", markup[position:opening], ""
        if opening == len(markup):
            return
        if markup.startswith("!--", opening + 1):
            closing = markup.find("-->", opening + 4)
            if closing < 0:
                return
            position = closing + 3
            continue
        if markup[opening + 1] in "!?":
            closing = markup.find(">", opening + 2)
            if closing < 0:
                return
            position = closing + 1
            continue
        name_match = _TAG_NAME.match(markup, opening + 1)
        assert name_match is not None  # _MARKUP_START saw a letter
        end = _tag_end(markup, name_match.end())
        if end < 0:
            return
        name = name_match.group(1).lower()
        if markup[opening + 1] == "/":
            yield "end", name, ""
            position = end
            continue
        yield "start", name, markup[name_match.end():end - 1]
        position = end
        if name in _RAW_TEXT:
            closing_match = _RAW_TEXT_END[name].search(markup, end)
            if closing_match is None:
                return
            position = _tag_end(markup, closing_match.end() - 1)
            if position < 0:
                return


def html_text(markup: str) -> str:
    """The text of ``markup`` (see the module's rules)."""
    pieces: list[str] = []
    in_head = False
    for kind, value, _ in _tokens(markup[:MARKUP_LIMIT]):
        if kind == "text":
            if not in_head:
                pieces.append(value)
        elif value == "head":
            if kind == "start" and not in_head:
                pieces.append(" ")
            in_head = kind == "start"
        elif value == "body" and kind == "start":
            in_head = False
        elif kind == "start" and value in _RAW_TEXT:
            pieces.append(" ")
        elif value in BREAKING_TAGS and not in_head:
            pieces.append(" ")
    return html.unescape("".join(pieces))


def start_tags(markup: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``(name, attributes)`` of each start tag of ``markup`` (the first
    :data:`MARKUP_LIMIT` characters), names lower-cased, values decoded; an
    attribute given twice keeps its first value, as in a browser.

    >>> list(start_tags('<A HREF="https://a.example/?x=1&amp;y=2" title=t hidden><img src=i.png>'))
    [('a', {'href': 'https://a.example/?x=1&y=2', 'title': 't', 'hidden': ''}), ('img', {'src': 'i.png'})]
    """
    for kind, name, attributes in _tokens(markup[:MARKUP_LIMIT]):
        if kind == "start":
            found: dict[str, str] = {}
            for match in _ATTRIBUTE.finditer(attributes):
                value = match.group(2) or ""
                if value[:1] in ("'", '"'):
                    value = value[1:-1]
                found.setdefault(match.group(1).lower(), html.unescape(value))
            yield name, found
