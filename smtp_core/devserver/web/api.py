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
  (:mod:`.events`) and :mod:`smtp_core.devserver.web.httpguard`'s middlewares, which guard
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
  ``<img>`` changes nothing).

Live events (``GET /api/events``, a WebSocket) are :mod:`.events`'s; its
``new`` events carry the summaries below.

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
import functools
import json
import logging
import re
from typing import Any, TypeVar
from collections.abc import Callable
from urllib.parse import quote

from aiohttp import web

from ..mailbox import search as search_syntax
from ..mailbox.search import SearchError
from ..mailbox.store import MailStore
from . import events, httpguard

__all__ = ["make_app", "STORE", "off_loop"]

log = logging.getLogger(__name__)

#: Where the page (or any client) finds the store on the application.
STORE = web.AppKey("store", MailStore)
_DEFAULT_LIMIT = 50
#: Part types shown inline (images a browser only decodes, never runs).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"})
# A part type a browser would run, apply or render as a document in our
# origin is served as opaque bytes (documents as Mailpit does; scripts and
# styles because the page's CSP trusts its own origin).
_ACTIVE_TYPE = re.compile(r"html|xml|xsl|script|json|wasm|^text/css$|^text/(jscript|livescript)$")
_CLEAN_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*\Z")
_OPAQUE = "application/octet-stream"
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
    ])
    events.add_routes(app, store, limits)
    app.on_response_prepare.append(httpguard.same_origin_reads)
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
