"""The catcher's store, search and parsing under a hostile sender or a
hostile neighbour (issue 21: findings 1, 4, 5, 9, 18, 22).

Each test names the finding it pins down.  Servers are real: the dev server
with its HTTP side on loopback, messages sent over SMTP.
"""

from __future__ import annotations

import base64
import email
import email.parser
import hashlib
import html.parser
import contextlib
import json
import logging
import os
import smtplib
import sqlite3
import stat
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtp_core import send_many
from smtp_core.devserver import DevServer
from smtp_core.devserver.mailbox import mailview, mimetree
from smtp_core.devserver.mailbox import search as search_syntax
from smtp_core.devserver.mailbox import maildir
from smtp_core.devserver.web import linkcheck
from smtp_core.devserver.mailbox.htmltext import MARKUP_LIMIT, html_text
from smtp_core.devserver.mailbox.received import ReceivedMessage
from smtp_core.devserver.mailbox.search import MAX_QUERY_LENGTH, MAX_TERMS
from smtp_core.devserver.mailbox.store import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PARTS, INDEX_NAME, MailStore

from catcher_http import call, fetch, forget_index
from cli_process import refusal

T = 10.0
PLAIN = b"From: a@example.com\r\nSubject: plain\r\n\r\nhello\r\n"


def add(store: MailStore, raw: bytes = PLAIN) -> dict:
    return store.add(raw, envelope_from="a@example.com", envelope_to=["b@example.com"])


# --------------------------------------------------------------------------
# Finding 9: the index is private, even in a folder made by an older version
# --------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_index_and_its_wal_files_are_0600_in_a_new_folder(tmp_path):
    store = MailStore(tmp_path / "mail")
    try:
        add(store)
        index = tmp_path / "mail" / INDEX_NAME
        files = [index, index.with_name(INDEX_NAME + "-wal"), index.with_name(INDEX_NAME + "-shm")]
        assert all(path.exists() for path in files)
        assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        store.close()


def test_an_existing_world_readable_index_is_made_private(tmp_path):
    folder = tmp_path / "mail"
    store = MailStore(folder)
    add(store)
    store.close()
    index = folder / INDEX_NAME
    # As an older version (or a umask of 022) left them, WAL files included.
    for name in (INDEX_NAME, INDEX_NAME + "-wal", INDEX_NAME + "-shm"):
        (folder / name).touch()
        os.chmod(folder / name, 0o644)
    store = MailStore(folder)
    try:
        assert [found["Subject"] for found in store.summaries()] == ["plain"]
        add(store)
        for name in (INDEX_NAME, INDEX_NAME + "-wal", INDEX_NAME + "-shm"):
            assert _mode(folder / name) == 0o600, name
        assert _mode(index) == 0o600
    finally:
        store.close()


def test_a_symlinked_index_is_refused(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere.sqlite3"
    elsewhere.write_bytes(b"")
    (folder / INDEX_NAME).symlink_to(elsewhere)
    with pytest.raises(OSError):
        MailStore(folder)
    assert elsewhere.read_bytes() == b""


# --------------------------------------------------------------------------
# Finding 18: links and directories planted in the Maildir
# --------------------------------------------------------------------------


def test_a_symlink_in_new_is_neither_indexed_nor_served(tmp_path, caplog):
    folder = tmp_path / "mail"
    MailStore(folder).close()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"Subject: the secret\n\ntop secret\n")
    (folder / "new" / "1700000000.M1P1Q1.planted").symlink_to(secret)
    (folder / "cur" / "1700000000.M1P1Q2.planted:2,S").symlink_to(secret)
    with caplog.at_level(logging.WARNING, logger="smtp_core.devserver.mailbox.store"):
        store = MailStore(folder)
    try:
        assert store.summaries() == []
        assert store.search("secret")[1] == 0
        assert sum("not a regular file" in record.getMessage() for record in caplog.records) == 2
        add(store)  # and the store works as ever
        assert [found["Subject"] for found in store.summaries()] == ["plain"]
    finally:
        store.close()


def test_a_message_file_swapped_for_a_symlink_is_not_followed(tmp_path):
    folder = tmp_path / "mail"
    store = MailStore(folder)
    try:
        summary = add(store)
        [name] = os.listdir(folder / "new")
        secret = tmp_path / "secret.txt"
        secret.write_bytes(b"top secret\n")
        os.unlink(folder / "new" / name)
        (folder / "new" / name).symlink_to(secret)
        with pytest.raises(OSError):
            store.raw(summary["ID"])
    finally:
        store.close()


