"""The implicit-TLS port (RFC 8314): a connection is an SMTP session only
once its TLS handshake is done, within the limits of :mod:`.limits`.

asyncio's own ``create_server(ssl=...)`` tells the protocol nothing until
the handshake succeeded, so a connection that never sends a ClientHello
would hold a descriptor unseen.  :class:`ImplicitTLS` counts each one from
its first moment instead.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

from .limits import SmtpLimits
from .protocol import DevSMTP

__all__ = ["ImplicitTLS"]

log = logging.getLogger(__name__)


class ImplicitTLS(asyncio.Protocol):
    """A connection to the implicit-TLS port until its handshake is done;
    then it hands the TLS transport to a new :class:`DevSMTP`.

    asyncio's own ``create_server(ssl=...)`` tells the protocol nothing
    until the handshake succeeded, so a connection that never sends a
    ClientHello would hold a descriptor unseen.  Here each one is in
    ``pending`` from its first moment: at most ``limits.max_connections``
    handshakes at once (one more is dropped at once, before any TLS, so
    there is no one to say 421 to), each within ``limits.tls_handshake_timeout``.
    """

    def __init__(self, make_session: Callable[[], DevSMTP], context: ssl.SSLContext,
                 limits: SmtpLimits, pending: set[ImplicitTLS]):
        self._make_session = make_session
        self._context = context
        self._limits = limits
        self._pending = pending
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if len(self._pending) >= self._limits.max_connections:
            log.warning("dropped a TLS connection: %d handshakes already under way", len(self._pending))
            transport.abort()
            return
        self._pending.add(self)
        # The ClientHello must reach start_tls(), not this protocol: reading
        # is paused on the next turn, because Python 3.10's transport adds its
        # reader after connection_made() whatever pause_reading() said there.
        asyncio.get_running_loop().call_soon(self._begin)

    def _begin(self) -> None:
        assert self._transport is not None
        if self._transport.is_closing():
            self._pending.discard(self)
            return
        self._transport.pause_reading()
        asyncio.get_running_loop().create_task(self._handshake())

    def data_received(self, data: bytes) -> None:
        # Nothing may arrive here (reading is paused until start_tls takes
        # over); if it did, the handshake could only time out: say so.
        log.warning("dropped a TLS connection: %d bytes arrived before the handshake began", len(data))
        assert self._transport is not None
        self._transport.abort()

    async def _handshake(self) -> None:
        assert self._transport is not None
        try:
            tls = await asyncio.get_running_loop().start_tls(
                self._transport, self, self._context, server_side=True,
                ssl_handshake_timeout=self._limits.tls_handshake_timeout)
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as error:
            # A client that rejects our certificate, or never says hello.
            log.info("TLS handshake failed: %r", error)
            self._transport.abort()
            return
        except BaseException:  # cancelled: the server stops
            self.abort()
            raise
        finally:
            self._pending.discard(self)
        if tls is None:  # the connection closed during the handshake
            return
        session = self._make_session()
        tls.set_protocol(session)
        session.connection_made(tls)

    def abort(self) -> None:
        """Drop the connection at once (server shutdown)."""
        if self._transport is not None:
            self._transport.abort()

    def connection_lost(self, error: Exception | None) -> None:
        self._pending.discard(self)
