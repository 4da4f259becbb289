"""The catcher's store, search and parsing under a hostile sender or a
hostile neighbour (issue 21: findings 1, 4, 5, 9, 18, 22).

Each test names the finding it pins down.  Servers are real: the dev server
with its HTTP side on loopback, messages sent over SMTP.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

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
