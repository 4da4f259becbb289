"""The store's fast intake paths give what the slow ones gave (issue 20,
intake speed): header blocks read without email's feedparser, a leaf's
content sliced from the message's bytes, ASCII search text cleaned as
bytes, a huge body's search text read from a bounded prefix, a rebuilt
index in arrival order.

The reference for parsing is the standard library's ``email`` package with
the catcher's policy; the rest talks to a real dev server over SMTP and
HTTP on loopback.
"""

from __future__ import annotations

import email.parser
import os
import re
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtp_core.devserver.mailbox import mailview, mimetree

from catcher_http import forget_index, get_json, smtp

_REFERENCE_HEADERS = email.parser.BytesHeaderParser(policy=mimetree.RAW_HEADERS)

# Header lines as a hostile or sloppy sender writes them: names with odd
# characters, a Unix From line, continuations (first, too), an empty name,
# 8-bit bytes, and the characters str.splitlines() would split at.
_NAME = st.sampled_from([b"Subject", b"From", b"X-A", b"content-type", b"", b"A b", b"To", b"X\x7f"])
_VALUE = st.lists(st.sampled_from([b"hi", b" ", b"\t", b":", b"\xc3\xa9", b"\xff", b"\x0b", b"\x0c", b"\x1c",
                                   b"=?utf-8?q?J=C3=BCrgen?=", b"a@example.com", b";", b'"']), max_size=6).map(b"".join)
_END = st.sampled_from([b"\r\n", b"\n", b"\r", b"\r\r\n"])
_LINE = st.one_of(
    st.tuples(_NAME, st.sampled_from([b":", b": ", b":\t"]), _VALUE, _END).map(b"".join),
    st.tuples(st.sampled_from([b" ", b"\t"]), _VALUE, _END).map(b"".join),       # a continuation
    st.tuples(st.just(b"From "), _VALUE, _END).map(b"".join),                     # a Unix From line
)


@settings(max_examples=500, suppress_health_check=list(HealthCheck))
@given(st.lists(_LINE, max_size=8), st.sampled_from([b"", b"x", b"y\r\n"]))
def test_header_lines_are_read_as_emails_parser_reads_them(lines, tail):
    block = b"".join(lines) + tail
    fast, reference = mimetree.parse_headers(block), _REFERENCE_HEADERS.parsebytes(block)
    assert fast.items() == reference.items()
    assert fast.get_unixfrom() == reference.get_unixfrom()
    assert fast.get_payload() == reference.get_payload()


_BODY = st.lists(st.sampled_from([b"line", b"", b".dot", b"caf\xc3\xa9", b"=3D", b"a=\r\n", b"\xff", b"aGVsbG8=",
                                  b"\r", b" trailing "]), max_size=6)
_ENCODING = st.sampled_from([None, b"7bit", b"8bit", b"binary", b"base64", b"quoted-printable", b"Base64", b"x-uue"])


@st.composite
def _message(draw) -> bytes:
    """A multipart message of leaves with every transfer encoding (and
    none), line ends of all kinds, bodies with or without a last line end."""
    end = draw(_END)
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        encoding = draw(_ENCODING)
        head = [b"Content-Type: " + draw(st.sampled_from([b"text/plain", b"text/html", b"application/pdf"]))]
        if encoding is not None:
            head.append(b"Content-Transfer-Encoding: " + encoding)
        body = end.join(draw(_BODY))
        parts.append(end.join(head) + end + end + body)
    delimiter = end + b"--b" + end
    closing = draw(st.sampled_from([end + b"--b--" + end, end + b"--b--", b""]))
    return (b"From: a@example.com" + end + b'Content-Type: multipart/mixed; boundary="b"' + end + end
            + b"--b" + end + delimiter.join(parts) + closing)


@settings(max_examples=400, suppress_health_check=list(HealthCheck))
@given(st.one_of(_message(), st.tuples(st.sampled_from([b"", b"Content-Transfer-Encoding: base64\r\n"]),
                                      st.lists(st.sampled_from([b"x", b"\r\n", b"\n", b"QUJD"]), max_size=8))
                 .map(lambda found: b"Subject: s\r\n" + found[0] + b"\r\n" + b"".join(found[1]))))
def test_a_leafs_content_is_what_get_payload_decodes(raw):
    for leaf in mimetree.leaves(raw):
        reference = mimetree.parse_part(raw[leaf.start:leaf.end], leaf.strip).get_payload(decode=True)
        assert mimetree.content(raw, leaf) == (reference if isinstance(reference, bytes) else b"")


def test_a_bounded_content_is_whole_lines_from_the_start():
    raw = b"Subject: s\r\n\r\n" + b"".join(b"line %d\r\n" % number for number in range(1000))
    [leaf] = mimetree.leaves(raw)
    whole = mimetree.content(raw, leaf)
    bounded = mimetree.content(raw, leaf, 100)
    assert whole.startswith(bounded) and bounded.endswith(b"\r\n") and 80 < len(bounded) <= 100


def _reference_search_text(subject: str, body: str) -> str:
    """The search text as the store built it before its bytes path: the
    stdlib's regex, split and lower over the whole text."""
    searchable = " ".join(["", "", "", "", "", subject, "", body.replace("\r\n", "\n")[:mailview.SEARCH_TEXT_LIMIT]])
    return " ".join(re.sub(r"[\r\n\t<>\",;]", " ", searchable).split()).lower()


