"""Mailpit's chaos routes: ``GET`` and ``PUT /api/v1/chaos``.

Rules:

* The triggers themselves (three of them, ``ErrorCode`` 400–599 and
  ``Probability`` 0–100) and when they strike belong to
  :class:`~smtp_core.devserver.smtp.policy.Chaos`, which the SMTP side's
  :class:`~smtp_core.devserver.smtp.policy.Policy` consults; these routes only
  read and replace them.
* Without ``--enable-chaos`` (or ``--chaos-triggers``) both routes are
  ``400`` with Mailpit's ``Chaos is not enabled``: it cannot be switched on
  at run time.
* ``PUT`` replaces all three (an omitted one is reset to 0 %) and answers
  with the new triggers; a body that is not JSON or holds a bad value is
  ``400`` with Go's or Mailpit's text, and nothing changes.
* ``PUT`` changes how the SMTP side answers, so it is
  :func:`~smtp_core.devserver.web.mailpit_extra.same_origin_only`.

Go's texts for a body that is not JSON:

>>> def decode(text):
...     try:
...         json.loads(text)
...     except json.JSONDecodeError as error:
...         return _go_syntax_error(error)
>>> decode("nope"), decode('{"Sender":')
("invalid character 'n' looking for beginning of value", 'unexpected EOF')
"""

from __future__ import annotations

import json

from aiohttp import web

from .mailpit_extra import FEATURES, json_ok, same_origin_only, text_error

__all__ = ["add_routes", "MAX_BODY"]

#: A chaos body is a few dozen bytes; more is refused unread.
MAX_BODY = 64 * 1024


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/chaos", get_chaos)
    app.router.add_put("/api/v1/chaos", same_origin_only(set_chaos))


async def get_chaos(request: web.Request) -> web.Response:
    chaos = request.app[FEATURES].chaos
    if chaos is None:
        return text_error("Chaos is not enabled")
    return json_ok(chaos.triggers())


async def set_chaos(request: web.Request) -> web.Response:
    chaos = request.app[FEATURES].chaos
    if chaos is None:
        return text_error("Chaos is not enabled")
    if request.content_length is not None and request.content_length > MAX_BODY:
        return text_error(f"http: request body too large (more than {MAX_BODY} bytes)", 413)
    data = await request.content.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        return text_error(f"http: request body too large (more than {MAX_BODY} bytes)", 413)
    if not data.strip():
        return text_error("EOF")  # Go's decoder on an empty body
    try:
        body = json.loads(data.decode("utf-8"))
    except json.JSONDecodeError as error:
        return text_error(_go_syntax_error(error))
    except (UnicodeDecodeError, ValueError) as error:
        return text_error(f"invalid JSON body: {error}")
    try:
        return json_ok(chaos.set(body))
    except ValueError as error:
        return text_error(str(error))


def _go_syntax_error(error: json.JSONDecodeError) -> str:
    """Go's ``encoding/json`` text for the commonest syntax errors; the
    Python text otherwise."""
    if error.pos >= len(error.doc.rstrip()):
        return "unexpected EOF"
    if error.msg == "Expecting value":
        return f"invalid character {error.doc[error.pos]!r} looking for beginning of value"
    return f"invalid JSON body: {error}"
