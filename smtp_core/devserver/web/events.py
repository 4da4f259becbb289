"""``GET /api/events``: Mailpit's live events, over a WebSocket.

Rules:

* A browser's request from another origin is refused (403,
  :func:`httpguard.cross_origin`): another site's page must not read the
  mail as it arrives.  Clients that are not browsers send no ``Origin``.
* The server only sends.  Each client has a bounded outbox
  (:class:`httpguard.HttpLimits`); a client that does not keep up is
  dropped (its connection aborted), never buffered for.
* A ``new`` event's ``Subject`` is cut at :data:`EVENT_SUBJECT_LIMIT`
  characters (the list has it whole).
* Each text frame is one JSON object ``{"Type": ..., "Data": ...}``, with
  Mailpit's event types:

=============  ==============================================================
``new``        ``Data`` is the message summary exactly as in :mod:`.api`'s list
``update``     ``{"ID": id, "Read": bool}`` after a read-status change
``delete``     ``{"ID": id}`` for each message deleted by ID
``truncate``   ``null``: every message was deleted
``prune``      ``null``: old messages were pruned (``--max-messages``)
``stats``      ``{"Total": n, "Unread": n, "Version": str}`` at most every
               0.25 s while things change (Mailpit's debounce)
=============  ==============================================================
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import weakref
from typing import Any

from aiohttp import WSMsgType, web

from ..mailbox.store import MailStore, server_version
from . import httpguard

__all__ = ["add_routes", "EVENTS_PATH", "EVENT_SUBJECT_LIMIT", "event_summary"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/api/events"
#: A ``new`` event's Subject is cut here (the message list has it whole).
EVENT_SUBJECT_LIMIT = 1000
_STATS_DELAY = 0.25
_OUTBOXES = web.AppKey("outboxes", weakref.WeakSet)
_LIMITS = web.AppKey("limits", httpguard.HttpLimits)
_UNSUBSCRIBE = web.AppKey("unsubscribe", list)


def add_routes(app: web.Application, store: MailStore, limits: httpguard.HttpLimits) -> None:
    """Serve :data:`EVENTS_PATH` on ``app``, forwarding ``store``'s changes
    from start-up; shutdown says goodbye to every client."""
    app[_LIMITS] = limits
    app[_OUTBOXES] = weakref.WeakSet()
    app[_UNSUBSCRIBE] = []
    app.router.add_get(EVENTS_PATH, events)
    app.on_startup.append(functools.partial(_forward_store_events, store=store))
    app.on_shutdown.append(_close_sockets)


async def events(request: web.Request) -> web.StreamResponse:
    refused = httpguard.cross_origin(request)
    if refused is not None:  # another site's page must not read the mail as it arrives
        return web.Response(status=403, text=f"403 Forbidden: {refused}\n", content_type="text/plain")
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    outbox = _Outbox(socket, request, request.app[_LIMITS])
    request.app[_OUTBOXES].add(outbox)
    try:
        async for message in socket:  # the client has nothing to say; wait for it to leave
            if message.type == WSMsgType.ERROR:
                break
    finally:
        request.app[_OUTBOXES].discard(outbox)
        outbox.stop()
    return socket


class _Outbox:
    """One event socket's frames on their way out, sent one at a time.

    At most ``event_queue_frames`` frames (``event_queue_chars``
    characters) wait, and each must be taken within
    ``event_write_timeout``: past either, the client is too slow and is
    dropped (its connection aborted) rather than buffered for.
    """

    def __init__(self, socket: web.WebSocketResponse, request: web.Request, limits: httpguard.HttpLimits):
        self.socket = socket
        self._request = request
        self._limits = limits
        self._frames: collections.deque = collections.deque()
        self._chars = 0
        self._ready = asyncio.Event()
        self._pump = asyncio.get_running_loop().create_task(self._send_all())

    def offer(self, frame: str) -> None:
        limits = self._limits
        if len(self._frames) >= limits.event_queue_frames or self._chars + len(frame) > limits.event_queue_chars:
            self.drop("its outbox is full")
            return
        self._frames.append(frame)
        self._chars += len(frame)
        self._ready.set()

    def drop(self, why: str) -> None:
        log.info("events: dropping a slow client (%s)", why)
        self.stop()
        transport = self._request.transport
        if transport is not None:
            transport.abort()  # a close frame would wait behind what it never reads

    async def close(self) -> None:
        """Say goodbye (server shutdown); a client that does not take it is dropped."""
        self.stop()
        try:
            await asyncio.wait_for(self.socket.close(code=1001, message=b"server shutdown"), 1.0)
        except asyncio.TimeoutError:
            self.drop("it did not take the close frame")

    def stop(self) -> None:
        self._pump.cancel()
        self._frames.clear()
        self._chars = 0

    async def _send_all(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._frames:
                frame = self._frames.popleft()
                self._chars -= len(frame)
                try:
                    await asyncio.wait_for(self.socket.send_str(frame), self._limits.event_write_timeout)
                except asyncio.TimeoutError:
                    self.drop("a frame was not taken in time")
                    return
                except (ConnectionError, RuntimeError):  # the client left meanwhile
                    return


def event_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A ``new`` event's summary: the Subject cut at :data:`EVENT_SUBJECT_LIMIT`.

    >>> len(event_summary({"Subject": "s" * 5000})["Subject"]), event_summary({"Subject": "hi"})
    (1003, {'Subject': 'hi'})
    """
    subject = summary.get("Subject") or ""
    if len(subject) <= EVENT_SUBJECT_LIMIT:
        return summary
    return {**summary, "Subject": subject[:EVENT_SUBJECT_LIMIT] + "..."}


async def _forward_store_events(app: web.Application, *, store: MailStore) -> None:
    loop = asyncio.get_running_loop()
    stats_due: list[asyncio.TimerHandle] = []

    def broadcast(event_type: str, data: Any) -> None:
        outboxes = [outbox for outbox in app[_OUTBOXES] if not outbox.socket.closed]
        if outboxes:  # nobody listening: no JSON to make
            if event_type == "new":
                data = event_summary(data)
            frame = json.dumps({"Type": event_type, "Data": data}, ensure_ascii=False)
            for outbox in outboxes:
                outbox.offer(frame)

    def send_stats() -> None:
        stats_due.clear()
        total, unread = store.counts()
        broadcast("stats", {"Total": total, "Unread": unread, "Version": server_version()})

    def forward(event_type: str, data: Any) -> None:
        if event_type != "stats":
            broadcast(event_type, data)
        # The store's "stats" says the counts may have changed.  Counting is
        # not free at 10,000 messages: once per burst is enough.
        elif not stats_due and app[_OUTBOXES]:
            stats_due.append(loop.call_later(_STATS_DELAY, send_stats))

    def from_any_thread(event_type: str, data: Any) -> None:
        # Nobody listening: no wake-up of the loop (two per arriving
        # message otherwise: "new", then "stats").  A socket that opens
        # meanwhile gets the events from its own opening on.
        if app[_OUTBOXES]:
            loop.call_soon_threadsafe(forward, event_type, data)

    app[_UNSUBSCRIBE].append(store.subscribe(from_any_thread))


async def _close_sockets(app: web.Application) -> None:
    for unsubscribe in app[_UNSUBSCRIBE]:
        unsubscribe()
    for outbox in list(app[_OUTBOXES]):
        await outbox.close()