def test_a_directory_planted_in_new_or_cur_does_not_stop_the_store(tmp_path, caplog):
    folder = tmp_path / "mail"
    store = MailStore(folder)
    add(store)
    store.close()
    (folder / "new" / "1700000000.M1P1Q1.dir").mkdir()
    (folder / "cur" / "1700000000.M1P1Q2.dir:2,").mkdir()
    forget_index(folder)  # make it re-index everything
    with caplog.at_level(logging.WARNING, logger="smtp_core.devserver.mailbox.store"):
        store = MailStore(folder)
    try:
        assert [found["Subject"] for found in store.summaries()] == ["plain"]
        assert sum("not a regular file" in record.getMessage() for record in caplog.records) == 2
    finally:
        store.close()


# --------------------------------------------------------------------------
# Findings 4 and 22: hostile searches get a clear 400 or an answer, never a 500
# --------------------------------------------------------------------------


def _get(url: str, method: str = "GET") -> "tuple[int, bytes]":
    """``(status, body)`` of one request to a URL of the catcher."""
    status, _, body = fetch(url, method)
    return status, body


def _search(server, query: str, method: str = "GET") -> "tuple[int, bytes]":
    return _get(server.url + "api/v1/search?" + urllib.parse.urlencode({"query": query}), method)


def _send(server, *messages: bytes) -> None:
    results = send_many(f"{server.host}:{server.port}",
                        (("a@example.com", ["b@example.com"], message) for message in messages),
                        tls="none", timeout=T)
    assert all(not isinstance(result, BaseException) for result in results), results


@pytest.fixture
def stocked(make_catcher):
    server = make_catcher()
    _send(server, PLAIN, b"From: c@example.com\r\nSubject: other\r\n\r\nbye\r\n")
    return server


def test_too_many_terms_is_a_400_naming_the_limit(stocked):
    # Short terms: aiohttp itself refuses a request line over 8 KiB.
    status, body = _search(stocked, " ".join(["-a"] * 990))
    assert (status, body.decode()) == (400, f"Error: too many search terms: 990 (at most {MAX_TERMS})")
    status, body = _search(stocked, " ".join(["-x"] * 1500), "DELETE")
    assert status == 400 and b"too many search terms" in body
    assert len(json.loads(_get(stocked.url + "api/v1/messages")[1])["messages"]) == 2  # nothing deleted
    # The limit itself is allowed.
    status, body = _search(stocked, " ".join(f"-word{number}" for number in range(MAX_TERMS)))
    assert status == 200 and json.loads(body)["messages_count"] == 2


def test_an_overlong_query_is_a_400_naming_the_limit(stocked):
    status, body = _search(stocked, "x" * (MAX_QUERY_LENGTH + 1))
    assert status == 400
    assert body.decode() == f"Error: search query too long: {MAX_QUERY_LENGTH + 1} characters (at most {MAX_QUERY_LENGTH})"


@pytest.mark.parametrize("query, matches", [
    ("larger:99999999999999999999", 0),
    ("larger:" + "9" * 400, 0),
    ("larger:99999999999999999999m", 0),
    ("smaller:99999999999999999999", 2),
    ("-larger:99999999999999999999", 2),
    ("after:0001-01-01", 2),
    ("before:0001-01-01", 0),  # the calendar's first day: nothing came before it (on every Python)
    ("after:9999-12-31T23:59:59", 0),
])
def test_extreme_sizes_and_dates_answer_never_a_500(stocked, query, matches):
    status, body = _search(stocked, query)
    assert status == 200, body
    assert json.loads(body)["messages_count"] == matches


# --------------------------------------------------------------------------
# Finding 5 (and 22's nesting): MIME parts are capped at intake, parsed once,
# and served by offset
# --------------------------------------------------------------------------


def many_parts(count: int, *, attachment: bytes = b"x") -> bytes:
    """A multipart/mixed message with ``count`` parts: a text part, then
    named attachments."""
    parts = [b"--b\r\nContent-Type: text/plain\r\n\r\nthe text\r\n"]
    for number in range(1, count):
        parts.append(b"--b\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Disposition: attachment; filename=\"f%d.bin\"\r\n\r\n" % number + attachment + b"\r\n")
    return (b"From: a@example.com\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + b"".join(parts) + b"--b--\r\n")


def nested(depth: int, *, leaf: bytes = b"deep text") -> bytes:
    """A message whose text sits ``depth`` multiparts deep."""
    message = b"Content-Type: text/plain\r\n\r\n" + leaf + b"\r\n"
    for level in range(depth, 0, -1):
        boundary = b"level%d" % level
        message = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n"
                   + message + b"--" + boundary + b"--\r\n")
    return b"From: a@example.com\r\nSubject: nested\r\n" + message


