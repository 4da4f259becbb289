"""A small, fast SMTP sink for the benchmark, used when Postfix's
``smtp-sink`` is not installed, and for the wire-bytes check.

It accepts everything, answers pipelined commands in order (one ``send``
per batch of complete lines), advertises PIPELINING, 8BITMIME and SIZE,
counts messages, and can hash each DATA payload: the bytes after the
``DATA`` line up to and including the ``<CRLF>.<CRLF>`` end mark, exactly
as the client put them on the wire (still dot-stuffed).

It runs in its own process so that its work never lands in the client
being measured::

    python -m bench.sink --port 0 [--hash-log FILE] [--stop-on-stdin-eof]

prints ``ready <port>`` on stdout once it listens, runs until it gets
SIGTERM or SIGINT (or ``--max-seconds`` passes, or, with
``--stop-on-stdin-eof``, its stdin closes: the parent is gone), and then
prints ``messages <count>``.  With ``--hash-log``, one line per message is
appended: ``<sha256 hex> <payload bytes>``.

The same process can instead guard an external sink such as Postfix's
``smtp-sink`` (``--external --port P -- smtp-sink ... 127.0.0.1:P 256``),
with the same ways to stop it.

Example (in a test)::

    >>> proc = start_sink_process()          # doctest: +SKIP
    >>> port = proc.port                     # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import hashlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

__all__ = ["Sink", "SinkProcess", "start_sink_process", "main"]

_GREETING = b"220 bench-sink ESMTP\r\n"
_EHLO_REPLY = (b"250-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
               b"250-SIZE 1073741824\r\n250 ENHANCEDSTATUSCODES\r\n")
_END_MARK = b"\r\n.\r\n"
_RECV_SIZE = 262144
# Replies by command verb (upper-cased first four bytes).
_REPLIES = {
    b"HELO": b"250 bench-sink\r\n",
    b"MAIL": b"250 2.1.0 Ok\r\n",
    b"RCPT": b"250 2.1.5 Ok\r\n",
    b"RSET": b"250 2.0.0 Ok\r\n",
    b"NOOP": b"250 2.0.0 Ok\r\n",
    b"VRFY": b"252 2.0.0 Ok\r\n",
}
_QUEUED = b"250 2.0.0 Ok: queued\r\n"
_WATCH = "watch"  # selector data of the parent's pipe


class _Conn:
    """One client connection: its input buffer and where it stands."""

    __slots__ = ("sock", "buf", "in_data", "digest", "payload_size", "quitting")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.in_data = False
        self.digest = None
        self.payload_size = 0
        self.quitting = False


class Sink:
    """The sink's event loop (selectors, one thread, non-blocking sockets)."""

    def __init__(self, port: int = 0, hash_log: str | None = None) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(256)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.messages = 0
        self.hash_log = open(hash_log, "a") if hash_log else None
        self.stopping = False

    # -- the loop ---------------------------------------------------------
    def serve(self, max_seconds: float, watch_fd: int | None = None) -> None:
        """Serve until stopped, ``max_seconds`` pass, or ``watch_fd`` reaches EOF
        (the parent holds the other end of that pipe: its death ends the sink)."""
        if watch_fd is not None:
            self.selector.register(watch_fd, selectors.EVENT_READ, _WATCH)
        deadline = time.monotonic() + max_seconds
        while not self.stopping and time.monotonic() < deadline:
            for key, _ in self.selector.select(timeout=0.5):
                if key.data is None:
                    self._accept()
                elif key.data is _WATCH:
                    if not os.read(watch_fd, 4096):
                        self.stopping = True
                else:
                    self._readable(key.data)
        if watch_fd is not None:
            self.selector.unregister(watch_fd)

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()
        if self.hash_log:
            self.hash_log.close()

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Conn(sock)
        # Blocking sends keep the code simple: replies are small, and a
        # client that does not read them is not one we benchmark.
        sock.sendall(_GREETING)
        sock.setblocking(False)
        self.selector.register(sock, selectors.EVENT_READ, conn)

    def _drop(self, conn: _Conn) -> None:
        self.selector.unregister(conn.sock)
        conn.sock.close()

    def _readable(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        conn.buf += data
        replies = self._process(conn)
        if replies:
            try:
                conn.sock.setblocking(True)
                conn.sock.sendall(replies)
                conn.sock.setblocking(False)
            except OSError:
                self._drop(conn)
                return
        if conn.quitting:
            self._drop(conn)

    # -- the protocol --------------------------------------------------------
    def _process(self, conn: _Conn) -> bytes:
        """Consume every complete command or message in the buffer; return the replies."""
        out = []
        buf = conn.buf
        pos = 0
        while not conn.quitting:
            if conn.in_data:
                end = self._find_end(conn, buf, pos)
                if end < 0:
                    # Keep only what might start the end mark; hash the rest now.
                    keep_from = max(pos, len(buf) - 4)
                    self._take_payload(conn, buf, pos, keep_from)
                    pos = keep_from
                    break
                self._take_payload(conn, buf, pos, end)
                pos = end
                self._message_done(conn)
                out.append(_QUEUED)
                continue
            eol = buf.find(b"\n", pos)
            if eol < 0:
                break
            verb = bytes(buf[pos:pos + 4]).upper()
            pos = eol + 1
            if verb == b"DATA":
                out.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                conn.in_data = True
                conn.payload_size = 0
                conn.digest = hashlib.sha256() if self.hash_log else None
            elif verb == b"EHLO":
                out.append(_EHLO_REPLY)
            elif verb == b"QUIT":
                out.append(b"221 2.0.0 Bye\r\n")
                conn.quitting = True
            else:
                out.append(_REPLIES.get(verb, b"502 5.5.2 Error: command not recognized\r\n"))
        del buf[:pos]
        return b"".join(out)

    @staticmethod
    def _find_end(conn: _Conn, buf: bytearray, pos: int) -> int:
        """The index just past the end mark, or -1 when it is not in ``buf`` yet."""
        if conn.payload_size == 0 and buf.startswith(b".\r\n", pos):
            return pos + 3  # an empty message written as a bare dot line
        found = buf.find(_END_MARK, pos)
        return -1 if found < 0 else found + len(_END_MARK)

    @staticmethod
    def _take_payload(conn: _Conn, buf: bytearray, start: int, end: int) -> None:
        if end > start:
            if conn.digest is not None:
                conn.digest.update(memoryview(buf)[start:end])
            conn.payload_size += end - start

    def _message_done(self, conn: _Conn) -> None:
        conn.in_data = False
        self.messages += 1
        if self.hash_log is not None:
            self.hash_log.write("%s %d\n" % (conn.digest.hexdigest(), conn.payload_size))
            self.hash_log.flush()
        conn.digest = None


class SinkProcess:
    """A sink running in a child process; ``port`` is where it listens."""

    def __init__(self, proc: subprocess.Popen, port: int, description: str) -> None:
        self.proc = proc
        self.port = port
        self.description = description

    def stop(self) -> str:
        """Stop the sink and return what it printed last (e.g. its message count)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return (out or "").strip()

    def __enter__(self) -> "SinkProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sink_process(hash_log: str | None = None, max_seconds: float = 3600.0,
                       external: list[str] | None = None, port: int = 0,
                       description: str = "bench.sink (Python, selectors)") -> SinkProcess:
    """Start ``python -m bench.sink`` and wait (bounded) for its ``ready`` line.

    With ``external`` (a command that listens on ``port``, e.g. Postfix's
    ``smtp-sink``), the Python process only guards it: it waits until the
    port answers, and stops the command when told to, when ``max_seconds``
    pass, or when our end of its stdin closes, so a bench that dies never
    leaves a sink behind.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cmd = [sys.executable, "-m", "bench.sink", "--port", str(port), "--max-seconds", str(max_seconds),
           "--stop-on-stdin-eof"]
    if hash_log:
        cmd += ["--hash-log", hash_log]
    if external:
        cmd += ["--external", "--"] + list(external)
    proc = subprocess.Popen(cmd, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # printed once it listens, or at its end
    if not line.startswith("ready "):
        proc.kill()
        proc.communicate()
        raise RuntimeError("bench sink did not start: %r" % line)
    return SinkProcess(proc, int(line.split()[1]), description)


def guard_external(command: list[str], port: int, max_seconds: float, watch_fd: int | None) -> int:
    """Run an external sink until stopped; return its exit status."""
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    stopping = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))
    try:
        deadline = time.monotonic() + 10
        while True:  # ready once it answers
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as probe:
                    probe.recv(512)  # its greeting
                    probe.sendall(b"QUIT\r\n")
                    probe.recv(512)
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    print("failed: %s did not start" % command[0], flush=True)
                    return 1
                time.sleep(0.05)
        print("ready %d" % port, flush=True)
        deadline = time.monotonic() + max_seconds
        with selectors.DefaultSelector() as selector:
            if watch_fd is not None:
                selector.register(watch_fd, selectors.EVENT_READ)
            while not stopping and child.poll() is None and time.monotonic() < deadline:
                if watch_fd is None:
                    time.sleep(0.5)
                elif selector.select(timeout=0.5) and not os.read(watch_fd, 4096):
                    break  # the parent is gone
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hash-log", default=None)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--stop-on-stdin-eof", action="store_true",
                        help="stop when stdin reaches EOF (the parent closed it, or died)")
    parser.add_argument("--external", action="store_true",
                        help="guard the command after -- (listening on --port) instead of serving")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args(argv)
    watch_fd = sys.stdin.fileno() if args.stop_on_stdin_eof else None
    if args.external:
        return guard_external(args.command, args.port, args.max_seconds, watch_fd)
    sink = Sink(args.port, args.hash_log)

    def stop(signum, frame):
        sink.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready %d" % sink.port, flush=True)
    try:
        sink.serve(args.max_seconds, watch_fd)
    finally:
        sink.close()
    print("messages %d" % sink.messages, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
