"""The catcher's store, search and parsing under a hostile sender or a
hostile neighbour (issue 21: findings 1, 4, 5, 9, 18, 22).

Each test names the finding it pins down.  Servers are real: the dev server
with its HTTP side on loopback, messages sent over SMTP.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from smtp_core import send_many
from smtp_core.devserver.search import MAX_QUERY_LENGTH, MAX_TERMS
from smtp_core.devserver.store import INDEX_NAME, MailStore

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
    with caplog.at_level(logging.WARNING, logger="smtp_core.devserver.store"):
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
    (folder / INDEX_NAME).unlink()  # make it re-index everything
    for name in (INDEX_NAME + "-wal", INDEX_NAME + "-shm"):
        if (folder / name).exists():
            (folder / name).unlink()
    with caplog.at_level(logging.WARNING, logger="smtp_core.devserver.store"):
        store = MailStore(folder)
    try:
        assert [found["Subject"] for found in store.summaries()] == ["plain"]
        assert sum("not a regular file" in record.getMessage() for record in caplog.records) == 2
    finally:
        store.close()


# --------------------------------------------------------------------------
# Findings 4 and 22: hostile searches get a clear 400 or an answer, never a 500
# --------------------------------------------------------------------------


def _get(url: str) -> "tuple[int, bytes]":
    try:
        with urllib.request.urlopen(url, timeout=T) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def _search(server, query: str, method: str = "GET") -> "tuple[int, bytes]":
    url = server.url + "api/v1/search?" + urllib.parse.urlencode({"query": query})
    if method == "GET":
        return _get(url)
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=T) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


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
    ("before:0001-01-01", 2),  # outside what the clock can say: ignored, as a bad date
    ("after:9999-12-31T23:59:59", 0),
])
def test_extreme_sizes_and_dates_answer_never_a_500(stocked, query, matches):
    status, body = _search(stocked, query)
    assert status == 200, body
    assert json.loads(body)["messages_count"] == matches
