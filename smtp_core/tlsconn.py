"""Go's ``tls.Conn`` (client side): a :class:`~smtp_core.netconn.Conn` with TLS.

Rules, as Go's ``crypto/tls`` keeps them (``tls.go``, ``conn.go``):

* :func:`dial` connects, takes an empty ``ServerName`` from the address
  (everything before the last colon) and completes the handshake before
  it returns; a failed handshake closes the connection;
* :func:`client` wraps a connection without a handshake: the first
  ``read``, ``write`` or ``handshake`` performs it; its error is kept, and
  every later call fails with it;
* after ``close``, ``write`` and a second ``close`` fail with Go's bare
  ``use of closed network connection``, while ``read`` names both ends as
  the TCP connection does;
* certificate and alert failures read as Go's (``tls: failed to verify
  certificate: x509: ...``, ``remote error: tls: ...``), from the same
  place STARTTLS takes them (:mod:`~smtp_core.gocompat.neterror`,
  :class:`~smtp_core.tls.HandshakeWatch`).

Example::

    conn = dial("tcp", "smtp.example.com:465", TLSConfig())
    state = conn.connection_state()   # Version 0x0304, ServerName ...
"""

from __future__ import annotations

import dataclasses
import errno
import socket
import ssl
import time

from . import netconn
from .errors import TLSSetupError
from .gocompat.neterror import CLOSED_TEXT, go_error
from .tls import ConnectionState, HandshakeWatch, TLSConfig, sni_name, wrap_client

__all__ = ["TLSConn", "dial", "client"]


class TLSConn(netconn.Conn):
    """A TLS client connection over a connected socket (Go's ``*tls.Conn``)."""

    def __init__(self, sock: socket.socket, config: TLSConfig | None, network: str = "tcp", *,
                 over: netconn.Conn | None = None) -> None:
        super().__init__(sock, network, over=over)
        #: Go's nil config is the zero config.
        self.config = config if config is not None else TLSConfig()
        self.handshake_error: OSError | None = None
        self.handshake_done = False
        self.version_seen = 0

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("handshake done" if self.handshake_done else "no handshake yet")
        return "<tls.Conn %s %s->%s, %s>" % (self.network, self.local, self.remote, state)

    def _closed(self, op: str) -> OSError:
        # Go's tls.Conn answers Write and Close itself; Read reaches the TCP conn.
        if op in ("write", "close"):
            return go_error(OSError(errno.EBADF, CLOSED_TEXT), CLOSED_TEXT)
        return super()._closed(op)

    def _ready(self) -> None:
        self.handshake()

    def handshake(self) -> None:
        """Run the handshake once; raise its error, now and on every later call."""
        if self.handshake_done:
            return
        if self.handshake_error is not None:
            raise self.handshake_error.with_traceback(None)
        if self.closed:
            # Go's handshake writes the ClientHello to the closed TCP conn first.
            raise super()._closed("write")
        try:
            self._handshake()
        except TLSSetupError as err:
            self.handshake_error = err
        except socket.timeout as err:
            self.handshake_error = self._timed_out("read") if err.errno is None else self._op_error("read", err)
        except OSError as err:
            # The handshake both writes and reads; Go names the call that failed.
            self.handshake_error = self._op_error("write" if err.errno == errno.EPIPE else "read", err)
        else:
            self.handshake_done = True
            return
        raise self.handshake_error

    def _handshake(self) -> None:
        config = self.config
        refusal = config.handshake_refusal()
        if refusal:
            raise TLSSetupError(refusal)
        ctx = config.context()
        if not self._arm(_earliest(self.read_deadline, self.write_deadline)):
            raise socket.timeout()
        watch = HandshakeWatch()
        watched = watch.start(ctx)  # before the wrap: the SSL object copies the callback
        try:
            self.sock = wrap_client(self.sock, ctx, config.server_name)
            self.sock.do_handshake()
        except OSError as err:
            raise watch.explain(err, config.server_name)
        finally:
            if watched:
                watch.stop(ctx)
            self.version_seen = watch.version

    def connection_state(self) -> ConnectionState:
        """Go's ``ConnectionState``: complete after the handshake, else what is known."""
        sock = self.sock
        if self.handshake_done and isinstance(sock, ssl.SSLSocket) and not self.closed:
            return ConnectionState.of(sock, sni_name(self.config.server_name))
        return ConnectionState(Version=self.version_seen if self.handshake_error else 0,
                               ServerName=sni_name(self.config.server_name) if self.handshake_error else "")

    def close(self) -> None:
        if self.closed:
            raise self._closed("close")
        self.closed = True
        sock = self.sock
        if self.handshake_done and isinstance(sock, ssl.SSLSocket):
            # Go sends close_notify and does not wait for the peer's.
            try:
                sock.setblocking(False)
                sock.unwrap()
            except (OSError, ValueError):
                pass
        sock.close()


def _earliest(*deadlines: float | None) -> float | None:
    return min((d for d in deadlines if d is not None), default=None)


def client(conn: netconn.Conn | socket.socket, config: TLSConfig | None, *, conn_class: type = TLSConn) -> TLSConn:
    """Go's ``tls.Client``: TLS over ``conn``, the handshake left to its first use."""
    if isinstance(conn, netconn.Conn):
        # It takes the connection over, deadlines and all (a closed one stays closed).
        tls = conn_class(conn.sock, config, conn.network, over=conn)
        conn.closed = True
        return tls
    return conn_class(conn, config)


def dial(network: str, address: str, config: TLSConfig | None, *, timeout: float | None = None,
         conn_class: type = TLSConn) -> TLSConn:
    """Go's ``tls.Dial``/``DialWithDialer``: connect, then complete the handshake."""
    raw = netconn.dial(network, address, timeout)
    config = config if config is not None else TLSConfig()
    if not config.server_name:
        # Go's tls.Dial: the address up to its last colon (brackets and all).
        colon = address.rfind(":")
        config = dataclasses.replace(config, server_name=address[:colon if colon >= 0 else len(address)])
    conn = client(raw, config, conn_class=conn_class)
    if timeout:
        # Go bounds the handshake by the dial's timeout as well.
        conn.read_deadline = conn.write_deadline = time.time() + timeout
    try:
        conn.handshake()
    except OSError:
        conn.sock.close()
        raise
    conn.read_deadline = conn.write_deadline = None
    return conn
