"""A raw loopback server with bounded misbehaviour, and the memory a client
may grow by while one misbehaves (tests/hostile).

:class:`RawServer` accepts one connection on 127.0.0.1 and runs a
behaviour on it; :func:`memory_watch` measures the peak memory growth of a
block (the resident set's high-water mark, reset through
``/proc/self/clear_refs``; ``tracemalloc`` where that is missing), to be
held under :data:`MEMORY_BOUND`.
"""

from __future__ import annotations

import gc
import re
import socket
import struct
import threading
import tracemalloc
from contextlib import contextmanager

from smtp_core.protocol.reply import MAX_LINE, MAX_REPLY

MiB = 1 << 20
#: Allowed peak memory growth for any hostile reply: both caps plus room for
#: the receive buffer and the allocator.  Without the caps each test of
#: tests/hostile/test_hostile_replies.py goes far past it (10 MiB line, endless multi-line reply).
MEMORY_BOUND = MAX_LINE + MAX_REPLY + 8 * MiB


HANG_UP = "hang up"


# -- a raw loopback server with bounded misbehaviour ---------------------------------

class RawServer:
    """Accept one connection on 127.0.0.1 and run ``behaviour(sock)`` on it.

    ``behaviour`` may fail with OSError (the client went away mid-send,
    which is the point), or return :data:`HANG_UP` to drop the connection
    at once.  Otherwise the server then waits, bounded, for the client to
    close its side; :attr:`saw_close` tells whether it did.
    """

    def __init__(self, behaviour, *, wait_close: float = 10.0) -> None:
        self.behaviour = behaviour
        self.wait_close = wait_close
        self.saw_close = False
        self.received = bytearray()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(10.0)
        self.port = self._listener.getsockname()[1]
        self.address = "127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RawServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.join()

    def join(self) -> None:
        self._thread.join(30.0)
        self._listener.close()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10.0)

    def _run(self) -> None:
        try:
            sock, _ = self._listener.accept()
        except OSError:
            return
        with sock:
            sock.settimeout(10.0)
            try:
                outcome = self.behaviour(sock)
            except OSError:
                outcome = None
            if outcome == HANG_UP:
                # Reset rather than a polite FIN: unread client data would
                # cause a reset anyway, this makes it certain.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            self.saw_close = self._wait_for_close(sock)

    def _wait_for_close(self, sock: socket.socket) -> bool:
        sock.settimeout(self.wait_close)
        for _ in range(10000):  # the client may still send a line or two (QUIT)
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                return True
            except OSError:
                return False
            if not data:
                return True
            self.received += data
        return False


# -- memory ---------------------------------------------------------------------

def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(field + r":\s+(\d+)", f.read()).group(1))


class MemoryWatch:
    growth = 0
    method = ""


@contextmanager
def memory_watch():
    """Measure the peak memory growth of the block, in bytes, into ``.growth``."""
    watch = MemoryWatch()
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the resident set's high-water mark
        base = _status_kib("VmRSS")
        watch.method = "VmHWM"
    except OSError:
        base = None
    if base is None:
        watch.method = "tracemalloc"
        tracemalloc.start()
    try:
        yield watch
    finally:
        if base is not None:
            watch.growth = (_status_kib("VmHWM") - base) * 1024
        else:
            watch.growth = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
