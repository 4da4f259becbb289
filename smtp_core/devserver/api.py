"""Mailpit's v1 REST API and live events over the dev server's mail store.

The HTTP side of the mail catcher, built on aiohttp and run in the dev
server's own event loop.  Paths, parameters, JSON field names and status
codes follow Mailpit's ``/api/v1`` so that Mailpit clients and test suites
work unchanged (``docs/devserver.md`` lists what is covered).

Contract with the web page (``smtp_core/devserver/page.py``)
-------------------------------------------------------------

Construction::

    app = make_app(store, basic_auth=("user", "password") or None)
    page.add_routes(app)          # the page adds its own routes and headers
    # then aiohttp.web.AppRunner(app) ... in the dev server's loop

* ``make_app`` installs the API routes below, the WebSocket ``/api/events``
  and a basic-auth middleware (when ``basic_auth`` is given) that guards
  *every* route, the page's included.
* ``app[STORE]`` (an ``aiohttp.web.AppKey``) is the
  :class:`smtp_core.devserver.store.MailStore`, for page routes that need it.
* API responses carry no page CSP; message parts (``/part/...``) and raw
  sources are served with ``Content-Security-Policy: sandbox`` and
  ``X-Content-Type-Options: nosniff`` so that message HTML opened directly
  never runs in the page's origin.

Live events: ``GET /api/events`` upgrades to a WebSocket.  The server only
sends; each text frame is one JSON object ``{"Type": ..., "Data": ...}``,
with Mailpit's event types:

=============  ==============================================================
``new``        ``Data`` is the message summary exactly as in the list below
``update``     ``{"ID": id, "Read": bool}`` after a read-status change
``delete``     ``{"ID": id}`` for each message deleted by ID
``truncate``   ``null``: every message was deleted
``prune``      ``null``: old messages were pruned (``--max-messages``)
``stats``      ``{"Total": n, "Unread": n, "Version": str}`` after any change
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
``GET /api/v1/info``
    Version and mailbox figures.

A summary is ``{"ID", "MessageID", "Read", "From": {"Name", "Address"},
"To": [...], "Cc": [...], "Bcc": [...], "ReplyTo": [...], "Subject",
"Created" (RFC 3339), "Username", "Tags": [], "Size", "Attachments" (a
count), "Snippet"}``.
"""
