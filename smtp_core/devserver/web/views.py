"""``GET /view/{ID}.txt``: Mailpit's rendered text view (``latest`` too).

The HTML view, ``/view/{ID}.html``, is the page's (:mod:`.page`: sandboxed,
``cid:`` images pointed at the part routes).  The text view is the
message's ``Text`` as ``text/plain``, under the same ``sandbox`` policy and
``nosniff`` as the parts, so that a browser never runs it as anything else.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..mailbox.store import MailStore
from .mailpit_extra import with_message

__all__ = ["add_routes"]

_TEXT_HEADERS = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff",
                 "Cache-Control": "no-store"}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/view/{id}.txt", text_view)


@with_message(MailStore.message)
async def text_view(request: web.Request, message: dict[str, Any]) -> web.Response:
    return web.Response(text=message["Text"], content_type="text/plain", charset="utf-8", headers=_TEXT_HEADERS)
