"""Mailpit's v1 REST API and live events over the dev server's mail store.

The HTTP side of the mail catcher, built on aiohttp and run in the dev
server's own event loop.  Paths, parameters, JSON field names and status
codes follow Mailpit's ``/api/v1`` so that Mailpit clients and test suites
work unchanged (``docs/devserver.md`` lists what is covered).

Contract with the web page (``smtp_core/devserver/web/page.py``)
-------------------------------------------------------------

Construction::

    app = make_app(store, basic_auth=("user", "password") or None,
                   hosts=httpguard.HostPolicy(...), limits=httpguard.HttpLimits())
    page.add_routes(app)          # the page adds its own routes and headers
    # then aiohttp.web.AppRunner(app) ... in the dev server's loop

* ``make_app`` installs the API routes below, the WebSocket ``/api/events``
  and :mod:`smtp_core.devserver.web.httpguard`'s middlewares, which guard
  *every* route, the page's included: the Host check (``hosts``), basic
  authentication with a failure budget (``basic_auth``) and the body
  deadline (``limits``).
* ``app[STORE]`` (an ``aiohttp.web.AppKey``) is the
  :class:`smtp_core.devserver.mailbox.store.MailStore`, for page routes that need it.
* API responses carry no page CSP; message parts (``/part/...``) and raw
  sources are served with ``Content-Security-Policy: default-src 'none';
  sandbox`` and ``X-Content-Type-Options: nosniff`` so that message HTML
  opened directly never runs in the page's origin.
* A part's type is parsed, never echoed: only :data:`INLINE_TYPES` (plain
  images) are served inline; every other part is ``Content-Disposition:
  attachment``, and a type that a page could run or apply (scripts, styles,
  documents, JSON) or that is not a clean ``type/subtype`` token goes out as
  ``application/octet-stream``, which ``nosniff`` keeps from ever being
  loaded as a script or a style, even by the page's own origin.
* Reading a message (``GET /api/v1/message/{ID}``) marks it read only for a
  request that passes :func:`httpguard.cross_origin` (a cross-origin
  ``<img>`` changes nothing); ``/api/events`` refuses (403) a foreign Origin.

Live events: ``GET /api/events`` upgrades to a WebSocket.  The server only
sends; each client has a bounded outbox (:class:`httpguard.HttpLimits`), and
a client that does not keep up is dropped (the connection aborted), never
buffered for; a ``new`` event's ``Subject`` is cut at
:data:`EVENT_SUBJECT_LIMIT` characters (the list has it whole).  Each text frame is one JSON object ``{"Type": ..., "Data": ...}``,
with Mailpit's event types:

=============  ==============================================================
``new``        ``Data`` is the message summary exactly as in the list below
``update``     ``{"ID": id, "Read": bool}`` after a read-status change
``delete``     ``{"ID": id}`` for each message deleted by ID
``truncate``   ``null``: every message was deleted
``prune``      ``null``: old messages were pruned (``--max-messages``)
``stats``      ``{"Total": n, "Unread": n, "Version": str}`` at most every
               0.25 s while things change (Mailpit's debounce)
=============  ==============================================================

Routes (all JSON unless noted; an unknown message ID answers 404 with a
plain-text body, a malformed request 400):

``GET /api/v1/messages?start=0&limit=50``
    ``{"total", "unread", "count", "messages_count", "messages_unread",
    "start", "tags", "messages": [summary, ...]}``, newest first.
``PUT /api/v1/messages``
    Body ``{"IDs": [...], "Read": bool}`` (no IDs: every message); ``ok``.
``DELETE /api/v1/messages``
    Body ``{"IDs": [...]}`` (no body or no IDs: every message); ``ok``.
``GET /api/v1/search?query=&start=&limit=``
    Same shape as the list, for Mailpit's search syntax.
``DELETE /api/v1/search?query=``
    Deletes the matches; ``ok``.
``GET /api/v1/message/{ID}`` (``ID`` may be ``latest``)
    The message (``Text``, ``HTML``, ``Date``, ``Inline``, ``Attachments``,
    ...); marks it read.
``GET /api/v1/message/{ID}/raw``, ``/headers``, ``/part/{PartID}``
    The source (text/plain), ``{"Header": ["value", ...]}``, one MIME part.
``/api/v1/info``, ``/api/v1/webui`` and the optional features' routes
    are :mod:`smtp_core.devserver.web.mailpit_extra`'s.

A summary is ``{"ID", "MessageID", "Read", "From": {"Name", "Address"},
"To": [...], "Cc": [...], "Bcc": [...], "ReplyTo": [...], "Subject",
"Created" (RFC 3339), "Username", "Tags": [], "Size", "Attachments" (a
count), "Snippet"}``.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import re
import weakref
from typing import Any, TypeVar
from collections.abc import Callable
from urllib.parse import quote

from aiohttp import WSMsgType, web

from . import httpguard
from ..mailbox import search as search_syntax
from ..mailbox.search import SearchError
from ..mailbox.store import MailStore, server_version

__all__ = ["make_app", "STORE", "EVENTS_PATH", "off_loop"]

log = logging.getLogger(__name__)

#: Where the page (or any client) finds the store on the application.
STORE = web.AppKey("store", MailStore)
EVENTS_PATH = "/api/events"
_OUTBOXES = web.AppKey("outboxes", weakref.WeakSet)
_LIMITS = web.AppKey("limits", httpguard.HttpLimits)
_UNSUBSCRIBE = web.AppKey("unsubscribe", list)
_DEFAULT_LIMIT = 50
_STATS_DELAY = 0.25
#: Part types shown inline (images a browser only decodes, never runs).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"})
# A part type a browser would run, apply or render as a document in our
# origin is served as opaque bytes (documents as Mailpit does; scripts and
# styles because the page's CSP trusts its own origin).
_ACTIVE_TYPE = re.compile(r"html|xml|xsl|script|json|wasm|^text/css$|^text/(jscript|livescript)$")
_CLEAN_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*\Z")
_OPAQUE = "application/octet-stream"
#: A ``new`` event's Subject is cut here (the message list has it whole).
EVENT_SUBJECT_LIMIT = 1000
# Whatever a message part or source holds, the browser must not run it here.
_UNTRUSTED_HEADERS = {"Content-Security-Policy": "default-src 'none'; sandbox",
                      "X-Content-Type-Options": "nosniff"}


def make_app(store: MailStore, *, basic_auth: tuple[str, str] | None = None,
             hosts: httpguard.HostPolicy | None = None,
             limits: httpguard.HttpLimits = httpguard.HttpLimits(),
             first_request: httpguard.FirstRequestDeadline | None = None) -> web.Application:
    """The aiohttp application serving the API and live events for ``store``.

    ``basic_auth=(user, password)`` requires HTTP basic authentication on
    every route, the page's included; ``hosts`` refuses requests whose Host
    header does not name the catcher; ``first_request`` learns here that a
    connection's first request arrived.
    """
    middlewares = [first_request.middleware()] if first_request else []
    if hosts:
        middlewares.append(httpguard.host_middleware(hosts))
    if basic_auth:
        middlewares.append(httpguard.basic_auth_middleware(*basic_auth))
    middlewares.append(httpguard.body_deadline_middleware(limits.body_timeout))
    app = web.Application(middlewares=middlewares)
    app[STORE] = store
    app[_LIMITS] = limits
    app[_OUTBOXES] = weakref.WeakSet()
    app[_UNSUBSCRIBE] = []
    app.add_routes([
        web.get("/api/v1/messages", list_messages),
        web.put("/api/v1/messages", set_read_status),
        web.delete("/api/v1/messages", delete_messages),
        web.get("/api/v1/search", search_messages),
        web.delete("/api/v1/search", delete_search),
        web.get("/api/v1/message/{id}", get_message),
        web.get("/api/v1/message/{id}/raw", get_raw),
        web.get("/api/v1/message/{id}/headers", get_headers),
        web.get("/api/v1/message/{id}/part/{part}", get_part),
        web.get(EVENTS_PATH, events),
    ])
    app.on_response_prepare.append(httpguard.same_origin_reads)
    app.on_startup.append(_forward_store_events)
    app.on_shutdown.append(_close_sockets)
    return app


# ---- helpers ----

_Result = TypeVar("_Result")


async def off_loop(function: Callable[..., _Result], *arguments: Any) -> _Result:
    """``function(*arguments)`` on a worker thread: parsing a message or
    scanning the index may take seconds, and the loop also serves SMTP."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *arguments))



