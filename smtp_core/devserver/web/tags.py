"""Mailpit's tag routes (``/api/v1/tags``), over the store's tags.

Rules (Mailpit's ``server/apiv1/tags.go``):

* ``GET /api/v1/tags``: every tag some message has, sorted as Mailpit
  (case-insensitively).
* ``PUT /api/v1/tags`` with ``{"Tags": [...], "IDs": [...]}``: each message
  gets exactly those tags (names cleaned by
  :mod:`~smtp_core.devserver.mailbox.tagnames`; an empty list removes them all);
  unknown IDs are ignored; ``ok``.
* ``PUT /api/v1/tags/{tag}`` with ``{"Name": new}``: renames the tag (into
  an existing one: they merge); ``DELETE /api/v1/tags/{tag}`` takes it off
  every message, which stay.  Both ``ok``.
* Bad JSON, a field of the wrong type, an unknown tag or a new name with
  nothing left after cleaning: ``400`` and plain text naming it.
* Every change is announced to the page's event stream by the store.
"""

from __future__ import annotations

import json

from aiohttp import web

from .api import STORE, off_loop
from .mailpit_extra import json_ok, text_error

__all__ = ["add_routes"]


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/tags", get_tags)
    app.router.add_put("/api/v1/tags", set_tags)
    app.router.add_put("/api/v1/tags/{tag}", rename_tag)
    app.router.add_delete("/api/v1/tags/{tag}", delete_tag)


def _ok() -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


async def _object(request: web.Request) -> dict:
    try:
        body = await request.json(loads=json.loads)
    except ValueError as error:
        raise ValueError(f"invalid JSON body: {error}") from None
    if not isinstance(body, dict):
        raise ValueError("the JSON body must be an object")
    return body


def _strings(body: dict, name: str) -> list:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} must be an array of strings")
    return value


async def get_tags(request: web.Request) -> web.Response:
    return json_ok(await off_loop(request.app[STORE].tags))


async def set_tags(request: web.Request) -> web.Response:
    try:
        body = await _object(request)
        tags, ids = _strings(body, "Tags"), _strings(body, "IDs")
    except ValueError as error:
        return text_error(str(error))
    if ids:
        await off_loop(request.app[STORE].set_tags, ids, tags)
    return _ok()


async def rename_tag(request: web.Request) -> web.Response:
    try:
        body = await _object(request)
        name = body.get("Name", "")
        if not isinstance(name, str):
            raise ValueError("Name must be a string")
        await off_loop(request.app[STORE].rename_tag, request.match_info["tag"], name)
    except ValueError as error:
        return text_error(str(error))
    return _ok()


async def delete_tag(request: web.Request) -> web.Response:
    await off_loop(request.app[STORE].delete_tag, request.match_info["tag"])
    return _ok()
