"""Go's ``net.Conn`` over a connected socket: reads, writes, deadlines, Close.

:class:`Conn` keeps the rules of Go's ``net`` package (``net/net.go``,
``internal/poll``) that a program sees through a connection:

* ``read`` fills the buffer it is given with what one receive brings and
  returns the count; the end of the stream is ``EOF``
  (:class:`~smtp_core.errors.ServerClosed`), never a count of 0; an empty
  buffer reads nothing and succeeds, unless the connection is closed;
* ``write`` sends all of its bytes or fails, and says how many went out;
* deadlines are absolute times (seconds since the epoch, as ``time.time``);
  a deadline in the past fails the next read or write at once with
  ``i/o timeout``, and ``None`` clears it;
* after ``close`` every operation fails with ``use of closed network
  connection``, a second ``close`` included.

Errors read as Go's ``*net.OpError`` (see :mod:`~smtp_core.gocompat.neterror`),
with the network the connection was dialled with::

    read tcp 127.0.0.1:41234->127.0.0.1:25: i/o timeout
    close tcp 127.0.0.1:41234->127.0.0.1:25: use of closed network connection
    set tcp 127.0.0.1:41234: use of closed network connection

Example::

    >>> import socket
    >>> a, b = socket.socketpair()
    >>> conn = Conn(a, "unix")
    >>> b.sendall(b"220 hi"); b.close()
    >>> buf = bytearray(16)
    >>> conn.read(buf), bytes(buf[:6])
    (6, b'220 hi')
    >>> conn.read(buf)
    Traceback (most recent call last):
    ...
    smtp_core.errors.ServerClosed: EOF
    >>> conn.close()
"""

from __future__ import annotations

import errno
import socket
import time

from .gocompat import netaddr
from .errors import ServerClosed
from .gocompat.neterror import CLOSED_TEXT, TIMEOUT_TEXT, ends_of, go_error, op_error, op_text

__all__ = ["Addr", "Conn", "dial", "UNSUPPORTED_NETWORKS"]

#: Networks Go's ``net.Dial`` knows that this engine does not dial.
UNSUPPORTED_NETWORKS = frozenset(("udp", "udp4", "udp6", "ip", "ip4", "ip6", "unix", "unixgram", "unixpacket"))


