"""The catcher's SQLite index: its tables, its version, and its one INSERT.

Rules:

* This module owns the schema: :data:`SCHEMA` creates it, :func:`prepare`
  brings an older index up to :data:`SCHEMA_VERSION` (``PRAGMA
  user_version``) as far as SQL alone can, and says whether the messages
  still need their tags read from their files (the store does that: it
  owns the files).  :mod:`~smtp_core.devserver.mailbox.search` writes conditions on
  these columns; :mod:`~smtp_core.devserver.mailbox.store` reads and writes rows.
* A message row is written by :func:`insert` only, from a mapping with one
  value per name of :data:`COLUMNS`; a missing or unknown name is a
  ``KeyError`` naming it, not a column silently left at its default.

>>> import sqlite3
>>> db = sqlite3.connect(":memory:")
>>> prepare(db)  # a new index: nothing to read from files
False
>>> db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
True
>>> row = dict.fromkeys(COLUMNS, "")
>>> row.update(id="A", created=0, size=1, inline=0, attachments=0, read=0, tls=0, header_length=0)
>>> insert(db, row)
1
>>> insert(db, {"id": "B"})
Traceback (most recent call last):
  ...
KeyError: "index row without 'path'"
>>> db.close()
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

__all__ = ["SCHEMA", "SCHEMA_VERSION", "COLUMNS", "SUMMARY_COLUMNS", "TAGS_COLUMN", "prepare", "insert"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,            -- relative to the Maildir: new/<key> or cur/<key>
    key TEXT NOT NULL,             -- Maildir key
    created INTEGER NOT NULL,      -- milliseconds since the epoch
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    from_json TEXT NOT NULL,
    to_json TEXT NOT NULL,
    cc_json TEXT NOT NULL,
    bcc_json TEXT NOT NULL,
    reply_to_json TEXT NOT NULL,
    size INTEGER NOT NULL,         -- bytes as received
    inline INTEGER NOT NULL,
    attachments INTEGER NOT NULL,
    snippet TEXT NOT NULL,
    search_text TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0,
    -- SMTP strings may hold surrogate escapes (bytes that were not UTF-8):
    -- JSON's \\u escapes keep them exact.
    envelope_from TEXT NOT NULL,   -- JSON string
    envelope_to TEXT NOT NULL,     -- JSON list
    mail_options TEXT NOT NULL,    -- JSON list
    username TEXT NOT NULL,        -- JSON string or null
    tls INTEGER NOT NULL,
    header_length INTEGER NOT NULL,-- bytes of envelope headers in the file
    raw_verbatim BLOB,             -- the received bytes when \\n -> \\r\\n cannot restore them
    parts TEXT                     -- mailview's part table (JSON); NULL: not made yet
);
CREATE INDEX IF NOT EXISTS messages_read ON messages(read);
-- Tags (schema version 2): one row per name, case-insensitively; the
-- casing first seen is kept.
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE IF NOT EXISTS message_tags (
    seq INTEGER NOT NULL,          -- messages.seq
    tag INTEGER NOT NULL,          -- tags.id
    PRIMARY KEY (seq, tag)
);
CREATE INDEX IF NOT EXISTS message_tags_tag ON message_tags(tag);
"""
#: ``PRAGMA user_version`` of the index: 1 part tables, 2 tags.
SCHEMA_VERSION = 2

#: The columns a message row is written with (``seq`` is SQLite's).
COLUMNS = ("id", "path", "key", "created", "message_id", "subject", "from_json", "to_json", "cc_json",
           "bcc_json", "reply_to_json", "size", "inline", "attachments", "snippet", "search_text", "read",
           "envelope_from", "envelope_to", "mail_options", "username", "tls", "header_length", "raw_verbatim",
           "parts")
_INSERT = f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"

#: A message's tags as a JSON list, in a query of ``messages``.
TAGS_COLUMN = ("(SELECT json_group_array(t.name) FROM message_tags mt JOIN tags t ON t.id = mt.tag"
               " WHERE mt.seq = messages.seq)")
#: What a list entry is made of (the store's ``_summary`` reads them in this order).
SUMMARY_COLUMNS = ("id, message_id, read, from_json, to_json, cc_json, bcc_json, reply_to_json, "
                   "subject, created, username, size, attachments, snippet, " + TAGS_COLUMN)


def prepare(db: sqlite3.Connection) -> bool:
    """Create or update the schema in ``db``; True if the index is older
    than tags (its messages' tags must be read from their files, then the
    caller sets ``user_version`` to :data:`SCHEMA_VERSION`).  A new index
    gets the version at once."""
    new = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'messages'").fetchone()[0] == 0
    db.executescript(SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(messages)")}
    if "parts" not in columns:  # an index made before part tables
        db.execute("ALTER TABLE messages ADD COLUMN parts TEXT")
    if new:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return False
    return db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION


def insert(db: sqlite3.Connection, row: Mapping[str, Any]) -> int:
    """Write one message row; return its ``seq``."""
    for name in row:
        if name not in COLUMNS:
            raise KeyError(f"index row with unknown column {name!r}")
    try:
        values = [row[name] for name in COLUMNS]
    except KeyError as missing:
        raise KeyError(f"index row without {missing.args[0]!r}") from None
    return int(db.execute(_INSERT, values).lastrowid or 0)