def smtp_data(server, *messages: bytes) -> list:
    """Each message's DATA reply, all on one connection."""
    replies = []
    with smtplib.SMTP(server.host, server.port, timeout=T) as client:
        client.ehlo()
        for message in messages:
            client.mail("a@example.com")
            client.rcpt("b@example.com")
            code, text = client.data(message)
            replies.append((code, text.decode()))
    return replies


def test_too_many_parts_is_refused_with_552_and_the_next_message_is_fine(make_catcher):
    server = make_catcher()
    replies = smtp_data(server, many_parts(DEFAULT_MAX_PARTS + 1), PLAIN, many_parts(DEFAULT_MAX_PARTS))
    assert replies[0] == (552, f"5.3.4 Message refused: message has more than {DEFAULT_MAX_PARTS} MIME parts"
                               f" (the limit is {DEFAULT_MAX_PARTS})")
    assert replies[1][0] == 250 and replies[2][0] == 250
    assert [found["Subject"] for found in server.store.summaries()] == ["many", "plain"]


def test_nesting_deeper_than_the_limit_is_refused_with_552(make_catcher):
    server = make_catcher()
    replies = smtp_data(server, nested(DEFAULT_MAX_DEPTH + 1), nested(DEFAULT_MAX_DEPTH))
    assert replies[0] == (552, f"5.3.4 Message refused: MIME parts nested more than {DEFAULT_MAX_DEPTH} levels deep"
                               f" (the limit is {DEFAULT_MAX_DEPTH})")
    assert replies[1][0] == 250
    [summary] = server.store.summaries()
    assert summary["Snippet"] == "deep text"


def test_the_limits_are_set_on_the_dev_server(make_catcher):
    server = make_catcher(max_mime_parts=5, max_mime_depth=2)
    replies = smtp_data(server, many_parts(6), many_parts(5), nested(3), nested(2))
    assert [code for code, _ in replies] == [552, 250, 552, 250]
    assert "more than 5 MIME parts" in replies[0][1] and "more than 2 levels" in replies[2][1]
    with pytest.raises(ValueError, match="max_mime_parts must be >= 1"):
        DevServer(max_mime_parts=0)


@pytest.mark.parametrize("arguments, complaint", [
    (["--max-mime-parts", "0"], "--max-mime-parts must be >= 1, got 0"),
    (["--max-mime-depth", "-1"], "--max-mime-depth must be >= 1, got -1"),
])
def test_the_limits_are_command_line_options(arguments, complaint, tmp_path):
    assert complaint in refusal("--maildir", str(tmp_path), *arguments)


def test_deep_nesting_costs_no_recursion(tmp_path):
    # The scan is a loop, not a recursion: a limit set far above Python's
    # recursion depth is the limit, not a RecursionError.
    store = MailStore(tmp_path / "mail", max_depth=5000, max_parts=5000)
    try:
        summary = add(store, nested(3000))
        assert summary["Snippet"] == "deep text"
        assert store.message(summary["ID"])["Text"] == "deep text"
    finally:
        store.close()


class _Counting:
    """Wraps mimetree's two parsing steps and records what they were given."""

    def __init__(self, monkeypatch):
        self.scans = 0
        self.parsed: list = []
        original_leaves, original_parse = mimetree.leaves, mimetree.parse_part

        def leaves(data, **limits):
            self.scans += 1
            return original_leaves(data, **limits)

        def parse_part(data, strip):
            self.parsed.append(len(data))
            return original_parse(data, strip)

        monkeypatch.setattr(mimetree, "leaves", leaves)
        monkeypatch.setattr(mimetree, "parse_part", parse_part)


