"""Mailpit's application routes beyond the mailbox: info, web UI settings, and
where the feature routes are registered.

Rules:

* :func:`add_routes` is the one place that adds every route of the optional
  features (send, release, views, link, HTML and spam checks, thumbnails) to the
  API application, with their :class:`~smtp_core.devserver.features.Features`
  and :class:`~smtp_core.devserver.features.RuntimeStats` on it.
* Errors are Mailpit's two kinds: :func:`text_error` (``400`` and plain text,
  its ``httpError``) and :func:`json_error` (``400`` and ``{"Error": ...}``,
  its ``httpJSONError``, used by the send API); an unknown message ID is
  ``404`` with Go's ``404 page not found``, answered for every feature
  route by :func:`with_message`, the one way they reach their message.
* The routes that act (send, release) or make the catcher contact others
  (link check, spam check) are :func:`same_origin_only`:
  a browser names the page that made a request in ``Origin``; one from
  another origin (or ``null``, a sandboxed frame) is ``403``, so that a web
  page cannot make the catcher send or relay mail (a form or ``fetch``
  posting ``text/plain`` needs no CORS preflight).  Clients that are not
  browsers send no ``Origin`` and are not affected.
* ``/api/v1/info`` is Mailpit's ``AppInformation``: ``Database`` is the
  index file, ``DatabaseSize`` its bytes (the messages themselves are files
  of the Maildir beside it), ``LatestVersion`` is never looked up.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..features import Features, RuntimeStats
from ..mailbox.store import INDEX_NAME, MailStore, server_version
from . import httpguard
from .api import STORE, off_loop

__all__ = ["add_routes", "FEATURES", "STATS", "json_ok", "text_error", "json_error", "not_found",
           "with_message", "same_origin_only"]

FEATURES = web.AppKey("features", Features)
STATS = web.AppKey("stats", RuntimeStats)

json_ok = functools.partial(web.json_response, dumps=functools.partial(json.dumps, ensure_ascii=False))


def text_error(message: str, status: int = 400) -> web.Response:
    return web.Response(status=status, text=message, content_type="text/plain")


def json_error(message: str, status: int = 400) -> web.Response:
    return json_ok({"Error": message}, status=status)


def not_found() -> web.Response:
    return text_error("404 page not found", 404)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def same_origin_only(handler: Handler) -> Handler:
    """``handler``, refusing (``403``) a browser's request from another origin."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if httpguard.cross_origin(request) is not None:
            return text_error(f"cross-origin request refused (Origin: {request.headers.get('Origin')})", 403)
        return await handler(request)

    return guarded


def with_message(read: Callable[..., Any], *path_keys: str) -> Callable[[Callable[..., Awaitable[web.StreamResponse]]], Handler]:
    """A feature route's one way to its message: the decorated
    ``handler(request, found)`` gets what ``read(store, ID, *path values)``,
    a :class:`MailStore` method run off the loop, finds for the path's
    ``{id}`` (``latest`` too) and its ``path_keys``; found nothing is Go's
    ``404 page not found``, and the handler never runs."""

    def decorate(handler: Callable[..., Awaitable[web.StreamResponse]]) -> Handler:
        @functools.wraps(handler)
        async def route(request: web.Request) -> web.StreamResponse:
            store = request.app[STORE]
            message_id: str | None = request.match_info["id"]
            if message_id == "latest":
                message_id = await off_loop(store.latest_id)
            arguments = [request.match_info[key] for key in path_keys]
            found = None if message_id is None else await off_loop(read, store, message_id, *arguments)
            return not_found() if found is None else await handler(request, found)

        return route

    return decorate


def add_routes(app: web.Application, features: Features | None = None,
               stats: RuntimeStats | None = None) -> None:
    """Install the feature routes on the API application ``app``."""
    from . import chaos, htmlcheck, linkcheck, release, sendapi, spamassassin, tags, thumbs, views  # the feature modules import this one

    app[FEATURES] = features or Features()
    if stats is None:  # an application of its own (tests): count from now
        stats = RuntimeStats()
        app.on_startup.append(lambda app: _watch(app, stats))
    app[STATS] = stats
    app.router.add_get("/api/v1/info", get_info)
    app.router.add_get("/api/v1/webui", get_webui)
    for module in (sendapi, release, views, linkcheck, htmlcheck, spamassassin, thumbs, chaos, tags):
        module.add_routes(app)


async def _watch(app: web.Application, stats: RuntimeStats) -> None:
    unsubscribe = stats.watch(app[STORE])
    app.on_cleanup.append(lambda app: _unsubscribe(unsubscribe))


async def _unsubscribe(unsubscribe: Any) -> None:
    unsubscribe()


def _database_size(store: MailStore) -> int:
    size = 0
    for suffix in ("", "-wal"):
        try:
            size += (store.directory / (INDEX_NAME + suffix)).stat().st_size
        except FileNotFoundError:
            pass
    return size


async def get_info(request: web.Request) -> web.Response:
    store = request.app[STORE]
    total, unread = store.counts()
    return json_ok({
        "Version": server_version(),
        "LatestVersion": "",
        "Database": str(store.directory / INDEX_NAME),
        "DatabaseSize": _database_size(store),
        "Messages": total,
        "Unread": unread,
        "Tags": store.tag_counts(),
        "RuntimeStats": request.app[STATS].snapshot(total),
    })


async def get_webui(request: web.Request) -> web.Response:
    features = request.app[FEATURES]
    relay = features.relay
    allowed = relay.allowed.pattern if relay is not None and relay.allowed is not None else ""
    return json_ok({
        "Label": features.label,
        "MessageRelay": {
            "Enabled": relay is not None,
            "SMTPServer": relay.address if relay is not None else "",
            "ReturnPath": "",
            "AllowedRecipients": allowed,
            "BlockedRecipients": "",
            "OverrideFrom": "",
            "PreserveMessageIDs": relay is not None,
            "RecipientAllowlist": allowed,
        },
        "SpamAssassin": features.spamassassin is not None,
        "ChaosEnabled": features.chaos is not None,
        "DuplicatesIgnored": False,
        "HideDeleteAllButton": False,
    })