# Every ASCII character a body can hold (NUL to DEL but CR and LF alone,
# which end lines), and a few that are not ASCII (the str path).
_TEXT = st.lists(st.sampled_from([chr(code) for code in range(1, 128) if chr(code) not in "\r\n"]
                                 + ["\r\n", "\r\n", " ", "  ", "é", "\u00a0", "\u2028", "K"]), max_size=60).map("".join)
_SUBJECT = _TEXT.map(lambda text: text.replace("\r\n", " "))


@settings(max_examples=500, suppress_health_check=list(HealthCheck))
@given(_SUBJECT, _TEXT)
def test_the_search_text_is_the_same_on_the_bytes_path(subject, body):
    raw = f"Subject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode()
    parsed = mailview.index_fields(raw, b"")
    message = mimetree.parse_headers(raw[:mimetree.headers_end(raw)])
    assert parsed["search_text"] == _reference_search_text(mailview._decoded(message["Subject"]), body)


def _reference_snippet(body: str) -> str:
    source = " ".join(body.replace("\r\n", "\n")[:mailview.SNIPPET_LENGTH * 16].split())
    return source if len(source) <= mailview.SNIPPET_LENGTH else source[:mailview.SNIPPET_LENGTH].rstrip() + "..."


def test_a_body_of_line_ends_is_searched_as_far_as_before():
    # The text is converted only as far as the index reads it: 2n + 2
    # characters for n; a body of CRLFs is the case where that is tight.
    for body in ("\r\n" * mailview.SEARCH_TEXT_LIMIT + "late words",
                 "x\r\n" * (mailview.SEARCH_TEXT_LIMIT // 2 - 1) + "edge\r\n" + "after " * 10,
                 "\r\n" * 3000 + "snippet text"):
        fields = mailview.index_fields(f"Subject: s\r\n\r\n{body}".encode(), b"")
        assert fields["search_text"] == _reference_search_text("s", body)
        assert fields["snippet"] == _reference_snippet(body)


def _search_count(server, words: str) -> int:
    return get_json(server, "/api/v1/search?query=" + urllib.parse.quote(words))["messages_count"]


def test_a_huge_text_part_is_searched_as_far_as_its_first_encoded_mebibyte_and_shown_whole(catcher):
    # Quoted-printable euro signs: 9 encoded bytes a character, so the
    # first SEARCH_SOURCE_LIMIT bytes hold far fewer than SEARCH_TEXT_LIMIT
    # characters: the source bound, not the text bound, ends the search
    # text.  The message's Text stays whole.
    line = b"=E2=82=AC" * 8 + b"=\r\n"
    lines = mailview.SEARCH_SOURCE_LIMIT // len(line) + 100
    text = b"opening aardvark\r\n" + line * lines + b"\r\nclosing zebu\r\n"
    assert lines * 8 < mailview.SEARCH_TEXT_LIMIT  # zebu is within the text bound
    raw = (b"From: a@example.com\r\nSubject: huge\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + text)
    smtp(catcher, ("a@example.com", ["b@example.com"], raw))
    [summary] = get_json(catcher, "/api/v1/messages")["messages"]
    assert summary["Snippet"].startswith("opening aardvark \u20ac\u20ac")
    assert _search_count(catcher, "aardvark") == 1
    assert _search_count(catcher, "zebu") == 0  # past the search source: not searched
    message = get_json(catcher, f"/api/v1/message/{summary['ID']}")
    assert message["Text"] == "opening aardvark\n" + "\u20ac" * 8 * lines + "\nclosing zebu\n"


def test_a_huge_plain_text_is_searched_as_far_as_the_text_bound(catcher):
    filler = b"filler words for the middle of a long text\r\n"
    text = b"opening aardvark\r\n" + filler * (2 * mailview.SEARCH_TEXT_LIMIT // len(filler)) + b"closing zebu\r\n"
    smtp(catcher, ("a@example.com", ["b@example.com"], b"Subject: long\r\n\r\n" + text))
    assert (_search_count(catcher, "aardvark"), _search_count(catcher, "zebu")) == (1, 0)
    [summary] = get_json(catcher, "/api/v1/messages")["messages"]
    assert get_json(catcher, f"/api/v1/message/{summary['ID']}")["Text"] == text.decode().replace("\r\n", "\n")


def test_a_rebuilt_index_keeps_the_arrival_order_of_files_of_one_mtime(make_catcher, tmp_path):
    # Files written within one tick of the kernel's clock share an mtime:
    # their keys give the order then, not the folder's listing order.
    first = make_catcher()
    subjects = [f"message {number}" for number in range(8)]
    smtp(first, *(("a@example.com", ["b@example.com"], f"Subject: {subject}\r\n\r\nbody\r\n".encode())
                  for subject in subjects))
    first.stop()
    folder = tmp_path / "mail"
    forget_index(folder)
    for name in os.listdir(folder / "new"):
        os.utime(folder / "new" / name, ns=(1_700_000_000_000_000_000,) * 2)
    second = make_catcher()
    listed = get_json(second, "/api/v1/messages")["messages"]
    assert [summary["Subject"] for summary in listed] == subjects[::-1]