def test_a_part_is_served_from_its_own_bytes_without_parsing_the_message(make_catcher, monkeypatch):
    server = make_catcher()
    attachment = bytes(range(256)) * 64  # 16 KiB, base64 on the wire
    encoded = base64.encodebytes(attachment).replace(b"\n", b"\r\n")
    raw = many_parts(200).replace(b"--b--\r\n", b"--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
                                  b"Content-Disposition: attachment; filename=last.png\r\n\r\n" + encoded + b"--b--\r\n")
    _send(server, raw)
    [summary] = server.store.summaries()
    counting = _Counting(monkeypatch)
    base = server.url + f"api/v1/message/{summary['ID']}"
    status, body = _get(base + "/part/201")
    assert status == 200 and body == attachment
    status, body = _get(base + "/part/100")
    assert status == 200 and body == b"x"
    status, listing = _get(base)
    assert status == 200
    message = json.loads(listing)
    assert message["Text"] == "the text" and len(message["Attachments"]) == 200
    assert message["Attachments"][-1]["Size"] == len(attachment)
    assert message["Attachments"][-1]["Checksums"]["SHA256"] == hashlib.sha256(attachment).hexdigest()
    # No request scanned the message's structure again, and each read only
    # its part (the listing: the text part; attachments are in the table).
    assert counting.scans == 0
    small, text, large = sorted(counting.parsed)
    assert small < 200 and text < 200 and large < len(encoded) + 200


def test_message_json_stays_proportional_at_the_part_limit(make_catcher):
    server = make_catcher()
    raw = many_parts(DEFAULT_MAX_PARTS)
    _send(server, raw)
    [summary] = server.store.summaries()
    status, body = _get(server.url + f"api/v1/message/{summary['ID']}")
    assert status == 200
    message = json.loads(body)
    assert len(message["Attachments"]) == DEFAULT_MAX_PARTS - 1
    assert "Span" not in message["Attachments"][0]  # the table's offsets stay inside
    assert len(body) < 500 * DEFAULT_MAX_PARTS


def test_an_index_made_before_part_tables_gets_them_on_first_use(tmp_path):
    folder = tmp_path / "mail"
    store = MailStore(folder)
    summary = add(store, many_parts(3))
    store.close()
    # sqlite3's own "with" commits but does not close (3.13 warns of that).
    with contextlib.closing(sqlite3.connect(folder / INDEX_NAME)) as database, database:
        database.execute("ALTER TABLE messages DROP COLUMN parts")
    store = MailStore(folder)
    try:
        assert store.part(summary["ID"], "2") == ("application/octet-stream", "f1.bin", b"x")
        assert store.message(summary["ID"])["Text"] == "the text"
    finally:
        store.close()


def test_a_message_over_the_limits_found_in_the_folder_is_indexed_without_parts(tmp_path, caplog):
    folder = tmp_path / "mail"
    MailStore(folder).close()
    (folder / "new" / "1700000000.M1P1Q1.copied").write_bytes(many_parts(20).replace(b"\r\n", b"\n"))
    with caplog.at_level(logging.WARNING, logger="smtp_core.devserver.mailbox.store"):
        store = MailStore(folder, max_parts=10)
    try:
        [summary] = store.summaries()
        assert summary["Subject"] == "many" and summary["Attachments"] == 0
        assert store.message(summary["ID"])["Attachments"] == []
        assert any("more than 10 MIME parts" in record.getMessage() for record in caplog.records)
    finally:
        store.close()


# The part table is only as good as its agreement with the email package,
# which parsed every message before: the same leaves, IDs, headers and
# decoded payloads, for well-formed and broken structures alike.

_EOLS = st.sampled_from([b"\r\n", b"\n", b"\r"])
_NOISE = st.one_of(
    st.sampled_from([b"", b"text", b"--b", b"--b--", b"--bb", b"--bb--", b"--b1 ", b"--bx", b" --b", b"--b \t",
                     b"X: y", b"Content-Type: text/html", b"=41=", b"aGVsbG8=", b"From x"]),
    st.binary(max_size=6).map(lambda data: data.replace(b"\r", b"").replace(b"\n", b"")),
)


@st.composite
def _lines(draw, most=4):
    return b"".join(draw(_NOISE) + draw(_EOLS) for _ in range(draw(st.integers(0, most))))