def _json(data: Any) -> web.Response:
    return web.Response(text=json.dumps(data, ensure_ascii=False) + "\n", content_type="application/json")


def _ok() -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


def _bad_request(message: str) -> web.Response:
    return web.Response(status=400, text=message, content_type="text/plain")


def _not_found(message: str = "404 page not found") -> web.Response:
    return web.Response(status=404, text=message, content_type="text/plain")


def _start_limit(request: web.Request) -> tuple[int, int]:
    """Mailpit's paging: ``start`` (default 0), ``limit`` (default 50); a
    value that is not a positive number keeps the default."""
    def positive(name: str, default: int) -> int:
        try:
            value = int(request.query.get(name, ""))
        except ValueError:
            return default
        return value if value > 0 else default
    return positive("start", 0), positive("limit", _DEFAULT_LIMIT)


async def _json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body); ``ValueError``
    names what is wrong."""
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON body: {error}") from None
    if not isinstance(body, dict):
        raise ValueError("the JSON body must be an object")
    return body


def _ids(body: dict[str, Any]) -> list[str] | None:
    ids = body.get("IDs")
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError("IDs must be an array of message ID strings")
    return ids


async def _message_id(request: web.Request) -> str | None:
    """The ``{id}`` of the path, ``latest`` resolved (``None``: no such
    message, or a ``query`` the search refuses)."""
    message_id = request.match_info["id"]
    if message_id == "latest":
        try:
            return await off_loop(request.app[STORE].latest_id, request.query.get("query", ""))
        except SearchError:
            return None
    return message_id


def _listing(store: MailStore, start: int, messages: list[dict[str, Any]],
             matches: int, unread_matches: int) -> dict[str, Any]:
    total, unread = store.counts()
    return {
        "total": total,
        "unread": unread,
        "count": len(messages),
        "messages_count": matches,
        "messages_unread": unread_matches,
        "start": start,
        "tags": store.tags(),
        "messages": messages,
    }


# ---- messages ----


async def list_messages(request: web.Request) -> web.Response:
    store = request.app[STORE]
    start, limit = _start_limit(request)
    total, unread = store.counts()
    return _json(_listing(store, start, store.summaries(start, limit), total, unread))


async def search_messages(request: web.Request) -> web.Response:
    query = request.query.get("query", "").strip()
    if not query:
        return _bad_request("Error: no search query")
    store = request.app[STORE]
    start, limit = _start_limit(request)
    try:
        zone = search_syntax.zone_named(request.query.get("tz", ""))
        found, matches, unread = await off_loop(store.search, query, start, limit, zone)
    except SearchError as error:
        return _bad_request(f"Error: {error}")
    return _json(_listing(store, start, found, matches, unread))


async def set_read_status(request: web.Request) -> web.Response:
    try:
        body = await _json_body(request)
        ids = _ids(body)
    except ValueError as error:
        return _bad_request(str(error))
    read = body.get("Read", False)
    if not isinstance(read, bool):
        return _bad_request("Read must be true or false")
    search = body.get("Search", "")
    if ids and search:
        return _bad_request("You may specify either IDs or a search query, not both")
    store = request.app[STORE]
    if search:
        try:
            zone = search_syntax.zone_named(request.query.get("tz", ""))
            found, _, _ = await off_loop(store.search, str(search), 0, -1, zone)
        except SearchError as error:
            return _bad_request(f"Error: {error}")
        await off_loop(store.set_read, [summary["ID"] for summary in found], read)
    else:
        await off_loop(store.set_read, ids or None, read)
    return _ok()


async def delete_messages(request: web.Request) -> web.Response:
    try:
        ids = _ids(await _json_body(request))
    except ValueError as error:
        return _bad_request(str(error))
    # Off the loop: deleting thousands of messages is thousands of unlinks.
    if ids:
        await off_loop(request.app[STORE].delete, ids)
    else:
        await off_loop(request.app[STORE].delete_all)
    return _ok()


async def delete_search(request: web.Request) -> web.Response:
    query = request.query.get("query", "").strip()
    if not query:
        return _bad_request("Error: no search query")
    try:
        zone = search_syntax.zone_named(request.query.get("tz", ""))
        await off_loop(request.app[STORE].delete_matching, query, zone)
    except SearchError as error:
        return _bad_request(f"Error: {error}")
    return _ok()


# ---- one message ----


async def get_message(request: web.Request) -> web.Response:
    store = request.app[STORE]
    message_id = await _message_id(request)
    if message_id is None:
        return _not_found("Message not found")
    message = await off_loop(store.message, message_id)
    if message is None:
        return _not_found()
    if httpguard.cross_origin(request) is None:  # a cross-origin <img> changes nothing
        store.set_read([message_id], True)
    return _json(message)


async def get_raw(request: web.Request) -> web.Response:
    message_id = await _message_id(request)
    if message_id is None:
        return _not_found("Message not found")
    raw = await off_loop(request.app[STORE].raw, message_id)
    if raw is None:
        return _not_found()
    headers = dict(_UNTRUSTED_HEADERS)
    if request.query.get("dl") == "1":
        headers["Content-Disposition"] = f'attachment; filename="{message_id}.eml"'
    return web.Response(body=raw, headers=headers, content_type="text/plain", charset="utf-8")


async def get_headers(request: web.Request) -> web.Response:
    message_id = await _message_id(request)
    if message_id is None:
        return _not_found("Message not found")
    headers = await off_loop(request.app[STORE].headers, message_id)
    return _not_found() if headers is None else _json(headers)


async def get_part(request: web.Request) -> web.Response:
    message_id = await _message_id(request)
    if message_id is None:
        return _not_found("Message not found")
    found = await off_loop(request.app[STORE].part, message_id, request.match_info["part"])
    if found is None:
        return _not_found()
    content_type, file_name, content = found
    content_type, disposition = served_type(content_type)
    headers = {**_UNTRUSTED_HEADERS,
               "Content-Type": content_type,
               "Content-Disposition": f'{disposition}; filename="{quote(file_name)}"'}
    if disposition == "inline":  # the sandboxed view's opaque origin shows inline images
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return web.Response(body=content, headers=headers)


def served_type(declared: str) -> tuple[str, str]:
    """``(Content-Type, disposition)`` a part of type ``declared`` is served
    with: only :data:`INLINE_TYPES` inline; what a page could run, or what is
    not a clean ``type/subtype``, as opaque bytes.

    >>> served_type("image/png"), served_type("application/pdf")
    (('image/png', 'inline'), ('application/pdf', 'attachment'))
    >>> served_type("x,text/html"), served_type("text/javascript"), served_type("text/plain\\r\\n x")
    (('application/octet-stream', 'attachment'), ('application/octet-stream', 'attachment'), ('application/octet-stream', 'attachment'))
    """
    essence = declared.split(";", 1)[0].strip().lower()
    if essence in INLINE_TYPES:
        return essence, "inline"
    if not _CLEAN_TYPE.match(essence) or _ACTIVE_TYPE.search(essence):
        return _OPAQUE, "attachment"
    return essence, "attachment"


# ---- live events ----


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
    """A ``new`` event's summary: the Subject cut at :data:`EVENT_SUBJECT_LIMIT`."""
    subject = summary.get("Subject") or ""
    if len(subject) <= EVENT_SUBJECT_LIMIT:
        return summary
    return {**summary, "Subject": subject[:EVENT_SUBJECT_LIMIT] + "..."}


async def _forward_store_events(app: web.Application) -> None:
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
        total, unread = app[STORE].counts()
        broadcast("stats", {"Total": total, "Unread": unread, "Version": server_version()})

    def forward(event_type: str, data: Any) -> None:
        if event_type != "stats":
            broadcast(event_type, data)
        # The store's "stats" says the counts may have changed.  Counting is
        # not free at 10,000 messages: once per burst is enough.
        elif not stats_due and app[_OUTBOXES]:
            stats_due.append(loop.call_later(_STATS_DELAY, send_stats))

    def from_any_thread(event_type: str, data: Any) -> None:
        loop.call_soon_threadsafe(forward, event_type, data)

    app[_UNSUBSCRIBE].append(app[STORE].subscribe(from_any_thread))


async def _close_sockets(app: web.Application) -> None:
    for unsubscribe in app[_UNSUBSCRIBE]:
        unsubscribe()
    for outbox in list(app[_OUTBOXES]):
        await outbox.close()