class Addr:
    """Go's ``net.Addr`` of one end: ``network()`` (``tcp``) and ``string()``."""

    __slots__ = ("net", "text")

    def __init__(self, net: str, text: str) -> None:
        self.net, self.text = net, text

    def network(self) -> str:
        return self.net

    def string(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return "<net.Addr %s %s>" % (self.net, self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Addr) and (self.net, self.text) == (other.net, other.text)

    def __hash__(self) -> int:
        return hash((self.net, self.text))


class Conn:
    """A connected stream socket with Go's ``net.Conn`` behaviour.

    ``network`` is the network it was dialled with (``tcp``, ``tcp4``,
    ``tcp6``); it appears in error texts, as in Go.  The socket is owned:
    :meth:`close` closes it, and :meth:`detach` hands it over.
    """

    def __init__(self, sock: socket.socket, network: str = "tcp", *, over: "Conn | None" = None) -> None:
        self.sock = sock
        self.network = network
        self.read_deadline: float | None = None
        self.write_deadline: float | None = None
        if over is not None:
            # A layer over another Conn (TLS): its ends, deadlines and state.
            self.addr_net, self.local, self.remote = over.addr_net, over.local, over.remote
            self.read_deadline, self.write_deadline = over.read_deadline, over.write_deadline
            self.closed = over.closed
            return
        #: ``addr_net`` is what ``Addr.Network`` says: Go's TCPAddr is ``tcp`` whatever was dialled.
        self.addr_net, self.local, self.remote = ends_of(sock)
        self.closed = False
        sock.settimeout(None)

    # -- addresses -----------------------------------------------------
    def local_addr(self) -> Addr:
        return Addr(self.addr_net, self.local)

    def remote_addr(self) -> Addr:
        return Addr(self.addr_net, self.remote)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return "<net.Conn %s %s->%s, %s>" % (self.network, self.local, self.remote, state)

    # -- errors --------------------------------------------------------
    def _op_error(self, op: str, err: OSError) -> OSError:
        return op_error(op, err, net=self.network, source=self.local, addr=self.remote)

    def _closed(self, op: str) -> OSError:
        return go_error(OSError(errno.EBADF, CLOSED_TEXT),
                        op_text(op, self.network, self.local, self.remote, CLOSED_TEXT))

    def _timed_out(self, op: str) -> OSError:
        return go_error(TimeoutError(errno.ETIMEDOUT, TIMEOUT_TEXT),
                        op_text(op, self.network, self.local, self.remote, TIMEOUT_TEXT))

    def _arm(self, deadline: float | None) -> bool:
        """Set the socket's timeout to the time left; False when none is left."""
        if deadline is None:
            self.sock.settimeout(None)
            return True
        left = deadline - time.time()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        return True

    # -- I/O -----------------------------------------------------------
    def _ready(self) -> None:
        """What must happen before the first read or write (a TLS handshake); raises its error."""

    def read(self, buf: bytearray | memoryview) -> int:
        """Read into ``buf``; return the count, or raise (``EOF`` at the end)."""
        if self.closed:
            raise self._closed("read")
        self._ready()
        if len(buf) == 0:
            return 0
        if not self._arm(self.read_deadline):
            raise self._timed_out("read")
        try:
            n = self.sock.recv_into(buf)
        except OSError as err:
            failure = self._op_error("read", err)
        else:
            if n == 0:
                raise ServerClosed()
            return n
        raise failure

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Send all of ``data``; return its length, or raise with ``bytes_sent`` set."""
        if self.closed:
            raise self._closed("write")
        self._ready()
        if not self._arm(self.write_deadline):
            raise self._timed_out("write")
        sent = 0
        with memoryview(data) as view:
            try:
                while sent < len(view):
                    sent += self.sock.send(view[sent:])
                return sent
            except OSError as err:
                failure = self._op_error("write", err)
        failure.bytes_sent = sent  # type: ignore[attr-defined]
        raise failure

    def close(self) -> None:
        if self.closed:
            raise self._closed("close")
        self.closed = True
        self.sock.close()

    def detach(self) -> socket.socket:
        """Hand the socket over (to an SMTP client): this Conn is closed from now on.

        The socket keeps what is left of the earlier deadline as its timeout.
        """
        if self.closed:
            raise self._closed("read")
        self._ready()
        self.closed = True
        deadline = min((d for d in (self.read_deadline, self.write_deadline) if d is not None), default=None)
        if deadline is not None and not self._arm(deadline):
            self.sock.settimeout(1e-9)
        return self.sock

    # -- deadlines -----------------------------------------------------
    def _set(self, read: bool, write: bool, when: float | None) -> None:
        if self.closed:
            raise go_error(OSError(errno.EBADF, CLOSED_TEXT),
                           op_text("set", self.network, "", self.local, CLOSED_TEXT))
        if read:
            self.read_deadline = when
        if write:
            self.write_deadline = when

    def set_deadline(self, when: float | None) -> None:
        """Both deadlines at once: seconds since the epoch, or ``None`` for none."""
        self._set(True, True, when)

    def set_read_deadline(self, when: float | None) -> None:
        self._set(True, False, when)

    def set_write_deadline(self, when: float | None) -> None:
        self._set(False, True, when)


def dial(network: str, address: str, timeout: float | None = None, *, conn_class: type = Conn) -> Conn:
    """Go's ``net.Dial``/``DialTimeout`` for ``tcp``, ``tcp4`` and ``tcp6``.

    A network Go does not know fails as Go's (``dial udpx: unknown network
    udpx``); one Go knows but this engine does not dial (:data:`UNSUPPORTED_NETWORKS`)
    is a ``ValueError``, since Go would have dialled it.  ``timeout``
    ``None`` or 0 means none; a negative one has already run out.
    """
    if network in UNSUPPORTED_NETWORKS:
        raise ValueError("network %s is not supported here (only tcp, tcp4, tcp6)" % network)
    if network not in netaddr.TCP_NETWORKS:
        raise go_error(OSError(errno.EINVAL, "unknown network"),
                       op_text("dial", network, "", "", "unknown network " + network))
    # Go's zero timeout is none at all, not one that has run out.
    return conn_class(netaddr.dial(address, timeout if timeout else None, network), network)