@st.composite
def _entity(draw, depth=0):
    eol = draw(_EOLS)
    kind = draw(st.sampled_from(["leaf", "multipart", "message"] if depth < 4 else ["leaf"]))
    if kind == "leaf":
        headers = []
        content_type = draw(st.sampled_from([None, b"text/plain", b"text/html", b"application/pdf; name=a.pdf",
                                             b"multipart/mixed", b"multipart/mixed; boundary=b"]))
        if content_type:
            headers.append(b"Content-Type: " + content_type)
        if draw(st.booleans()):
            headers.append(b"Content-Transfer-Encoding: "
                           + draw(st.sampled_from([b"base64", b"quoted-printable", b"8bit"])))
        if draw(st.booleans()):
            headers.append(b"Content-Disposition: attachment; filename=x.txt")
        return b"".join(header + eol for header in headers) + draw(st.sampled_from([eol, b""])) + draw(_lines())
    if kind == "message":
        return b"Content-Type: message/rfc822" + eol + eol + draw(_entity(depth + 1))
    boundary = draw(st.sampled_from([b"b", b"bb", b"b1"]))
    subtype = draw(st.sampled_from([b"mixed", b"related", b"alternative", b"digest"]))
    out = b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"' + eol + eol + draw(_lines(2))
    for _ in range(draw(st.integers(0, 3))):
        out += (b"--" + boundary + draw(st.sampled_from([b"", b" ", b"--"])) + draw(_EOLS)
                + draw(_entity(depth + 1)) + draw(_EOLS))
    if draw(st.booleans()):
        out += b"--" + boundary + b"--" + draw(_EOLS) + draw(_lines(2))
    return out


def _email_leaves(raw: bytes) -> list:
    found = []

    def walk(part, prefix, related):
        if part.is_multipart():
            related = related or part.get_content_subtype() == "related"
            for number, child in enumerate(part.get_payload(), 1):
                walk(child, f"{prefix}.{number}" if prefix else str(number), related)
        else:
            found.append((prefix or "1", related, part.get_content_type(), part.items(),
                          part.get_payload(decode=True)))

    walk(email.parser.BytesParser(policy=mimetree.RAW_HEADERS).parsebytes(raw), "", False)
    return found


def _table_leaves(raw: bytes) -> list:
    found = []
    for leaf in mimetree.leaves(raw, max_parts=10 ** 6, max_depth=10 ** 3):
        part = mimetree.parse_part(raw[leaf.start:leaf.end], leaf.strip)
        found.append((leaf.part_id, leaf.in_related, leaf.headers.get_content_type(), part.items(),
                      part.get_payload(decode=True)))
    return found


@settings(max_examples=400, suppress_health_check=list(HealthCheck))
@given(_entity(), st.binary(max_size=3))
def test_the_part_table_finds_the_parts_the_email_package_finds(entity, tail):
    raw = b"From: a@example.com\r\n" + entity + tail
    assert _table_leaves(raw) == _email_leaves(raw)


# --------------------------------------------------------------------------
# Finding 1: HTML text in linear time
# --------------------------------------------------------------------------


