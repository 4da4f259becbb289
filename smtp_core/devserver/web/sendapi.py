"""``POST /api/v1/send``: Mailpit's send API, composed by :func:`smtp_core.message`.

Rules:

* The JSON body is Mailpit's ``SendRequest``: ``From`` ``{Email, Name}``
  (required), ``To``, ``Cc`` and ``ReplyTo`` lists of those, ``Bcc`` a list
  of address strings, ``Subject``, ``Text``, ``HTML``, ``Attachments``
  (``Content`` base64, a ``data:...;base64,`` prefix allowed as in Mailpit,
  ``Filename``, ``ContentType``, ``ContentID``: with one it is an inline
  part), ``Headers`` (name to value) and ``Tags`` (written as ``X-Tags``).
* The message is built by :func:`smtp_core.message`, the one owner of
  composition: its checks refuse a CR or LF in any header value or name, a
  bad address, a bad type; its error text is the answer.  Mailpit's own
  refusals keep Mailpit's text (``cannot overwrite header: "To"``,
  ``error decoding base64 attachment "x": ...``).
* It is stored as mail sent with :func:`smtp_core.send` would arrive: the
  wire form (no ``Bcc`` header), the envelope sender ``From``'s address and
  the recipients those of ``To``, ``Cc`` and ``Bcc``, through the store's
  :meth:`~smtp_core.devserver.mailbox.store.MailStore.add` as SMTP mail is.
* The HTTP basic-auth user the request was checked as
  (:func:`~smtp_core.devserver.web.httpguard.authenticated_user`) is the
  message's ``Username``, as an SMTP AUTH user is, so ``--tags-username``
  tags it too (Mailpit's ``SendMessageHandler`` passes ``r.BasicAuth()``'s
  user to the same ``Store`` as SMTP).  Without basic authentication on the
  catcher there is none.
* Any refusal is ``400`` with ``{"Error": text}`` (``413`` for a body over
  :data:`MAX_BODY`, as Mailpit's size limit); success is ``{"ID": id}``.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import json
from typing import Any

from aiohttp import web

from ...errors import ComposeError
from ...mail.compose import envelope, message

from ..mailbox.store import PartLimitError
from .api import STORE, off_loop
from .httpguard import authenticated_user
from .mailpit_extra import json_error, json_ok, same_origin_only

__all__ = ["add_routes", "compose_request", "SendError", "MAX_BODY"]

_FIELDS = {"From": dict, "To": list, "Cc": list, "Bcc": list, "ReplyTo": list, "Subject": str, "Text": str,
           "HTML": str, "Attachments": list, "Headers": dict, "Tags": list}
#: The largest request (base64 makes attachments a third larger): the SMTP
#: side's default SIZE limit, 32 MiB, of attachments.
MAX_BODY = 48 << 20
_JSON_KIND = {dict: "an object", list: "an array", str: "a string"}
# Mailpit's: these have fields of their own (or are MIME's).
_RESTRICTED = ("To", "From", "Cc", "Bcc", "Reply-To", "Date", "Subject", "Content-Type", "Mime-Version")


class SendError(ValueError):
    """A send request Mailpit would refuse; the text is the answer."""


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/send", same_origin_only(send))


async def send(request: web.Request) -> web.Response:
    data = await _read_body(request)
    if data is None:
        refused = json_error(f"http: request body too large (more than {MAX_BODY} bytes)", 413)
        refused.force_close()  # the rest of the body is never read
        return refused
    try:
        body = json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return json_error(f"invalid JSON body: {error}")
    try:
        sender, recipients, data = compose_request(body)
    except (SendError, ComposeError) as error:
        return json_error(str(error))
    try:  # parsed off the loop, as SMTP intake is
        summary = await off_loop(functools.partial(request.app[STORE].add, data, envelope_from=sender,
                                                   envelope_to=recipients,
                                                   authenticated_as=authenticated_user(request)))
    except PartLimitError as error:
        return json_error(str(error))
    return json_ok({"ID": summary["ID"]})


async def _read_body(request: web.Request) -> bytes | None:
    """The request's body, ``None`` past :data:`MAX_BODY` (not
    ``request.text()``: aiohttp's 1 MiB cap suits the other routes)."""
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def compose_request(body: Any) -> tuple[str, list[str], bytes]:
    """``(envelope sender, recipients, message bytes)`` for a send request."""
    if not isinstance(body, dict):
        raise SendError("the JSON body must be an object")
    for name, value in body.items():
        if name not in _FIELDS:
            raise SendError(f"unknown field {name!r} (fields: {', '.join(_FIELDS)})")
        if value is not None and not isinstance(value, _FIELDS[name]):
            raise SendError(f"{name} must be {_JSON_KIND[_FIELDS[name]]}, got {json.dumps(value)}")
    spec: dict[str, Any] = {"from": _address("From", body.get("From"))}
    for field, key in (("To", "to"), ("Cc", "cc"), ("ReplyTo", "reply-to")):
        if body.get(field):
            spec[key] = [_address(field, item) for item in body[field]]
    if body.get("Bcc"):
        spec["bcc"] = [_text("Bcc", item) for item in body["Bcc"]]
    if "to" not in spec and "cc" not in spec and "bcc" not in spec:
        raise SendError("no recipients: give To, Cc or Bcc")
    if body.get("Subject"):
        spec["subject"] = body["Subject"]
    headers = {name: _text(f"Headers {name}", value) for name, value in (body.get("Headers") or {}).items()}
    restricted = _RESTRICTED + (("X-Tags",) if body.get("Tags") else ())
    for name in headers:
        if name.lower() in (r.lower() for r in restricted):
            raise SendError(f'cannot overwrite header: "{name}"')
    if body.get("Tags"):
        headers["X-Tags"] = ", ".join(_text("Tags", tag) for tag in body["Tags"])
    for name, key in (("message-id", "message-id"), ("sender", "sender")):
        for given in [h for h in headers if h.lower() == name]:
            spec[key] = headers.pop(given)
    if headers:
        spec["headers"] = headers
    spec["body"] = _body(body)
    return envelope(message(spec))


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SendError(f"{where} must be a string, got {json.dumps(value)}")
    return value


def _address(field: str, value: Any) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("Email"), str) or not value["Email"]:
        raise SendError(f"{field}: an address is an object with an Email (and an optional Name)")
    name = _text(f"{field} Name", value.get("Name") or "")
    # formataddr quotes the name; a CR or LF in it stays for message() to refuse.
    return email.utils.formataddr((name, value["Email"])) if name else value["Email"]


def _body(body: dict[str, Any]) -> Any:
    text = {"type": "text/plain", "content": body.get("Text") or ""}
    content: Any = text
    if body.get("HTML"):
        content = [":alternative", text, {"type": "text/html", "content": body["HTML"]}]
    files = [_attachment(item) for item in body.get("Attachments") or []]
    return [content, *files] if files else content


def _attachment(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise SendError("Attachments: each attachment is an object with Content and Filename")
    name = _text("Attachments Filename", item.get("Filename") or "")
    encoded = _text(f'attachment "{name}" Content', item.get("Content") or "").rsplit(",", 1)[-1]
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SendError(f'error decoding base64 attachment "{name}": {error}') from None
    part: dict[str, Any] = {"type": ":inline" if item.get("ContentID") else ":attachment", "content": data}
    if name:
        part["file-name"] = name
    for field, key in (("ContentType", "content-type"), ("ContentID", "content-id")):
        if item.get(field):
            part[key] = _text(f"Attachments {field}", item[field])
    return part
