"""The asyncio API: :func:`connect`, :func:`dial_tls`, :func:`prepare`,
:func:`send` and :func:`send_many` as coroutines.

Rules of this module:

* **Same arguments, same defaults, same checks, same results** as
  :mod:`smtp_core.pythonic.api`, by construction: each coroutine takes
  the blocking function's signature (``inspect.signature``), its keyword
  options from the same declaration
  (:class:`~smtp_core.pythonic.options.Options`), and runs the blocking
  layer's own conversation
  (:func:`~smtp_core.pythonic.api.sending`,
  :func:`~smtp_core.pythonic.api.sending_many`,
  :meth:`~smtp_core.pythonic.session.Session.preparing`) with the asyncio
  runner.  Nothing of the option checking, the message preparation, the
  pipelining plan or the result building is written here.
* **Only connecting is ours**: :func:`open_client` opens the socket off
  the loop's blocking paths (:func:`~smtp_core.aio.client.open_socket`),
  does the implicit-TLS handshake in ``loop.create_connection``, reads the
  greeting, then prepares the client as the blocking layer does.
* A cancelled call closes its connection (when the call opened it, or the
  conversation was mid-way) and raises ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import errno
import email.message
import inspect
import socket
from typing import Iterable

from ..errors import StageTimeout, TLSSetupError
from ..gocompat.neterror import socket_error
from ..pythonic import api as blocking
from ..pythonic.addresses import dial_address, tls_host_name
from ..pythonic.session import dial_plan, opened
from ..pythonic.message import Message
from ..pythonic.options import Options
from ..tls import TLSConfig
from .client import Client, open_socket
from .steps import run
from .transport import AsyncTransport

__all__ = ["connect", "dial_tls", "prepare", "send", "send_many", "open_client", "ASYNC"]


async def open_client(address: str, options: Options) -> Client:
    """Connect to ``address``, greet, apply the TLS policy, authenticate;
    the client's :class:`~smtp_core.pythonic.session.Session` is in ``client.session``.
    On any failure the connection is closed and the error raised."""
    table, name, settings = dial_plan(address, options)
    try:
        sock = await open_socket(dial_address(address), table.connect)
    except socket.timeout:
        raise StageTimeout("connect", table.connect) from None
    ctx = sni = None
    if settings is not None:
        if isinstance(settings, TLSConfig):
            settings.check()
            ctx, sni = settings.context(), settings.server_name
        else:
            ctx, sni = settings, tls_host_name(name)
    try:
        transport = await AsyncTransport.connect(
            sock, peer=name, timeout=table.command if ctx is not None else table.greeting,
            redact=options.redact, ssl_context=ctx, server_hostname=sni or "")
    except (socket.timeout, asyncio.TimeoutError):
        sock.close()
        raise StageTimeout("TLS handshake", table.command) from None
    except (TLSSetupError, asyncio.CancelledError):
        sock.close()
        raise
    except OSError as err:  # Go's texts, as after STARTTLS
        failure = socket_error("write" if err.errno == errno.EPIPE else "read", err, sock)
        sock.close()
        raise failure from None
    transport.set_timeout(table.greeting)
    client = await Client.greeted(transport, name)
    return await run(opened(client, table, options))


#: The asyncio driver of the blocking layer's conversations.
ASYNC = blocking.Driver(Client, open_client)


def _same_as(like):
    """Give the coroutine ``like``'s signature and say whose documentation applies."""

    def adopt(coroutine):
        coroutine.__signature__ = inspect.signature(like)
        coroutine.__doc__ = (coroutine.__doc__ or "") + (
            "\n\nThe arguments, defaults and results of :func:`smtp_core.pythonic.%s` "
            "(documented there), awaited." % like.__name__)
        return coroutine

    return adopt


@_same_as(blocking.connect)
async def connect(address: str, **options) -> Client:
    """Connect, greet, apply the TLS policy, authenticate: a ready :class:`Client`."""
    return await open_client(address, Options.taking("connect", options))


@_same_as(blocking.dial_tls)
async def dial_tls(address: str, **options) -> Client:
    """Connect with implicit TLS (SMTPS, port 465)."""
    return await open_client(address, Options.taking("dial_tls", options, tls="implicit"))


@_same_as(blocking.prepare)
async def prepare(client: Client, **options) -> Client:
    """Make a client you dialled yourself ready the way :func:`connect` does."""
    return await run(blocking.preparing(client, Options.taking("prepare", options)))


@_same_as(blocking.send)
async def send(client_or_address: Client | str, sender: str | email.message.Message | None,
               recipients: Iterable[str] | str | None = None, message: Message | None = None, **options):
    """Send one message to many recipients; a :class:`~smtp_core.pythonic.SendResult`."""
    return await run(blocking.sending(ASYNC, client_or_address, sender, recipients, message,
                                      Options.taking("send", options)))


@_same_as(blocking.send_many)
async def send_many(client_or_address: Client | str, messages: Iterable, **options) -> list:
    """Send many messages over one connection, pipelined; one entry per message."""
    return await run(blocking.sending_many(ASYNC, client_or_address, messages, Options.taking("send_many", options)))
