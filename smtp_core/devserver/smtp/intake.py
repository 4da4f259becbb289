"""The hand-off of finished messages from the event loop to the store.

Rules:

* One long-lived thread stores every message the sessions finish, fed by
  a queue: :meth:`StoreThread.submit` (on the loop) never blocks and makes
  no future; parsing and the disk stay off the loop, which meanwhile
  serves the other connections and HTTP.
* The thread takes everything queued at once and stores it as one batch
  (:meth:`~smtp_core.devserver.mailbox.store.MailStore.receive_many`: one
  index transaction), then hands the batch's outcomes back with one
  ``call_soon_threadsafe``: a burst over many connections costs one
  wake-up each way, not one per message, and no two workers take turns
  at the interpreter's lock.
* Each message's ``done`` is called on the loop, in submission order,
  with what ``receive`` returned or the exception it raised; one message's
  failure is its own.
* :meth:`StoreThread.stop` stores what is queued, then ends the thread;
  a server that stops meanwhile (its loop closed) drops the outcomes: its
  sessions are gone.

>>> import asyncio, tempfile
>>> from smtp_core.devserver.mailbox.store import MailStore
>>> store = MailStore(tempfile.mkdtemp())
>>> worker = StoreThread(store)
>>> async def one():
...     answered = asyncio.get_running_loop().create_future()
...     worker.submit(Incoming(b"Subject: hi\\r\\n\\r\\nbody\\r\\n", "a@example.com", ("b@example.com",)),
...                   answered.set_result)
...     summary, stored = await answered
...     return summary["Subject"], stored.envelope_to
>>> asyncio.run(one())
('hi', ('b@example.com',))
>>> worker.stop(timeout=5)
>>> store.close()
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from ..mailbox.store import Incoming, MailStore

__all__ = ["Incoming", "StoreThread"]

log = logging.getLogger(__name__)

#: What ``done`` is called with: ``receive``'s result or its exception.
Outcome = Any
_Job = tuple[asyncio.AbstractEventLoop, Incoming, Callable[[Outcome], None]]
# Messages stored as one batch at most: a burst is committed in a few
# transactions, and its first answers do not wait for the whole burst.
_BATCH_LIMIT = 64


class StoreThread:
    """Stores messages for the event loop on one thread of its own,
    started at the first :meth:`submit`."""

    def __init__(self, store: MailStore):
        self.store = store
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, incoming: Incoming, done: Callable[[Outcome], None]) -> None:
        """Queue ``incoming``; ``done(outcome)`` runs on the calling
        (running) loop once it is stored or refused."""
        self._jobs.put((asyncio.get_running_loop(), incoming, done))
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="smtp-devserver store", daemon=True)
                    self._thread.start()

    def stop(self, timeout: float) -> None:
        """Store what is queued, then end the thread (within ``timeout`` s)."""
        thread = self._thread
        if thread is None:
            return
        self._jobs.put(None)
        thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch, stopping = self._take()
            if batch:
                self._store(batch)
            if stopping:
                return

    def _take(self) -> tuple[list[_Job], bool]:
        """The next batch: one job (waited for), and whatever else is queued."""
        first = self._jobs.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < _BATCH_LIMIT:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _store(self, batch: list[_Job]) -> None:
        try:
            outcomes: list[Outcome] = self.store.receive_many([incoming for _, incoming, _ in batch])
        except Exception as error:  # receive_many answers per message; this is a bug, and still answered
            log.exception("storing a batch of %d messages failed", len(batch))
            outcomes = [error] * len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Callable[[Outcome], None], Outcome]]] = {}
        for (loop, _, done), outcome in zip(batch, outcomes):
            by_loop.setdefault(loop, []).append((done, outcome))
        for loop, answers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_answer, answers)
            except RuntimeError:  # the loop is closed: the server stopped, its sessions are gone
                pass


def _answer(answers: list[tuple[Callable[[Outcome], None], Outcome]]) -> None:
    for done, outcome in answers:
        try:
            done(outcome)
        except Exception:  # one session's failure must not cost the others their answer
            log.exception("answering a stored message failed")
