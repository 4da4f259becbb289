"""The mail catcher's web page: routes for the page, its files, and the
sandboxed view of a message's HTML.

Rules:

* The page is plain HTML, CSS and JavaScript shipped in ``static/``; the
  files are a fixed table read when the routes are added, looked up by name:
  nothing in a request names a file path.
* The page is served under a strict Content-Security-Policy (:data:`PAGE_CSP`):
  scripts, styles and images from its own origin only (no inline script),
  connections only to its own API and event socket, frames only from itself,
  and it cannot itself be framed.
* A message's HTML never runs in the page's origin.  ``/view/{ID}.html``
  serves it under :data:`VIEW_CSP`, which sandboxes the document (no
  scripts, an opaque origin) even when the URL is opened on its own, blocks
  remote content (images only inline or from the message's own parts,
  styles only inline, no fonts from elsewhere, no forms) and lets links open
  in a new tab.  The page shows it in an ``iframe`` whose ``sandbox``
  attribute allows neither scripts nor the same origin.  ``?remote=1`` lets
  remote images, styles and fonts load, on request.
* ``cid:`` references to the message's inline parts become the API's part
  URLs, so that embedded images show.

Everything else (the API, the event socket, basic auth) is
:mod:`smtp_core.devserver.web.api`'s; it calls :func:`add_routes` on its app.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from importlib import resources
from typing import Any
from collections.abc import Mapping

from aiohttp import web

from ..mailbox.store import MailStore
from .api import STORE, off_loop

__all__ = ["add_routes", "message_html", "part_url", "PAGE_CSP", "VIEW_CSP", "REMOTE_VIEW_CSP", "STATIC_FILES"]

# name -> content type: the only files the page serves.
STATIC_FILES: Mapping[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
    **{f"{module}.js": "text/javascript; charset=utf-8"
       for module in ("api", "dom", "idn", "mailbox", "list", "view", "reports", "release", "events")},
    "favicon.svg": "image/svg+xml",
    "clip.svg": "image/svg+xml",
}

PAGE_CSP = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))

_VIEW_SANDBOX = "sandbox allow-popups allow-popups-to-escape-sandbox"
VIEW_CSP = "; ".join((
    "default-src 'none'",
    "img-src 'self' data:",
    "style-src 'unsafe-inline'",
    "font-src data:",
    "form-action 'none'",
    "frame-ancestors 'self'",
    _VIEW_SANDBOX,
))
REMOTE_VIEW_CSP = "; ".join((
    "default-src 'none'",
    "img-src 'self' data: https: http:",
    "style-src 'unsafe-inline' https: http:",
    "font-src data: https: http:",
    "form-action 'none'",
    "frame-ancestors 'self'",
    _VIEW_SANDBOX,
))

_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_PAGE_HEADERS = {**_COMMON_HEADERS, "Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY"}

# Links in a message open in a new tab (the iframe's sandbox allows popups,
# not navigating the page).
_BASE = "<base target=\"_blank\">"
_DOCTYPE = re.compile(r"\A\s*<!doctype[^>]*>", re.IGNORECASE)
_CID = re.compile(r"cid:([^\s\"'<>()]+)", re.IGNORECASE)


class _StaticFile:
    def __init__(self, body: bytes, content_type: str):
        self.body = body
        self.content_type = content_type
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _load_static() -> dict[str, _StaticFile]:
    folder = resources.files(__package__).joinpath("static")
    return {name: _StaticFile(folder.joinpath(name).read_bytes(), content_type)
            for name, content_type in STATIC_FILES.items()}


def add_routes(app: web.Application) -> None:
    """Add the page (``/``), its files (``/static/{name}``) and the message
    HTML view (``/view/{ID}.html``) to the API's *app*."""
    files = _load_static()

    def serve(request: web.Request, name: str) -> web.Response:
        found = files.get(name)
        if found is None:
            raise web.HTTPNotFound(text="no such file\n", headers=_PAGE_HEADERS)
        headers = {**_PAGE_HEADERS, "ETag": found.etag, "Cache-Control": "no-cache"}
        if found.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(body=found.body, headers={**headers, "Content-Type": found.content_type})

    async def index(request: web.Request) -> web.Response:
        return serve(request, "index.html")

    async def static(request: web.Request) -> web.Response:
        return serve(request, request.match_info["name"])

    async def view(request: web.Request) -> web.Response:
        message_id = request.match_info["id"]
        # Off the loop: a 20 MiB HTML body takes a while to decode and rewrite.
        html = await off_loop(_view_html, request.app[STORE], message_id)
        if html is None:
            raise web.HTTPNotFound(text=f"message {message_id!r} not found\n", headers=_COMMON_HEADERS)
        remote = request.query.get("remote") == "1"
        return web.Response(
            text=html,
            content_type="text/html",
            charset="utf-8",
            headers={
                **_COMMON_HEADERS,
                "Content-Security-Policy": REMOTE_VIEW_CSP if remote else VIEW_CSP,
                "Cache-Control": "no-store",
            },
        )

    app.router.add_get("/", index, name="catcher-page")
    app.router.add_get("/static/{name}", static, name="catcher-static")
    app.router.add_get("/view/{id}.html", view, name="catcher-view")


def _view_html(store: MailStore, message_id: str) -> str | None:
    if message_id == "latest":  # Mailpit's /view/latest.html
        message_id = store.latest_id() or message_id
    message = store.message(message_id)
    return None if message is None else message_html(message)


def part_url(message_id: str, part_id: str) -> str:
    """The API's URL of one part of a message (Mailpit's path)."""
    quote = urllib.parse.quote
    return f"/api/v1/message/{quote(message_id, safe='')}/part/{quote(part_id, safe='')}"


def message_html(message: Mapping[str, Any]) -> str:
    """The message's HTML as the view serves it: links open in a new tab,
    ``cid:`` references point at the inline parts' URLs.

    >>> message = {"ID": "X", "HTML": '<!DOCTYPE html><img src="cid:logo%40a">',
    ...            "Inline": [{"PartID": "2", "ContentID": "logo@a"}]}
    >>> message_html(message)
    '<!DOCTYPE html><base target="_blank"><img src="/api/v1/message/X/part/2">'
    """
    parts: dict[str, str] = {}
    for part in (*message.get("Inline", ()), *message.get("Attachments", ())):
        if part.get("ContentID"):
            parts[part["ContentID"]] = part_url(message["ID"], part["PartID"])

    def replace(match: re.Match[str]) -> str:
        return parts.get(urllib.parse.unquote(match.group(1)), match.group(0))

    markup = _CID.sub(replace, message.get("HTML") or "")
    doctype = _DOCTYPE.match(markup)
    split = doctype.end() if doctype else 0
    return markup[:split] + _BASE + markup[split:]