def html_message(markup: str) -> bytes:
    """An HTML message; lines of 840 characters (SMTP allows 1000), cut
    between the repeated units of the markup below."""
    lines = [markup[start:start + 840].encode() for start in range(0, len(markup), 840)]
    return (b"From: a@example.com\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + b"\r\n".join(lines) + b"\r\n")


#: The audit's body (256 KiB of repeated <script>, quadratic for the old
#: regex: 61 s) and the constructs Python 3.11's html.parser is quadratic on.
HOSTILE_MARKUP = {
    "script": "<p>before</p>".ljust(840) + "<script>" * (256 * 1024 // 8),
    "unclosed tag": "<p>before</p>".ljust(840) + "<a " * (256 * 1024 // 3),
    "unclosed comment": "<p>before</p>".ljust(840) + "<!--" * (256 * 1024 // 4),
    "unclosed attribute": "<p>before</p>".ljust(840) + '<a b="' * (256 * 1024 // 6),
    "unclosed end tags": "<p>before</p>".ljust(840) + "</a " * (256 * 1024 // 4),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_MARKUP))
def test_hostile_markup_gives_its_text(name):
    # Markup cut off by the end ends the text, as in a browser.
    assert " ".join(html_text(HOSTILE_MARKUP[name]).split()) == "before"


def test_html_text_keeps_the_rules_of_the_old_regex():
    assert html_text("<div>one</div><span>two</span><br/>three") == " one two three"
    assert html_text("<HEAD><title>x</title></HEAD><BODY>Hi &eacute;t&#233;</BODY>") == " Hi été"
    assert html_text("<style>p { color: red }</style>a<script type=x>b</script >c") == " a c"
    assert html_text("a < b and c > d") == "a < b and c > d"
    assert html_text("<img alt='>'>x") == "x"
    assert len(html_text("x" * (MARKUP_LIMIT + 10))) == MARKUP_LIMIT


def test_the_audits_script_body_is_stored_with_its_snippet(make_catcher):
    server = make_catcher()
    assert smtp_data(server, html_message(HOSTILE_MARKUP["script"]))[0][0] == 250
    [summary] = server.store.summaries()
    assert summary["Snippet"] == "before"


# --------------------------------------------------------------------------
# Nothing holds up the event loop: while the worst case is being parsed or
# searched, another client's GET /api/v1/info and SMTP NOOP are answered
# --------------------------------------------------------------------------


class Gate:
    """Holds every call of ``module.name`` until released, so that a test
    knows the slow work is still going on while it asks something else.  On
    the event loop, that hold would stall the loop; off it, nothing else waits."""

    def __init__(self, monkeypatch, module, name: str):
        self.entered = threading.Event()
        self.release = threading.Event()
        original = getattr(module, name)

        def held(*arguments, **keywords):
            self.entered.set()
            self.release.wait(T)
            return original(*arguments, **keywords)

        monkeypatch.setattr(module, name, held)


def answered_meanwhile(server, gate: Gate, slow) -> dict:
    """Run ``slow()`` on a thread; once it is inside the gate, ask for the
    info and send a NOOP on another connection; return the latencies (s)
    and what ``slow`` returned."""
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("slow", slow()), daemon=True)
    worker.start()
    try:
        assert gate.entered.wait(T), "the slow request never reached its parsing"
        started = time.monotonic()
        with urllib.request.urlopen(server.url + "api/v1/info", timeout=3) as response:
            assert response.status == 200
        outcome["info"] = time.monotonic() - started
        started = time.monotonic()
        with smtplib.SMTP(server.host, server.port, timeout=3) as client:
            assert client.noop()[0] == 250
        outcome["noop"] = time.monotonic() - started
        assert not gate.release.is_set() and worker.is_alive()  # still held: it was meanwhile
    finally:
        gate.release.set()
        worker.join(T)
    return outcome


def test_intake_of_the_worst_html_leaves_the_loop_free(make_catcher, monkeypatch):
    server = make_catcher()
    gate = Gate(monkeypatch, mailview, "index_fields")
    outcome = answered_meanwhile(server, gate, lambda: smtp_data(server, html_message(HOSTILE_MARKUP["script"])))
    assert outcome["slow"][0][0] == 250
    print(f"intake: info {outcome['info'] * 1000:.1f} ms, NOOP {outcome['noop'] * 1000:.1f} ms")


def test_intake_of_many_parts_leaves_the_loop_free(make_catcher, monkeypatch):
    server = make_catcher()
    gate = Gate(monkeypatch, mimetree, "leaves")
    outcome = answered_meanwhile(server, gate, lambda: smtp_data(server, many_parts(DEFAULT_MAX_PARTS)))
    assert outcome["slow"][0][0] == 250


def test_the_longest_search_leaves_the_loop_free(make_catcher, monkeypatch):
    server = make_catcher()
    _send(server, *(html_message("<p>body %d</p>" % number) for number in range(20)))
    gate = Gate(monkeypatch, search_syntax, "to_sql")
    query = " ".join(f"-absent{number}" for number in range(MAX_TERMS))
    outcome = answered_meanwhile(server, gate, lambda: _search(server, query))
    status, body = outcome["slow"]
    assert status == 200 and json.loads(body)["messages_count"] == 20


@pytest.mark.parametrize("path", ["api/v1/message/{id}", "view/{id}.html", "api/v1/message/{id}/part/500",
                                  "api/v1/message/{id}/raw", "api/v1/message/{id}/headers"])
def test_reading_a_many_part_message_leaves_the_loop_free(make_catcher, monkeypatch, path):
    server = make_catcher()
    _send(server, many_parts(DEFAULT_MAX_PARTS))
    [summary] = server.store.summaries()
    # Every read of a stored message goes through the Maildir folder's file reading.
    gate = Gate(monkeypatch, maildir, "read_regular")
    outcome = answered_meanwhile(server, gate, lambda: _get(server.url + path.format(id=summary["ID"])))
    assert outcome["slow"][0] == 200


# --------------------------------------------------------------------------
# The same class, found while sweeping: header parsing that recursed or
# rescanned without bound
# --------------------------------------------------------------------------


def folded(unit: str, lines: int = 20) -> bytes:
    """A header value of ``unit`` repeated, folded into 500-character lines."""
    return "\r\n ".join([unit * (500 // len(unit))] * lines).encode()


def test_address_headers_the_parser_cannot_follow_still_store(make_catcher):
    # email.utils.getaddresses recurses once per "(" and per ":": a
    # RecursionError made the message unstorable (451 for ever).
    server = make_catcher()
    raw = (b"From: " + folded("(") + b"\r\nTo: " + folded(":") + b"\r\nCc: c@example.com\r\n"
           b"Subject: deep\r\n\r\nbody\r\n")
    assert smtp_data(server, raw)[0][0] == 250
    [summary] = server.store.summaries()
    assert summary["From"] == {"Name": "", "Address": ""} and summary["To"] == []
    assert summary["Cc"] == [{"Name": "", "Address": "c@example.com"}]
    status, body = _get(server.url + f"api/v1/message/{summary['ID']}")
    assert status == 200 and json.loads(body)["Subject"] == "deep"


def test_list_unsubscribe_links_cannot_nest(make_catcher):
    # "<" inside a link made the old pattern rescan from every "<".
    server = make_catcher()
    raw = (b"From: a@example.com\r\nSubject: links\r\nList-Unsubscribe: " + folded("<")
           + b" <https://example.com/u>, <mailto:u@example.com>\r\n\r\nbody\r\n")
    _send(server, raw)
    [summary] = server.store.summaries()
    message = json.loads(_get(server.url + f"api/v1/message/{summary['ID']}")[1])
    assert message["ListUnsubscribe"]["Links"] == ["https://example.com/u", "mailto:u@example.com"]


def test_mime_parameters_are_read_from_a_bounded_value():
    # The stdlib rescans a parameter list from its start at every ";".
    hostile = 'application/pdf; name="a' + ";" * 50000 + '"; x=y'
    bounded = mimetree.RAW_HEADERS.header_fetch_parse("Content-Type", hostile)
    assert len(bounded) <= mimetree.PARAMETER_TEXT_LIMIT and bounded.count(";") <= mimetree.PARAMETER_LIMIT
    assert bounded.startswith('application/pdf; name="a;')
    ordinary = 'text/plain; charset="utf-8"; format=flowed'
    assert mimetree.RAW_HEADERS.header_fetch_parse("content-type", ordinary) == ordinary
    raw = (b"From: a@example.com\r\nSubject: params\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: " + folded(";").replace(b"\r\n ;", b"\r\n x;", 1) + b"\r\n\r\ntext\r\n--b\r\n"
           b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"r" + folded(";")
           + b'"\r\n\r\npdf\r\n--b--\r\n')
    fields = mailview.index_fields(raw, b"")
    assert fields["attachments"] == 1 and fields["subject"] == "params"


# --------------------------------------------------------------------------
# Spans: the bytes read back are the received bytes, whatever the line ends
# (the file has LF; a message LF cannot restore keeps its bytes in the index)
# --------------------------------------------------------------------------


def _attachment_message(eol: bytes) -> bytes:
    lines = [b"From: a@example.com", b"Subject: spans", b"Content-Type: multipart/mixed; boundary=b", b"",
             b"--b", b"Content-Type: text/html", b"", b"<p>one\r\r</p>", b"two", b"--b",
             b"Content-Type: application/octet-stream", b"Content-Disposition: attachment; filename=a.bin",
             b"", b"line 1\rstill 1", b"line 2", b"", b"--b--", b""]
    return eol.join(lines)


@pytest.mark.parametrize("eol", [b"\r\n", b"\n", b"mixed"], ids=["crlf", "bare-lf", "mixed"])
def test_parts_and_bodies_read_back_as_the_email_package_parses_them(tmp_path, eol):
    # Lone CRs inside lines in every case; "mixed": CRLF but one bare LF.
    raw = _attachment_message(eol) if eol != b"mixed" else _attachment_message(b"\r\n").replace(b"two\r\n", b"two\n")
    parsed = email.parser.BytesParser(policy=mimetree.RAW_HEADERS).parsebytes(raw)
    html_part, attachment = parsed.get_payload()
    store = MailStore(tmp_path / "mail")
    try:
        summary = add(store, raw)
        assert store.received_bytes(summary["ID"]) == raw
        message = store.message(summary["ID"])
        assert message["HTML"] == html_part.get_payload(decode=True).decode().replace("\r\n", "\n")
        assert store.part(summary["ID"], "2") == ("application/octet-stream", "a.bin",
                                                  attachment.get_payload(decode=True))
        assert message["Attachments"][0]["Size"] == len(attachment.get_payload(decode=True))
    finally:
        store.close()


def test_the_link_check_reads_hostile_html_and_text_linearly(monkeypatch):
    # The link check parsed HTML with html.parser (quadratic on unclosed
    # tags before Python 3.11.13) and bracketed text links with a pattern
    # that rescanned from every "<http".
    def refuse(*_arguments):
        raise AssertionError("html.parser is quadratic on hostile markup")

    monkeypatch.setattr(html.parser.HTMLParser, "goahead", refuse)
    message = {"HTML": '<a href="https://a.example/">a</a><link rel=stylesheet href="https://s.example/c.css">'
                       + "<a " * 20000,
               "Text": "<https://t.example/" * 5000 + " <https://b.example/x>"}
    assert linkcheck.links_of(message) == ["https://a.example/", "https://s.example/c.css", "https://b.example/x"]


def _send_with_options(server) -> None:
    try:
        with smtplib.SMTP(server.host, server.port, timeout=T) as client:
            client.ehlo()
            client.mail("a@example.com", ["BODY=8BITMIME"])
            client.rcpt("b@example.com")
            client.data(PLAIN)
    except (smtplib.SMTPException, OSError):
        pass  # stop() drops the connection before the reply


def test_stopping_while_a_message_is_parsed_off_the_loop_loses_nothing(make_catcher, monkeypatch):
    # The store closes only once the worker thread has indexed the message
    # with its envelope (a file re-indexed from the folder would lose the
    # MAIL parameters, the AUTH name and the TLS flag).
    server = make_catcher()
    gate = Gate(monkeypatch, mailview, "index_fields")
    sender = threading.Thread(target=_send_with_options, args=(server,), daemon=True)
    sender.start()
    assert gate.entered.wait(T)
    stopper = threading.Thread(target=server.stop, daemon=True)
    stopper.start()
    stopper.join(0.5)  # stop() waits for the held worker (a bounded join, not an assertion on time)
    gate.release.set()
    stopper.join(T)
    sender.join(T)
    assert not stopper.is_alive()
    restarted = make_catcher()  # the same folder
    [envelope] = restarted.store.envelopes()
    assert envelope.mail_options == ("BODY=8BITMIME",)


def test_the_send_api_refuses_a_message_over_the_part_limit_with_a_json_error(make_catcher):
    # The send API stores through the same intake as SMTP: the same limit,
    # as Mailpit's JSON error, not a 500.
    server = make_catcher(max_mime_parts=5)
    request = {"From": {"Email": "ann@example.com"}, "To": [{"Email": "bob@example.com"}], "Subject": "many",
               "Text": "text", "Attachments": [{"Content": base64.b64encode(b"x").decode(), "Filename": f"{n}.bin"}
                                               for n in range(6)]}
    status, _, body = call(server, "POST", "/api/v1/send", request, {"Content-Type": "application/json"})
    assert status == 400, body
    assert json.loads(body) == {"Error": "message has more than 5 MIME parts (the limit is 5)"}
    assert server.store.summaries() == []


def test_the_console_line_parses_only_the_headers(monkeypatch):
    # DevServer prints it on the event loop (the CLI does by default): a
    # whole-message parse there would stall every client for a large message.
    record = ReceivedMessage(envelope_from="a@example.com", envelope_to=("b@example.com",),
                             raw=b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\n" + b"body\r\n" * 1000,
                             maildir_key="k", mail_options=(), authenticated_as=None, tls=False)

    def whole_parse(*_arguments, **_keywords):
        raise AssertionError("the whole message was parsed")

    monkeypatch.setattr(email, "message_from_bytes", whole_parse)
    assert record.subject == "Grüße"
    assert "'Grüße'" in record.summary()


@pytest.mark.parametrize("path", ["api/v1/messages?start=99999999999999999999",
                                  "api/v1/messages?limit=99999999999999999999",
                                  "api/v1/search?query=plain&start=99999999999999999999",
                                  "api/v1/search?query=plain&limit=99999999999999999999"])
def test_paging_past_sqlites_integers_answers_never_a_500(stocked, path):
    status, body = _get(stocked.url + path)
    assert status == 200, body
    expected = 0 if "start=" in path else (2 if "messages" in path else 1)
    assert json.loads(body)["count"] == expected
