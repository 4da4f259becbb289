"""``GET /api/v1/message/{ID}/link-check``: Mailpit's link check.

Rules:

* The links are Mailpit's: ``a[href]``, ``link[rel=stylesheet][href]`` and
  ``img[src]`` of the HTML part, and ``http(s)://`` URLs of the text part
  (``<...>``-bracketed ones may hold line breaks, RFC 2396 appendix E);
  only ``http`` and ``https``, each once, in Mailpit's order (anchors,
  style sheets, images, then the text's), at most
  :data:`MAX_LINKS`.
* Each link gets a ``HEAD``; when the server answers that with 405 or 501
  (no HEAD there), a ``GET`` whose body is never read.  Redirects are
  followed only with ``?follow=true`` and at most :data:`MAX_REDIRECTS`
  times (to http(s) only: aiohttp refuses anything else); otherwise the
  3xx is the answer.  At most :data:`CONCURRENCY` links at once, each
  within :data:`LINK_TIMEOUT` seconds, the whole check within
  :data:`CHECK_TIMEOUT`.
* Requests carry nothing of the catcher's: a fresh session with no cookie
  jar, no ``Authorization`` (the catcher's basic-auth login is never
  forwarded), no ``Referer``; only Mailpit's kind of ``User-Agent``.
* The answer is Mailpit's ``{"Errors": n, "Links": [{"URL", "StatusCode",
  "Status"}]}``: ``Status`` is the status text, or for a failure the last
  part of the error (``StatusCode`` 0); ``Errors`` counts codes >= 400 and 0.

>>> links_of({"HTML": '<a href="https://a.example/x">a</a><img src="cid:1"><img src="http://b.example/i.png">',
...           "Text": "see https://a.example/x and <https://c.example/long\\npath>"})
['https://a.example/x', 'http://b.example/i.png', 'https://c.example/longpath']
"""

from __future__ import annotations

import asyncio
import http
import re
from typing import Any
from collections.abc import Mapping

import aiohttp
from aiohttp import web

from ..mailbox.htmltext import start_tags
from ..mailbox.store import MailStore, server_version
from .api import off_loop
from .mailpit_extra import json_ok, same_origin_only, with_message

__all__ = ["add_routes", "links_of", "check_links", "MAX_LINKS", "MAX_REDIRECTS", "CONCURRENCY",
           "LINK_TIMEOUT", "CHECK_TIMEOUT"]

MAX_LINKS = 200
MAX_REDIRECTS = 5
CONCURRENCY = 5  # Mailpit's
LINK_TIMEOUT = 10.0  # Mailpit's, per link
CHECK_TIMEOUT = 60.0
_LINK = re.compile(r"(?i)\bhttps?://[-\w@:%_+'!.~#?,&/=;]+")
_TEXT_LINK = re.compile(r"(?im)(?:^|[^<])\b(https?://[-\w@:%_+'!.~#?,&/=;]+)")
# Mailpit's pattern, but no "<" inside: Python's re would rescan from every
# "<http" of a text without ">" (Go's RE2 never does).
_BRACKETED_LINK = re.compile(r"(?i)<(https?://[-\w@:%_+'!.~#?,&/=;][^<>]+)>")
_NO_HEAD = (405, 501)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/message/{id}/link-check", same_origin_only(link_check))


@with_message(MailStore.message)
async def link_check(request: web.Request, message: dict[str, Any]) -> web.Response:
    follow = request.query.get("follow", "") in ("true", "1")
    links = await check_links(await off_loop(links_of, message), follow=follow)
    return json_ok({"Errors": sum(1 for link in links if link["StatusCode"] >= 400 or not link["StatusCode"]),
                    "Links": links})


def _html_links(markup: str) -> list[str]:
    """Mailpit's order: anchors, then style sheets, then images.  The
    catcher's linear tokenizer, not html.parser: that one is quadratic on
    unclosed tags before Python 3.11.13 (see htmltext)."""
    anchors: list[str] = []
    styles: list[str] = []
    images: list[str] = []
    for tag, values in start_tags(markup):
        if tag == "a":
            anchors.append(values.get("href") or "")
        elif tag == "link" and (values.get("rel") or "").lower() == "stylesheet":
            styles.append(values.get("href") or "")
        elif tag == "img":
            images.append(values.get("src") or "")
    return anchors + styles + images


def links_of(message: Mapping[str, Any]) -> list[str]:
    """The message's http(s) links, each once, in order (Mailpit's choice)."""
    text = message.get("Text") or ""
    found = [link.strip() for link in _html_links(message.get("HTML") or "") if _LINK.match(link.strip())]
    found += [match.group(1) for match in _TEXT_LINK.finditer(text)]
    found += [match.group(1).replace("\r", "").replace("\n", "") for match in _BRACKETED_LINK.finditer(text)]
    return list(dict.fromkeys(found))[:MAX_LINKS]


async def check_links(links: list[str], *, follow: bool) -> list[dict[str, Any]]:
    """Mailpit's ``Link`` objects for ``links``, in the same order."""
    limit = asyncio.Semaphore(CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=LINK_TIMEOUT)
    headers = {"User-Agent": f"gostd-smtp-devserver/{server_version()}"}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout, headers=headers,
                                     auto_decompress=False, trust_env=False) as session:
        async def one(link: str) -> dict[str, Any]:
            async with limit:
                return await _status(session, link, follow)

        checks = [asyncio.ensure_future(one(link)) for link in links]
        done, pending = await asyncio.wait(checks, timeout=CHECK_TIMEOUT) if checks else (set(), set())
        for check in pending:
            check.cancel()
        if pending:
            await asyncio.wait(pending)
    return [check.result() if check in done else _failed(link, "the link check ran out of time")
            for link, check in zip(links, checks)]


async def _status(session: aiohttp.ClientSession, link: str, follow: bool) -> dict[str, Any]:
    options = {"allow_redirects": follow, "max_redirects": MAX_REDIRECTS}
    try:
        async with session.head(link, **options) as response:
            code = response.status
        if code in _NO_HEAD:
            async with session.get(link, **options) as response:  # the body is never read
                code = response.status
    except asyncio.TimeoutError:
        return _failed(link, f"no answer within {LINK_TIMEOUT:g} s")
    except aiohttp.TooManyRedirects:
        return _failed(link, f"stopped after {MAX_REDIRECTS} redirects")
    except (aiohttp.ClientError, ValueError, OSError) as error:
        return _failed(link, str(error).rsplit(": ", 1)[-1] or type(error).__name__)
    try:
        status = http.HTTPStatus(code).phrase
    except ValueError:
        status = ""
    return {"URL": link, "StatusCode": code, "Status": status}


def _failed(link: str, why: str) -> dict[str, Any]:
    return {"URL": link, "StatusCode": 0, "Status": why}
