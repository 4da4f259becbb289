"""A scripted SMTP server on loopback, for exact byte transcripts.

The server plays each connection from a script, in lockstep with the
client: it sends the greeting (item 0), then for every client *unit* it
reads it answers with the next item.  A unit is one line (up to LF), or,
after a reply whose code is 354, the whole DATA payload up to and including
``\\r\\n.\\r\\n`` (or ``.\\r\\n`` at its very start).  Everything the client
sent is recorded per connection, decrypted when TLS is on.

Items:

``"250 ok"``           text; each ``\\n`` becomes CRLF and a final CRLF is added
``b"..."``             exact bytes
``Starttls("220 go")`` sends the reply, then switches to TLS (server side);
                       ``Starttls("220 go", extra=b"250 x\\r\\n")`` sends ``extra`` in
                       the same write as the reply (plaintext injected before TLS)
``Close()``            closes without replying; ``Close(b"421 bye\\r\\n")`` replies first
``Silent()``           consumes the unit and answers nothing
``Trickle(b"..", s)``  sends the bytes one at a time, ``s`` seconds apart
``Drop(after, reset)`` right after the previous reply, without waiting for a
                       unit: reads ``after`` more bytes (e.g. part of a message),
                       then closes, with a TCP reset (RST) when ``reset``

:class:`SNIRecordingServer` also records the SNI name of each TLS handshake.

When the items run out the server keeps reading until the client closes
(or ``idle`` seconds of silence).  Every read has a timeout and the whole
server stops by itself after ``deadline`` seconds.

Example::

    with ScriptedServer(["220 hi", "250 ok", "221 bye"]) as srv:
        c = smtp_core.dial(srv.address)
        c.noop(); c.quit()
    assert srv.transcript(0) == b"EHLO localhost\\r\\nQUIT\\r\\n"
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Starttls:
    reply: str = "220 ready"
    extra: bytes = b""


@dataclass
class Close:
    before: bytes = b""


@dataclass
class Silent:
    pass


@dataclass
class Trickle:
    data: bytes
    interval: float = 1.0


@dataclass
class Drop:
    after: int = 0
    reset: bool = False


@dataclass
class Connection:
    """What one client connection sent, and how the server saw it."""

    data: bytearray = field(default_factory=bytearray)
    #: Number of recv calls that returned client bytes: a measure of how
    #: many separate writes (round trips) the client made.
    recvs: int = 0
    #: For each unit read, how many recv calls it needed (0: it was already buffered).
    waits: list = field(default_factory=list)
    tls_at: int | None = None
    tls_ok: bool | None = None
    tls_error: str | None = None
    end: str = ""


def _text(item: str) -> bytes:
    body = item.replace("\r\n", "\n").replace("\n", "\r\n")
    if not body.endswith("\r\n"):
        body += "\r\n"
    return body.encode("utf-8")


def _code(reply: bytes) -> str:
    lines = [l for l in reply.split(b"\r\n") if l]
    return lines[-1][:3].decode("latin-1") if lines else ""


class ScriptedServer:
    """Serve ``scripts`` (one list of items per expected connection) on 127.0.0.1."""

    def __init__(self, *scripts, cert: tuple[str, str] | None = None, implicit_tls: bool = False,
                 idle: float = 1.5, read_timeout: float = 5.0, deadline: float = 20.0) -> None:
        self.scripts = [list(s) for s in scripts]
        self.cert = cert
        self.implicit_tls = implicit_tls
        self.idle, self.read_timeout, self.deadline = idle, read_timeout, deadline
        self.connections: list[Connection] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.address = "127.0.0.1:%d" % self.port
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._started = time.monotonic()

    # -- lifecycle -----------------------------------------------------
    def __enter__(self) -> "ScriptedServer":
        self._acceptor.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self, wait: float = 10.0) -> None:
        """Stop accepting, then wait (bounded) for the connection handlers."""
        self._stop.set()
        try:
            # Wakes a blocked accept() at once, instead of at its next poll.
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self._acceptor.is_alive():
            self._acceptor.join(wait)
        for t in list(self._threads):
            t.join(wait)
        self._listener.close()

    def wait_done(self, timeout: float = 10.0) -> None:
        """Wait until every connection handler has finished."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self._threads) >= len(self.scripts) and not any(t.is_alive() for t in self._threads):
                return
            time.sleep(0.01)

    def transcript(self, index: int = 0) -> bytes:
        """Everything the client sent on connection ``index`` (after waiting for it)."""
        self.wait_done()
        return bytes(self.connections[index].data)

    # -- serving -------------------------------------------------------
    def _accept_loop(self) -> None:
        index = 0
        while not self._stop.is_set() and time.monotonic() - self._started < self.deadline:
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            script = self.scripts[index] if index < len(self.scripts) else None
            conn = Connection()
            self.connections.append(conn)
            t = threading.Thread(target=self._serve, args=(sock, script, conn), daemon=True)
            t.start()
            self._threads.append(t)  # once alive: wait_done must not see it as finished
            index += 1

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.cert)
        return ctx

    def _serve(self, sock: socket.socket, script, conn: Connection) -> None:
        try:
            sock.settimeout(self.read_timeout)
            if script is None:
                conn.end = "unscripted"
                return
            if self.implicit_tls:
                conn.tls_at = 0
                try:
                    sock = self._context().wrap_socket(sock, server_side=True)
                    conn.tls_ok = True
                except (OSError, ssl.SSLError) as exc:
                    conn.tls_ok, conn.tls_error, conn.end = False, str(exc), "tls_failed"
                    return
            self._play(sock, script, conn)
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _play(self, sock, script, conn: Connection) -> None:
        holder = [sock]
        try:
            self._play_on(holder, script, conn)
        finally:
            if holder[0] is not sock:  # the TLS socket made by a Starttls item
                holder[0].close()

    def _play_on(self, holder: list, script, conn: Connection) -> None:
        sock = holder[0]
        buf = bytearray()
        in_data = False
        items = list(script)
        first = True
        while True:
            if time.monotonic() - self._started > self.deadline:
                conn.end = "deadline"
                return
            if not first:
                if not items:
                    self._drain(sock, conn)
                    return
                if isinstance(items[0], Drop):
                    self._drop(sock, items.pop(0), conn)
                    return
                unit, waits = self._read_unit(sock, buf, in_data, conn)
                if unit is None:
                    conn.end = "client_closed"
                    return
                conn.waits.append(waits)
            first = False
            if not items:
                continue
            item = items.pop(0)
            in_data = False
            if isinstance(item, Silent):
                continue
            if isinstance(item, Close):
                if item.before:
                    sock.sendall(item.before)
                conn.end = "server_closed"
                return
            if isinstance(item, Trickle):
                try:
                    for i in range(len(item.data)):
                        sock.sendall(item.data[i:i + 1])
                        time.sleep(item.interval)
                except OSError:  # the client gave up waiting and closed: what a trickle tests
                    conn.end = "client_closed"
                    return
                continue
            if isinstance(item, Starttls):
                sock.sendall(_text(item.reply) + item.extra)
                buf.clear()  # plaintext sent after STARTTLS is discarded
                conn.tls_at = len(conn.data)
                try:
                    sock = holder[0] = self._context().wrap_socket(sock, server_side=True)
                    conn.tls_ok = True
                except (OSError, ssl.SSLError) as exc:
                    conn.tls_ok, conn.tls_error, conn.end = False, str(exc), "tls_failed"
                    return
                continue
            data = item if isinstance(item, bytes) else _text(item)
            sock.sendall(data)
            in_data = _code(data) == "354"

    def _read_unit(self, sock, buf: bytearray, in_data: bool, conn: Connection):
        waits = 0
        while True:
            if in_data:
                if buf.startswith(b".\r\n"):
                    end = 3
                else:
                    i = buf.find(b"\r\n.\r\n")
                    end = i + 5 if i >= 0 else -1
            else:
                i = buf.find(b"\n")
                end = i + 1 if i >= 0 else -1
            if end > 0:
                unit = bytes(buf[:end])
                del buf[:end]
                return unit, waits
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, OSError):
                return None, waits
            if not chunk:
                return None, waits
            conn.data += chunk
            conn.recvs += 1
            waits += 1
            buf += chunk

    def _drop(self, sock, item: Drop, conn: Connection) -> None:
        # (Closing with unread bytes makes the kernel send a reset anyway.)
        until = len(conn.data) + item.after
        while len(conn.data) < until:
            try:
                chunk = sock.recv(min(65536, until - len(conn.data)))
            except (socket.timeout, OSError):
                break
            if not chunk:
                break
            conn.data += chunk
            conn.recvs += 1
        if item.reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        conn.end = "server_reset" if item.reset else "server_closed"

    def _drain(self, sock, conn: Connection) -> None:
        sock.settimeout(self.idle)
        while True:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, OSError):
                conn.end = "idle"
                return
            if not chunk:
                conn.end = "client_closed"
                return
            conn.data += chunk
            conn.recvs += 1


class SNIRecordingServer(ScriptedServer):
    """A scripted server that records the SNI name of each TLS handshake."""

    def __init__(self, *scripts, **options) -> None:
        super().__init__(*scripts, **options)
        self.sni: list = []

    def _context(self) -> ssl.SSLContext:
        ctx = super()._context()
        ctx.sni_callback = lambda sslobj, name, context: self.sni.append(name)
        return ctx
