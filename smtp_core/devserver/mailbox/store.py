"""The mail catcher's store: Maildir files, indexed in SQLite.

Rules:

* Every message is one Maildir file (``new/``), the SMTP envelope added as
  ``Return-Path``, ``X-Envelope-From`` and ``X-Envelope-To`` headers and line
  ends converted to ``\\n``, so that any mail reader can open the folder.
* What the list, the search and the read state need lives in an SQLite
  index beside it (``gostd-smtp-index.sqlite3`` in the Maildir folder); the
  message bodies never stay in memory.  Opening a folder re-indexes files the
  index does not know (a deleted index, files copied in) and forgets entries
  whose file vanished.
* Messages are named by random IDs (Mailpit's alphabet and length); an ID is
  only ever looked up in the index, never used to build a path.
* At most ``max_messages`` are kept (0: no bound); the oldest go first.
* The write path (:meth:`MailStore.receive`): the message is parsed and its
  file written into ``new/`` by the calling thread, outside the lock, so
  arrivals on several connections write side by side; then the waiting
  arrivals are indexed in one transaction by whichever of them takes the
  lock first (a group commit), and each call returns once its own row is
  committed.  :meth:`MailStore.receive_many` does the same for several
  messages from one thread (the dev server's store thread): every one is
  parsed and written, then all are committed in one transaction; one
  message's failure is its own.  What is on disk when it returns, by ``fsync`` policy:
  ``never`` (the default) the file and the committed row are in the
  kernel, which survives the server's crash but not the machine's;
  ``batch`` the files, their names in ``new/`` and the commit are fsynced
  once per batch; ``always`` the same for each message alone.  The schema
  is :mod:`~smtp_core.devserver.mailbox.indexschema`'s.
* A message is parsed once, when it arrives: the index keeps its part table
  (:mod:`~smtp_core.devserver.mailbox.mailview`), and showing a message or one of
  its parts reads only those bytes of the file.  A message with more than
  ``max_parts`` MIME parts or nesting deeper than ``max_depth`` is refused
  (:class:`~smtp_core.devserver.mailbox.mimetree.PartLimitError`, nothing stored);
  one found in the folder is indexed without its parts, with a warning.
* Only regular files in ``new/`` and ``cur/`` are mail: a symbolic link, a
  directory or anything else there is skipped with a warning, and message
  files are opened without following links.  The index and its ``-wal`` and
  ``-shm`` files are ``0600``, whoever made them.
* Automatic tags (:mod:`~smtp_core.devserver.mailbox.autotags`) are given at
  intake and to files found in the folder; rules that raise on a message
  cost it its tags, with a warning naming it, never its storage or the
  other messages of its batch.
* Each change is announced to the listeners (:meth:`MailStore.subscribe`) as
  ``(type, data)`` with Mailpit's WebSocket event types: ``new``, ``update``,
  ``delete``, ``truncate`` and ``prune``, then ``("stats", None)``: the
  counts may have changed (counting costs a scan, so :meth:`counts` is left
  to the listener that wants them).

The store is thread-safe: the SMTP side adds mail on the dev server's event
loop while tests read from their own thread.

>>> import tempfile
>>> store = MailStore(tempfile.mkdtemp())
>>> summary = store.add(b"From: Ann <ann@example.com>\\r\\nSubject: Hi\\r\\n\\r\\nHello\\r\\n",
...                     envelope_from="ann@example.com", envelope_to=["bob@example.com"])
>>> summary["From"], summary["Subject"], summary["Snippet"], summary["Read"]
({'Name': 'Ann', 'Address': 'ann@example.com'}, 'Hi', 'Hello', False)
>>> [found["ID"] for found in store.search("from:ann subject:hi")[0]] == [summary["ID"]]
True
>>> store.close()
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import functools
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Iterable, Iterator, Sequence

from . import mailview
from .mimetree import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PARTS, PartLimitError
from . import indexschema
from . import search as search_syntax
from . import tagindex
from . import tagnames
from .autotags import AutoTagger
from .maildir import MaildirFolder, delivery_order, make_private
from .received import envelope_headers, escape_controls

__all__ = ["MailStore", "Incoming", "StoredEnvelope", "PartLimitError", "INDEX_NAME", "DEFAULT_MAX_MESSAGES",
           "DEFAULT_MAX_PARTS", "DEFAULT_MAX_DEPTH", "FSYNC_POLICIES", "DEFAULT_FSYNC", "server_version"]

log = logging.getLogger(__name__)

INDEX_NAME = "gostd-smtp-index.sqlite3"
DEFAULT_MAX_MESSAGES = 500

Listener = Callable[[str, Any], None]

# shortuuid's alphabet (no look-alikes), as in Mailpit's IDs.
_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ID_LENGTH = 22
# Every two-digit string, lowest digit first, indexed by its value.
_PAIR_BASE = len(_ID_ALPHABET) ** 2
_ID_PAIRS = tuple(low + high for high in _ID_ALPHABET for low in _ID_ALPHABET)
#: What the store does to have a message on disk before its ``250``
#: (see docs/devserver.md, "Durability and speed").
FSYNC_POLICIES = ("never", "batch", "always")
DEFAULT_FSYNC = "never"


@dataclass(frozen=True)
class StoredEnvelope:
    """What the SMTP session knew about a stored message (the dev server's
    ``ReceivedMessage`` is built from it)."""

    id: str
    maildir_key: str
    envelope_from: str
    envelope_to: tuple[str, ...]
    mail_options: tuple[str, ...]
    authenticated_as: str | None
    tls: bool
    #: Position in arrival order (grows by one per message, never reused).
    sequence: int


class MailStore:
    """Caught mail in a Maildir folder plus its SQLite index."""

    def __init__(self, directory: str | os.PathLike[str], *, max_messages: int = DEFAULT_MAX_MESSAGES,
                 max_parts: int = DEFAULT_MAX_PARTS, max_depth: int = DEFAULT_MAX_DEPTH,
                 fsync: str = DEFAULT_FSYNC, tagging: AutoTagger | None = None):
        if max_messages < 0:
            raise ValueError(f"max_messages must be >= 0, got {max_messages}")
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, got {fsync!r}")
        self.fsync = fsync
        #: The automatic tagging rules (:mod:`~smtp_core.devserver.mailbox.autotags`).
        self.tagging = tagging or AutoTagger()
        for name, value in (("max_parts", max_parts), ("max_depth", max_depth)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        #: The message files (:mod:`~smtp_core.devserver.mailbox.maildir`).
        self.maildir = MaildirFolder(directory)
        self.directory = self.maildir.directory
        self.max_messages = max_messages
        self.max_parts = max_parts
        self.max_depth = max_depth
        self._lock = threading.RLock()
        self._arrivals = threading.Condition(self._lock)
        self._listeners: list[Listener] = []
        # Arrivals stored on disk, waiting for the next index commit.
        self._queue: list[_Arrival] = []
        self._queue_lock = threading.Lock()
        index = self.directory / INDEX_NAME
        make_private(index)
        self._db = sqlite3.connect(str(index), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # SQLite gives -wal and -shm the database file's mode; files left by
        # an older version (0644) are made private too.
        for companion in ("-wal", "-shm"):
            make_private(index.with_name(index.name + companion), create=False)
        # WAL: a commit is in the file (the kernel's cache) when it returns,
        # so it survives the process; FULL also fsyncs it before returning.
        self._db.execute(f"PRAGMA synchronous={'NORMAL' if fsync == 'never' else 'FULL'}")
        if indexschema.prepare(self._db):  # an index made before tags: the messages gain their X-Tags
            self._tag_existing_messages()
            self._db.execute(f"PRAGMA user_version = {indexschema.SCHEMA_VERSION}")
        #: Messages in the index, kept by every change (counting is a scan).
        self._total = 0
        self._reconcile()
        # Searches scan every message's text: each thread runs them on its
        # own read-only connection (WAL lets readers run beside the writer),
        # so that a long search never holds the lock the event loop needs.
        self._index_path = index
        self._readers = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []

    # ---- lifecycle and listeners ----

    def close(self) -> None:
        with self._lock:
            self._db.close()
            for reader in self._reader_connections:
                reader.close()
            self._reader_connections.clear()

    def _reader(self) -> sqlite3.Connection:
        reader = getattr(self._readers, "connection", None)
        if reader is None:
            reader = sqlite3.connect(str(self._index_path), check_same_thread=False, isolation_level=None)
            reader.execute("PRAGMA query_only = ON")
            with self._lock:
                self._reader_connections.append(reader)
            self._readers.connection = reader
        return reader

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(type, data)`` after each change; returns the
        function that unsubscribes it.  Listeners run on the changing thread
        and must not block."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _announce(self, *events: tuple[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            for event in (*events, ("stats", None)):
                try:
                    listener(*event)
                except Exception:  # one broken listener must not stop the others
                    log.exception("mail store listener failed")

    # ---- adding mail ----

    def add(self, raw: bytes, **envelope: Any) -> dict[str, Any]:
        """Store one message as received (dot-unstuffed ``raw`` bytes); return
        its summary as the list shows it (keywords as :meth:`receive`)."""
        return self.receive(raw, **envelope)[0]

    def receive(
        self,
        raw: bytes,
        *,
        envelope_from: str,
        envelope_to: Sequence[str],
        mail_options: Sequence[str] = (),
        authenticated_as: str | None = None,
        tls: bool = False,
    ) -> tuple[dict[str, Any], StoredEnvelope]:
        """Store one message as received (dot-unstuffed ``raw`` bytes);
        return its summary as the list shows it and its stored envelope.
        :class:`PartLimitError` (nothing stored) beyond ``max_parts`` or
        ``max_depth``.  Parsing takes the time: call it off an event loop."""
        return self._settle(self._arrive(Incoming(raw, envelope_from, tuple(envelope_to), tuple(mail_options),
                                                  authenticated_as, tls)))

    def receive_many(self, incoming: Sequence[Incoming]) -> list[tuple[dict[str, Any], StoredEnvelope] | Exception]:
        """Store several messages, indexed in one transaction (one commit
        for the batch, not one each): for each, what :meth:`receive` returns
        or the exception it raises, in order.  One message's failure (its
        MIME limits, the disk) is its own; the others are stored."""
        arrivals: list[_Arrival | Exception] = []
        for message in incoming:
            try:
                arrivals.append(self._arrive(message))
            except Exception as error:
                arrivals.append(error)
        outcomes: list[tuple[dict[str, Any], StoredEnvelope] | Exception] = []
        for arrival in arrivals:  # the first settles them all: the queue is committed whole
            try:
                outcomes.append(arrival if isinstance(arrival, Exception) else self._settle(arrival))
            except Exception as error:
                outcomes.append(error)
        return outcomes

    def _arrive(self, incoming: Incoming) -> _Arrival:
        """Parse one message and write its file; queue its index row."""
        raw = incoming.raw
        envelope = envelope_headers(incoming.envelope_from, incoming.envelope_to).replace(b"\r\n", b"\n")
        body = raw.replace(b"\r\n", b"\n")
        crlfs = len(raw) - len(body)
        fields = mailview.index_fields(raw, envelope, max_parts=self.max_parts, max_depth=self.max_depth,
                                       crlfs=crlfs)
        # \n -> \r\n restores the bytes unless one of their LFs was bare
        # (a count of one byte is a memchr, of two a slower search).
        verbatim = None if raw.count(b"\n") == crlfs else bytes(raw)
        # The file first, outside the lock (writers run side by side): once
        # it is in new/, a crash cannot lose the message (startup indexes it).
        key = self.maildir.deliver(envelope, body, fsync=self.fsync != "never")
        arrival = _Arrival(incoming=incoming, fields=fields, row={
            "id": _new_id(), "path": f"new/{key}", "key": key, "created": int(time.time() * 1000),
            **{column: fields[column] for column in _FIELD_COLUMNS}, "parts": fields["parts_json"],
            "size": len(raw), "read": 0, "envelope_from": _json_string(incoming.envelope_from),
            "envelope_to": _json_strings(incoming.envelope_to),
            "mail_options": _json_strings(incoming.mail_options),
            "username": "null" if incoming.authenticated_as is None else _json_string(incoming.authenticated_as),
            "tls": int(incoming.tls),
            "header_length": len(envelope), "raw_verbatim": verbatim,
        }, tags=_unless_tagging_breaks(key, lambda: self.tagging.arrival(raw, fields, incoming.authenticated_as)))
        with self._queue_lock:
            self._queue.append(arrival)
        return arrival

    def _settle(self, arrival: _Arrival) -> tuple[dict[str, Any], StoredEnvelope]:
        """Wait until ``arrival``'s row is committed (committing the queue
        if no other thread is); announce it and return what
        :meth:`receive` returns."""
        pruned = 0
        with self._lock:
            while not arrival.done:  # another arrival's commit may have taken this one along
                pruned += self._commit_arrivals()
        if arrival.error is not None:
            raise arrival.error
        row, incoming = arrival.row, arrival.incoming
        stored = StoredEnvelope(id=row["id"], maildir_key=row["key"], envelope_from=incoming.envelope_from,
                                envelope_to=incoming.envelope_to, mail_options=incoming.mail_options,
                                authenticated_as=incoming.authenticated_as, tls=bool(incoming.tls),
                                sequence=arrival.seq)
        # The summary from what was just written, as _summaries reads it
        # (the addresses as objects: nothing decoded that was just encoded).
        summary = _listed(row["id"], row["message_id"], 0, arrival.fields["addresses"], row["subject"],
                          row["created"], incoming.authenticated_as, row["size"], row["attachments"],
                          row["snippet"], arrival.tags)
        self._announce(("new", summary), *([("prune", None)] if pruned else []))
        return summary, stored

    def _commit_arrivals(self) -> int:
        """Index the waiting arrivals in one transaction (one at a time with
        ``fsync="always"``); return how many old messages were pruned.  A
        failed commit fails the whole batch, whose files are removed: a
        message that got no 250 does not come back at the next start."""
        with self._queue_lock:
            take = 1 if self.fsync == "always" else len(self._queue)
            batch, self._queue = self._queue[:take], self._queue[take:]
        if not batch:
            return 0
        pruned = 0
        try:
            if self.fsync != "never":  # the files' names in new/ reach the disk before their rows
                self.maildir.sync_new()
            with _transaction(self._db):
                for arrival in batch:
                    arrival.seq = indexschema.insert(self._db, arrival.row)
                    pending = arrival.tags
                    names = [] if pending is None else _unless_tagging_breaks(
                        arrival.row["key"], lambda: pending.tags(self._db, arrival.seq), [])
                    arrival.tags = tagindex.give(self._db, arrival.seq, names)
                self._total += len(batch)
                pruned = self._prune()
        except BaseException as error:
            self._total = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            for arrival in batch:
                arrival.error = error
                self.maildir.remove(arrival.row["path"])
        finally:
            for arrival in batch:
                arrival.done = True
            self._arrivals.notify_all()
        return pruned

    def _prune(self) -> int:
        if not self.max_messages or self._total <= self.max_messages:
            return 0
        rows = self._db.execute(
            "SELECT seq, path FROM messages ORDER BY seq DESC LIMIT -1 OFFSET ?", (self.max_messages,)
        ).fetchall()
        self._remove_rows(rows)
        return len(rows)

    def _remove_rows(self, rows: Iterable[tuple[int, str]]) -> None:
        rows = list(rows)
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            self._db.execute(f"DELETE FROM messages WHERE seq IN ({','.join('?' * len(chunk))})",
                             [seq for seq, _ in chunk])
        if rows:
            tagindex.untag(self._db, [seq for seq, _ in rows])
            tagindex.forget_unused(self._db)
        self._total -= len(rows)
        for _, path in rows:
            self.maildir.remove(path)

    # ---- reading ----

    def counts(self) -> tuple[int, int]:
        """``(total, unread)``."""
        with self._lock:
            total, unread = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(read = 0), 0) FROM messages").fetchone()
        return total, unread

    def summaries(self, start: int = 0, limit: int = 50) -> list[dict[str, Any]]:
        """Message summaries, newest first."""
        with self._lock:
            return self._summaries("ORDER BY seq DESC LIMIT ? OFFSET ?", _paging(start, limit))

    def search(self, query: str, start: int = 0, limit: int = 50,
               zone: Any | None = None) -> tuple[list[dict[str, Any]], int, int]:
        """``(summaries, matches, unread matches)`` for Mailpit's search syntax
        (see :mod:`smtp_core.devserver.mailbox.search`; dates in ``zone``), newest first."""
        where, parameters = search_syntax.to_sql(query, zone)
        reader = self._reader()
        # The page's keys first; when that scan saw every match (few
        # match), it gave the counts too, and the index is scanned once
        # where a count and a page scanned it twice.
        limit, offset = _paging(start, limit)
        rows = reader.execute(f"SELECT seq, read FROM messages WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                              (*parameters, limit, offset)).fetchall()
        if offset == 0 and (limit < 0 or len(rows) < limit):
            matches, unread = len(rows), sum(1 for _, read in rows if not read)
        else:
            matches, unread = reader.execute(
                f"SELECT COUNT(*), COALESCE(SUM(read = 0), 0) FROM messages WHERE {where}", parameters).fetchone()
        found = []
        for chunk in range(0, len(rows), 500):  # newest first, chunk after chunk
            keys = [seq for seq, _ in rows[chunk:chunk + 500]]
            found += self._summaries(f"WHERE seq IN ({','.join('?' * len(keys))}) ORDER BY seq DESC", keys, reader)
        return found, matches, unread

    def latest_id(self, query: str = "") -> str | None:
        """The newest message's ID (among the matches of ``query`` if given)."""
        if query.strip():
            found = self.search(query, 0, 1)[0]
            return found[0]["ID"] if found else None
        with self._lock:
            row = self._db.execute("SELECT id FROM messages ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def raw(self, message_id: str) -> bytes | None:
        """The stored message: envelope headers, then the bytes as received,
        with ``\\r\\n`` line ends; ``None`` for an unknown ID."""
        loaded = self._load(message_id)
        return None if loaded is None else loaded[0] + loaded[1]

    def received_bytes(self, message_id: str) -> bytes | None:
        """Only the bytes received between DATA and the final dot."""
        loaded = self._load(message_id)
        return None if loaded is None else loaded[1]

    def _load(self, message_id: str) -> tuple[bytes, bytes] | None:
        """``(envelope headers, received bytes)``, both with ``\\r\\n``."""
        with self._lock:
            row = self._db.execute(
                "SELECT path, key, header_length, raw_verbatim FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
        if row is None:
            return None
        try:  # outside the lock: a 32 MiB read must not hold up the others
            stored = self.maildir.read(row[0], row[1])
        except FileNotFoundError:  # deleted meanwhile
            return None
        header_length, verbatim = row[2], row[3]
        received = bytes(verbatim) if verbatim is not None else stored[header_length:].replace(b"\n", b"\r\n")
        return stored[:header_length].replace(b"\n", b"\r\n"), received

    def message(self, message_id: str) -> dict[str, Any] | None:
        """Mailpit's message object (bodies, attachments); ``None`` for an
        unknown ID.  Does not change the read state.  Reads the headers and
        the bodies, not the attachments."""
        stored = self._stored(message_id)
        if stored is None:
            return None
        try:
            return {"ID": message_id, **mailview.details(
                stored.parts, stored.read, stored.envelope(), created_ms=stored.created, size=stored.size,
                username=stored.username), "Tags": self.message_tags(message_id)}
        except FileNotFoundError:  # deleted meanwhile
            return None

    def headers(self, message_id: str) -> dict[str, list[str]] | None:
        """Every header of the stored message, ``{Canonical-Name: [values]}``
        sorted by name, values unfolded but not decoded (as Go's
        ``mail.Header``); ``None`` for an unknown ID."""
        stored = self._stored(message_id)
        if stored is None:
            return None
        try:
            head = (stored.envelope() + mailview.message_head(stored.parts, stored.read)).decode("utf-8", "replace")
        except FileNotFoundError:
            return None
        collected: dict[str, list[str]] = {}
        for name, value in email.parser.Parser(policy=email.policy.compat32).parsestr(
            head + "\r\n\r\n", headersonly=True
        ).items():
            canonical = "-".join(word[:1].upper() + word[1:].lower() for word in name.split("-"))
            collected.setdefault(canonical, []).append(re.sub(r"\r?\n[ \t]+", " ", str(value)).strip())
        return dict(sorted(collected.items()))

    def part(self, message_id: str, part_id: str) -> tuple[str, str, bytes] | None:
        """``(content type, file name, decoded content)`` of one attachment
        or inline part; ``None`` if the message or part is unknown.  Reads
        that part's bytes only."""
        stored = self._stored(message_id)
        if stored is None:
            return None
        try:
            return mailview.find_part(stored.parts, part_id, stored.read)
        except FileNotFoundError:
            return None

    def _stored(self, message_id: str) -> _StoredMessage | None:
        with self._lock:
            row = self._db.execute(
                "SELECT path, key, header_length, raw_verbatim IS NOT NULL, parts, created, size, username"
                " FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            return None
        stored = _StoredMessage(self, message_id, row[0], row[1], row[2], bool(row[3]), row[4] or "",
                                row[5], row[6], json.loads(row[7]) or "")
        if not stored.parts:  # indexed by a version without part tables: made once, now
            received = self.received_bytes(message_id)
            if received is None:
                return None
            stored.parts = self._fields(received, b"", message_id)["parts_json"]
            with self._lock:
                self._db.execute("UPDATE messages SET parts = ? WHERE id = ?", (stored.parts, message_id))
        return stored

    def _fields(self, received: bytes, envelope: bytes, name: str) -> dict[str, Any]:
        """Index fields of a message found in the folder: one over the limits
        is kept, without its parts, rather than lost."""
        try:
            return mailview.index_fields(received, envelope, max_parts=self.max_parts, max_depth=self.max_depth)
        except PartLimitError as error:
            log.warning("%s: %s; indexed without its parts", escape_controls(name), error)
            return mailview.index_fields(received, envelope, max_parts=self.max_parts,
                                         max_depth=self.max_depth, keep_over_limit=True)

    def _read_span(self, message_id: str, path: str, key: str, header_length: int, verbatim: bool,
                  span: Sequence[Any]) -> bytes:
        """The received bytes of one part-table span of a message."""
        if verbatim:
            row = self._reader().execute("SELECT substr(raw_verbatim, ?, ?) FROM messages WHERE id = ?",
                                         (span[0] + 1, span[1] - span[0], message_id)).fetchone()
            if row is None:
                raise FileNotFoundError(message_id)
            return bytes(row[0])
        return self.maildir.read(path, key, header_length + span[2], span[3] - span[2]).replace(b"\n", b"\r\n")

    def envelopes(self) -> list[StoredEnvelope]:
        """The SMTP envelopes of the stored messages, in arrival order."""
        return self._envelopes("ORDER BY seq", ())

    def envelope(self, message_id: str) -> StoredEnvelope | None:
        """One message's SMTP envelope; ``None`` for an unknown ID."""
        found = self._envelopes("WHERE id = ?", (message_id,))
        return found[0] if found else None

    def _envelopes(self, clause: str, parameters: Sequence[Any]) -> list[StoredEnvelope]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, key, envelope_from, envelope_to, mail_options, username, tls, seq"
                f" FROM messages {clause}", parameters).fetchall()
        return [
            StoredEnvelope(id=row[0], maildir_key=row[1], envelope_from=json.loads(row[2]),
                           envelope_to=tuple(json.loads(row[3])), mail_options=tuple(json.loads(row[4])),
                           authenticated_as=json.loads(row[5]), tls=bool(row[6]), sequence=row[7])
            for row in rows
        ]

    def wait_for_count(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` messages are stored (False on timeout)."""
        with self._arrivals:
            return self._arrivals.wait_for(lambda: self._total >= count, timeout)

    # ---- changing ----

    def set_read(self, message_ids: Sequence[str] | None, read: bool) -> None:
        """Mark the given messages (all if ``None``) read or unread."""
        with self._lock:
            if message_ids is None:
                self._db.execute("UPDATE messages SET read = ?", (int(read),))
                changed: list[str] = []
            else:
                changed = [row[0] for row in self._select_ids(message_ids)]
                self._db.executemany("UPDATE messages SET read = ? WHERE id = ?",
                                     [(int(read), message_id) for message_id in changed])
        self._announce(*(("update", {"ID": message_id, "Read": read}) for message_id in changed))

    def delete(self, message_ids: Sequence[str]) -> None:
        """Delete the given messages (unknown IDs are ignored, as Mailpit does)."""
        with self._lock:
            found = self._select_ids(message_ids)
            self._remove_rows((seq, path) for _, seq, path in found)
        self._announce(*(("delete", {"ID": message_id}) for message_id, _, _ in found))

    def delete_all(self) -> None:
        with self._lock:
            self._remove_rows(self._db.execute("SELECT seq, path FROM messages").fetchall())
        self._announce(("truncate", None))

    def delete_matching(self, query: str, zone: Any | None = None) -> None:
        where, parameters = search_syntax.to_sql(query, zone)
        ids = [row[0] for row in self._reader().execute(f"SELECT id FROM messages WHERE {where}", parameters)]
        self.delete(ids)

    # ---- internals ----

    def _select_ids(self, message_ids: Sequence[str]) -> list[tuple[str, int, str]]:
        found: list[tuple[str, int, str]] = []
        wanted = [str(message_id) for message_id in message_ids]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found += self._db.execute(
                f"SELECT id, seq, path FROM messages WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
        return found

    def _summaries(self, clause: str, parameters: Sequence[Any],
                   connection: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
        rows = (connection or self._db).execute(
            f"SELECT {indexschema.SUMMARY_COLUMNS} FROM messages {clause}", parameters).fetchall()
        return [_summary(row) for row in rows]

    def _reconcile(self) -> None:
        """Index Maildir files the index does not know; forget lost files."""
        on_disk = self.maildir.files()
        known = dict(self._db.execute("SELECT key, path FROM messages").fetchall())
        lost = [key for key in known if key not in on_disk]
        with _transaction(self._db):
            for start in range(0, len(lost), 500):
                chunk = lost[start:start + 500]
                self._db.execute(f"DELETE FROM messages WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            if lost:
                tagindex.untag_lost(self._db)
                tagindex.forget_unused(self._db)
            for key, path in known.items():
                if key in on_disk and on_disk[key] != path:
                    self._db.execute("UPDATE messages SET path = ? WHERE key = ?", (on_disk[key], key))
        # In arrival order: files written within one tick of the kernel's
        # clock share an mtime, and then the order in our keys decides.
        newcomers = sorted((key for key in on_disk if key not in known),
                           key=lambda key: (self.maildir.stat(on_disk[key]).st_mtime_ns, delivery_order(key)))
        # One commit a batch, not one per statement (a file's row and tags
        # were five commits); a crash meanwhile leaves files to index next time.
        for start in range(0, len(newcomers), _REINDEX_BATCH):
            with _transaction(self._db):
                for key in newcomers[start:start + _REINDEX_BATCH]:
                    self._index_existing_file(key, on_disk[key])
        self._total = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        with _transaction(self._db):
            self._prune()

    def _index_existing_file(self, key: str, path: str) -> None:
        stored = self.maildir.read(path, key)
        header_length = _envelope_length(stored)
        envelope = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            stored[:header_length], headersonly=True)
        received = stored[header_length:].replace(b"\n", b"\r\n")
        fields = self._fields(received, stored[:header_length], path)
        created = int(self.maildir.stat(path).st_mtime * 1000)
        envelope_to = re.findall(r"<([^>]*)>", str(envelope.get("X-Envelope-To", "")))
        seq = indexschema.insert(self._db, {
            "id": _new_id(), "path": path, "key": key, "created": created,
            **{column: fields[column] for column in _FIELD_COLUMNS}, "parts": fields["parts_json"],
            "size": len(received), "read": int("S" in path.partition(":2,")[2]),
            "envelope_from": json.dumps(str(envelope.get("X-Envelope-From", "")).strip().strip("<>")),
            "envelope_to": json.dumps(envelope_to), "mail_options": "[]", "username": "null", "tls": 0,
            "header_length": header_length, "raw_verbatim": None,
        })
        # Intake's rules (no user name: none is known).
        tags = _unless_tagging_breaks(path, lambda: self.tagging.tags_of_indexed(received, fields, self._db, seq), [])
        tagindex.give(self._db, seq, tags)

    # ---- tags ----

    def _tag_existing_messages(self) -> None:
        """Schema 1 -> 2: read the ``X-Tags`` header of every indexed message."""
        for seq, path, key, header_length in self._db.execute(
                "SELECT seq, path, key, header_length FROM messages ORDER BY seq").fetchall():
            try:
                head = self.maildir.read(path, key, header_length, _MIGRATION_HEAD)
            except (FileNotFoundError, OSError):
                continue  # _reconcile forgets it
            end = head.find(b"\n\n")
            parsed = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
                head[:end if end >= 0 else len(head)], headersonly=True)
            tagindex.give(self._db, seq, tagnames.from_header(_header_str(parsed.get("X-Tags"))))

    def message_tags(self, message_id: str) -> list[str]:
        """The tags of one message, in Mailpit's order."""
        row = self._reader().execute(
            f"SELECT {indexschema.TAGS_COLUMN} FROM messages WHERE id = ?", (message_id,)).fetchone()
        return tagnames.ordered(json.loads(row[0])) if row and row[0] else []

    def tags(self) -> list[str]:
        """Every tag some message has, in Mailpit's order."""
        return tagindex.in_use(self._reader())

    def set_tags(self, message_ids: Sequence[str], names: Sequence[str]) -> None:
        """Give each of ``message_ids`` exactly the tags ``names`` (cleaned,
        repeats and empty names dropped; none: remove every tag).  Unknown
        IDs are ignored."""
        wanted = tagnames.unique(names)
        with self._lock:
            found = self._select_ids(message_ids)
            for _, seq, _ in found:
                tagindex.untag(self._db, [seq])
                tagindex.give(self._db, seq, wanted)
            tagindex.forget_unused(self._db)
        self._announce(*(("update", {"ID": message_id, "Tags": self.message_tags(message_id)})
                         for message_id, _, _ in found))

    def rename_tag(self, name: str, new_name: str) -> None:
        """Call the tag ``name`` ``new_name`` on every message; into a tag
        that exists already, the two become one.  ``ValueError`` names a bad
        new name or an unknown tag."""
        with self._lock:
            tagindex.rename(self._db, name, new_name)
        self._announce(("prune", None))

    def delete_tag(self, name: str) -> None:
        """Take the tag ``name`` off every message (the messages stay); an
        unknown tag is no error."""
        with self._lock:
            tagindex.remove(self._db, name)
        self._announce(("prune", None))

    def tag_counts(self) -> dict[str, int]:
        """``{tag: messages with it}`` (``/api/v1/info``'s ``Tags``)."""
        return tagindex.counts(self._reader())


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _unless_tagging_breaks(name: str, tagging: Callable[[], Any], fallback: Any = None) -> Any:
    """``tagging()``, or ``fallback`` with a warning naming the message if
    the rules raise: a message's broken tagging costs it its tags, never its
    place in the store or the other messages of its batch."""
    try:
        return tagging()
    except Exception as error:
        log.warning("%s: automatic tags failed (%s); indexed without tags", escape_controls(name), error)
        return fallback


#: Files found in the folder indexed per transaction at start.
_REINDEX_BATCH = 500


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """Run the block's statements as one transaction, rolled back if the
    block or the commit itself (a full disk) raises."""
    db.execute("BEGIN")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


#: Index columns that are :func:`mailview.index_fields` values of the same name.
_FIELD_COLUMNS = ("message_id", "subject", "from_json", "to_json", "cc_json", "bcc_json", "reply_to_json",
                  "inline", "attachments", "snippet", "search_text")


@dataclass(frozen=True)
class Incoming:
    """One message for :meth:`MailStore.receive_many`: its bytes as
    received (dot-unstuffed) and its SMTP envelope."""

    raw: bytes
    envelope_from: str
    envelope_to: tuple[str, ...]
    mail_options: tuple[str, ...] = ()
    authenticated_as: str | None = None
    tls: bool = False


@dataclass
class _Arrival:
    """A message on disk, waiting for its index row to be committed."""

    incoming: Incoming
    fields: dict[str, Any]
    row: dict[str, Any]
    tags: Any  # PendingTags (None: the rules broke) until the commit, then the stored tags
    seq: int = 0
    done: bool = False
    error: BaseException | None = None


#: Bytes of a message's head read for its X-Tags when an index gains tags.
_MIGRATION_HEAD = 256 * 1024


def _header_str(value: Any) -> str:
    """A compat32 header value as text (``Header`` objects for 8-bit ones)."""
    return "" if value is None else str(value)


_ENVELOPE_NAMES = (b"return-path:", b"x-envelope-from:", b"x-envelope-to:")


def _envelope_length(stored: bytes) -> int:
    """Length of the leading envelope header lines the store added."""
    position = 0
    for name in _ENVELOPE_NAMES:
        end = stored.find(b"\n", position)
        if end < 0 or not stored[position:end].lower().startswith(name):
            return position
        position = end + 1
    return position


@dataclass
class _StoredMessage:
    """Where one message's bytes are, for reading parts of them."""

    store: MailStore
    id: str
    path: str
    key: str
    header_length: int
    verbatim: bool
    parts: str
    created: int
    size: int
    username: str

    def read(self, span: Sequence[Any]) -> bytes:
        return self.store._read_span(self.id, self.path, self.key, self.header_length, self.verbatim, span)

    def envelope(self) -> bytes:
        """The envelope header lines the store added, with CRLF."""
        return self.store._read_span(self.id, self.path, self.key, 0, False,
                                    [0, 0, 0, self.header_length]) if self.header_length else b""


def _paging(start: int, limit: int) -> tuple[int, int]:
    """``(limit, offset)`` for SQL: a client's number past SQLite's integers
    (``?start=99999999999999999999``) is clamped, not an OverflowError."""
    return min(limit, search_syntax.SIZE_CEILING), min(start, search_syntax.SIZE_CEILING)


# The envelope's JSON columns as json.dumps writes them (ASCII, escaped),
# by the encoder's C core: json.dumps costs ~3 µs a call in set-up, and an
# arrival has four of them, each of a few short strings.
_json_string = json.encoder.encode_basestring_ascii


def _json_strings(values: Sequence[str]) -> str:
    """``json.dumps(list(values))`` of strings, without the encoder.

    >>> _json_strings(["a@b", 'caf\u00e9 "q"']) == json.dumps(["a@b", 'caf\u00e9 "q"']), _json_strings(())
    (True, '[]')
    """
    return "[" + ", ".join(map(_json_string, values)) + "]"


def _new_id() -> str:
    """22 base-57 digits of a random 128-bit number (as shortuuid makes them),
    taken two at a time (half the divisions of one at a time)."""
    number = int.from_bytes(secrets.token_bytes(16), "big")
    pairs = []
    for _ in range(_ID_LENGTH // 2):
        number, pair = divmod(number, _PAIR_BASE)
        pairs.append(_ID_PAIRS[pair])
    return "".join(pairs)


@functools.cache
def server_version() -> str:
    """The version string the API reports."""
    try:
        from importlib.metadata import version

        return "gostd-smtp " + version("gostd-smtp")
    except Exception:
        return "gostd-smtp"


def _summary(row: Sequence[Any]) -> dict[str, Any]:
    (message_id, mail_message_id, read, from_json, to_json, cc_json, bcc_json, reply_to_json,
     subject, created, username, size, attachments, snippet, tags) = row
    addresses = {"From": json.loads(from_json), "To": json.loads(to_json), "Cc": json.loads(cc_json),
                 "Bcc": json.loads(bcc_json), "ReplyTo": json.loads(reply_to_json)}
    return _listed(message_id, mail_message_id, read, addresses, subject, created, json.loads(username), size,
                   attachments, snippet, json.loads(tags) if tags else [])


def _listed(message_id: str, mail_message_id: str, read: Any, addresses: dict[str, Any], subject: str,
            created: int, username: str | None, size: int, attachments: int, snippet: str,
            tags: Sequence[str]) -> dict[str, Any]:
    """A list entry (Mailpit's message summary); ``addresses`` maps From,
    To, Cc, Bcc and ReplyTo to their values."""
    return {
        "ID": message_id,
        "MessageID": mail_message_id,
        "Read": bool(read),
        "From": addresses["From"],
        "To": addresses["To"],
        "Cc": addresses["Cc"],
        "Bcc": addresses["Bcc"],
        "ReplyTo": addresses["ReplyTo"],
        "Subject": subject,
        "Created": mailview.rfc3339(created),
        "Username": username or "",
        "Tags": tagnames.ordered(tags),
        "Size": size,
        "Attachments": attachments,
        "Snippet": snippet,
    }
