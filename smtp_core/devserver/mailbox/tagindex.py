"""Which message has which tag, in the catcher's SQLite index.

Rules:

* A tag is one row of ``tags``, its name unique case-insensitively
  (:mod:`~smtp_core.devserver.mailbox.indexschema`): the casing first seen
  is kept, and a message given ``Urgent`` when ``urgent`` exists gets
  ``urgent``.  Names arrive clean (:mod:`~smtp_core.devserver.mailbox.tagnames`).
* A tag no message has is forgotten (:func:`forget_unused`) after every
  change that can leave one: the list of tags shows only tags in use.
* Lists come back in Mailpit's order (:func:`tagnames.ordered`).
* No locking and no events here: the store calls these inside its lock
  and announces the change itself.

>>> import sqlite3
>>> from . import indexschema
>>> db = sqlite3.connect(":memory:")
>>> indexschema.prepare(db)
False
>>> give(db, 1, ["urgent", "Billing"]), give(db, 2, ["URGENT"])
(['Billing', 'urgent'], ['urgent'])
>>> counts(db)
{'Billing': 1, 'urgent': 2}
>>> untag(db, [1]); forget_unused(db); in_use(db)
['urgent']
>>> db.close()
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from . import tagnames

__all__ = ["give", "untag", "untag_lost", "forget_unused", "in_use", "counts", "rename", "remove"]

# Message keys per statement: SQLite's limit on parameters is 999 in older builds.
_CHUNK = 500


def give(db: sqlite3.Connection, seq: int, names: Sequence[str]) -> list[str]:
    """Give message ``seq`` the tags ``names`` (clean already); return them
    as stored (an existing tag keeps its first casing), in Mailpit's order."""
    stored = []
    for name in names:
        db.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
        tag_id, spelled = db.execute("SELECT id, name FROM tags WHERE name = ?", (name,)).fetchone()
        db.execute("INSERT OR IGNORE INTO message_tags (seq, tag) VALUES (?, ?)", (seq, tag_id))
        stored.append(spelled)
    return tagnames.ordered(stored)


def untag(db: sqlite3.Connection, seqs: Sequence[int]) -> None:
    """Take every tag off the messages ``seqs``."""
    for start in range(0, len(seqs), _CHUNK):
        chunk = list(seqs[start:start + _CHUNK])
        db.execute(f"DELETE FROM message_tags WHERE seq IN ({','.join('?' * len(chunk))})", chunk)


def untag_lost(db: sqlite3.Connection) -> None:
    """Forget the tags of messages the index no longer has."""
    db.execute("DELETE FROM message_tags WHERE seq NOT IN (SELECT seq FROM messages)")


def forget_unused(db: sqlite3.Connection) -> None:
    """Drop the tags no message has."""
    db.execute("DELETE FROM tags WHERE NOT EXISTS (SELECT 1 FROM message_tags WHERE tag = tags.id)")


def in_use(db: sqlite3.Connection) -> list[str]:
    """Every tag some message has, in Mailpit's order."""
    return tagnames.ordered(row[0] for row in db.execute(
        "SELECT name FROM tags WHERE EXISTS (SELECT 1 FROM message_tags WHERE tag = tags.id)"))


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """``{tag: messages with it}``, by name case-insensitively."""
    rows = db.execute(
        "SELECT t.name, COUNT(*) FROM message_tags mt JOIN tags t ON t.id = mt.tag GROUP BY t.id").fetchall()
    return {name: count for name, count in sorted(rows, key=lambda row: (row[0].lower(), row[0]))}


def rename(db: sqlite3.Connection, name: str, new_name: str) -> None:
    """Call the tag ``name`` ``new_name`` on every message; into a tag that
    exists already, the two become one.  ``ValueError`` names a bad new
    name or an unknown tag."""
    cleaned = tagnames.clean(new_name)
    if not cleaned:
        raise ValueError(f"invalid tag name: {new_name!r}")
    row = db.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ValueError(f"tag not found: {name!r}")
    other = db.execute("SELECT id FROM tags WHERE name = ?", (cleaned,)).fetchone()
    if other is None or other[0] == row[0]:
        db.execute("UPDATE tags SET name = ? WHERE id = ?", (cleaned, row[0]))
    else:
        db.execute("UPDATE OR IGNORE message_tags SET tag = ? WHERE tag = ?", (other[0], row[0]))
        db.execute("DELETE FROM message_tags WHERE tag = ?", (row[0],))
        forget_unused(db)


def remove(db: sqlite3.Connection, name: str) -> None:
    """Take the tag ``name`` off every message (the messages stay); an
    unknown tag is no error."""
    db.execute("DELETE FROM message_tags WHERE tag IN (SELECT id FROM tags WHERE name = ?)", (name,))
    forget_unused(db)
